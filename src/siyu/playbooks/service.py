"""Group playbooks: each post's next slot is a scheduled group broadcast, made once (its
occurrence key is the post and the slot's time). Saving a playbook withdraws the slots still
waiting and makes them again from the new calendar; a job every ten minutes makes each post's
next slot once the last one has gone, so the calendar runs on by itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.broadcasts import audience as audiences
from siyu.broadcasts import service as broadcasts
from siyu.broadcasts.models import CANCELLED, SCHEDULED, Broadcast
from siyu.broadcasts.schemas import BroadcastIn, GroupsAudience
from siyu.codes.routing import LOCAL_TZ, local
from siyu.db import utcnow
from siyu.playbooks.errors import DuplicateName, DuplicateSlot, EmptyPost
from siyu.playbooks.models import Playbook, PlaybookPost
from siyu.playbooks.schemas import PlaybookIn

LOOK_AHEAD_DAYS = 14


def source_of(playbook_id: int) -> str:
    return f"playbook:{playbook_id}"


def check(session: Session, tenant_id: int, body: PlaybookIn, current: int | None = None) -> None:
    other = session.scalar(
        select(Playbook.id).where(Playbook.tenant_id == tenant_id, Playbook.name == body.name)
    )
    if other is not None and other != current:
        raise DuplicateName(name=body.name)
    audiences.check(session, tenant_id, body.audience, "group")
    seen: set[str] = set()
    now = utcnow()
    for n, post in enumerate(body.posts, 1):
        if not post.text.strip() and not post.material_ids:
            raise EmptyPost(n=n)
        for day in post.weekdays or range(1, 8):
            key = f"{day}:{post.at}"
            if key in seen:
                raise DuplicateSlot(at=post.at)
            seen.add(key)
        broadcasts.check(session, tenant_id, _message(body.name, post, body.audience), now)


def _message(name: str, post: Any, audience: GroupsAudience, when: Any = None) -> BroadcastIn:
    return BroadcastIn(
        name=f"{name} · {post.title or post.at}",
        chat_type="group",
        audience=audience,
        text=post.text,
        material_ids=list(post.material_ids),
        send_at=when,
    )


def save(
    session: Session,
    tenant_id: int,
    body: PlaybookIn,
    *,
    playbook: Playbook | None = None,
    created_by: int | None = None,
) -> Playbook:
    check(session, tenant_id, body, playbook.id if playbook else None)
    now = utcnow()
    if playbook is None:
        playbook = Playbook(tenant_id=tenant_id, created_by=created_by, created_at=now)
        session.add(playbook)
    playbook.name = body.name
    playbook.audience = body.audience.model_dump(mode="json")
    playbook.enabled = body.enabled
    playbook.skip_dates = sorted({d.isoformat() for d in body.skip_dates})
    playbook.updated_at = now
    session.flush()
    withdraw(session, playbook)
    for old in posts_of(session, playbook):
        session.delete(old)
    session.flush()
    for position, post in enumerate(body.posts):
        session.add(
            PlaybookPost(
                tenant_id=tenant_id,
                playbook_id=playbook.id,
                at=post.at,
                weekdays=post.weekdays,
                title=post.title,
                text=post.text,
                material_ids=post.material_ids,
                position=position,
            )
        )
    session.flush()
    ensure_next(session, playbook, now)
    return playbook


def posts_of(session: Session, playbook: Playbook) -> list[PlaybookPost]:
    return list(
        session.scalars(
            select(PlaybookPost)
            .where(PlaybookPost.playbook_id == playbook.id)
            .order_by(PlaybookPost.at, PlaybookPost.position)
        )
    )


def withdraw(session: Session, playbook: Playbook) -> int:
    """Cancel the playbook's slots still waiting for their time."""
    waiting = list(
        session.scalars(
            select(Broadcast).where(
                Broadcast.tenant_id == playbook.tenant_id,
                Broadcast.source == source_of(playbook.id),
                Broadcast.state == SCHEDULED,
            )
        )
    )
    for broadcast in waiting:
        broadcasts.cancel(session, broadcast)
    return len(waiting)


def next_slot(playbook: Playbook, post: PlaybookPost, after: dt.datetime) -> dt.datetime | None:
    """The first time after ``after`` the post goes out: on its weekdays, not on a skip date."""
    hours, minutes = (int(x) for x in post.at.split(":"))
    day = local(after).date()
    skip = set(playbook.skip_dates)
    for _ in range(LOOK_AHEAD_DAYS + 1):
        slot = dt.datetime.combine(day, dt.time(hours, minutes), LOCAL_TZ)
        if (
            slot > after
            and day.isoformat() not in skip
            and (not post.weekdays or day.isoweekday() in post.weekdays)
        ):
            return slot.astimezone(dt.UTC)
        day += dt.timedelta(days=1)
    return None


def ensure_next(session: Session, playbook: Playbook, now: dt.datetime) -> int:
    """Give each post of an enabled playbook its next slot, unless one is waiting."""
    if not playbook.enabled:
        return 0
    made = 0
    audience = GroupsAudience.model_validate(playbook.audience)
    for post in posts_of(session, playbook):
        prefix = f"playbook:{post.id}:"
        waiting = session.scalar(
            select(Broadcast.id)
            .where(
                Broadcast.tenant_id == playbook.tenant_id,
                Broadcast.state == SCHEDULED,
                Broadcast.occurrence_key.startswith(prefix, autoescape=True),
            )
            .limit(1)
        )
        if waiting is not None:
            continue
        last = session.scalar(
            select(func.max(Broadcast.send_at)).where(
                Broadcast.tenant_id == playbook.tenant_id,
                Broadcast.occurrence_key.startswith(prefix, autoescape=True),
            )
        )
        slot = next_slot(playbook, post, max(now, last) if last else now)
        if slot is None:
            continue
        key = f"{prefix}{slot.isoformat()}"
        try:
            with session.begin_nested():
                broadcasts.create(
                    session,
                    playbook.tenant_id,
                    _message(playbook.name, post, audience, slot),
                    created_by=playbook.created_by,
                    source=source_of(playbook.id),
                    occurrence_key=key,
                    now=now,
                )
            made += 1
        except IntegrityError:
            continue  # another worker made this slot
    return made


def next_sends(session: Session, playbook: Playbook) -> list[tuple[int, dt.datetime]]:
    rows = session.execute(
        select(Broadcast.occurrence_key, Broadcast.due_at)
        .where(
            Broadcast.tenant_id == playbook.tenant_id,
            Broadcast.source == source_of(playbook.id),
            Broadcast.state == SCHEDULED,
        )
        .order_by(Broadcast.due_at)
    )
    found = []
    for key, due in rows:
        post_id = int((key or "playbook:0:").split(":")[1])
        found.append((post_id, due))
    return found


def sends(session: Session, playbook: Playbook, limit: int = 50) -> tuple[list[Broadcast], int]:
    query = select(Broadcast).where(
        Broadcast.tenant_id == playbook.tenant_id,
        Broadcast.source == source_of(playbook.id),
        Broadcast.state != CANCELLED,
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(session.scalars(query.order_by(Broadcast.due_at.desc()).limit(limit)))
    return rows, total
