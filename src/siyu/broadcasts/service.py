"""Broadcast rules: composing (audience, content, time), quiet hours, repeats, the tenant's reach
settings, cancelling, and the counts kept on each broadcast."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.broadcasts import audience as audiences
from siyu.broadcasts.errors import BadTime, EmptyMessage, NotEditable, UnknownVariables
from siyu.broadcasts.models import (
    CANCELLED,
    R_CANCELLED,
    R_PLANNED,
    SCHEDULED,
    T_CANCELLED,
    T_PLANNED,
    TASK_OF_RECIPIENT,
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
    ReachSettings,
    shown_status,
)
from siyu.broadcasts.schemas import BroadcastIn, Repeat
from siyu.codes.routing import LOCAL_TZ, local
from siyu.db import insert_unless_exists, utcnow
from siyu.materials import service as materials
from siyu.scripts import variables
from siyu.scripts.repository import sender_facts

PLAN_JOB, DISPATCH_JOB, SYNC_JOB = "broadcasts.plan", "broadcasts.dispatch", "broadcasts.sync"
REMIND_JOB, CANCEL_JOB = "broadcasts.remind", "broadcasts.cancel"
DEFAULT_SETTINGS: dict[str, Any] = {
    "quiet_start": "22:00",
    "quiet_end": "08:00",
    "cap_count": 3,
    "cap_days": 7,
    "wecom_policy": "month",
}
PAST_GRACE = dt.timedelta(minutes=5)
FURTHEST = dt.timedelta(days=366)


# --- reach settings -----------------------------------------------------------------------


def settings_of(session: Session, tenant_id: int) -> ReachSettings:
    """The tenant's settings (defaults until it saves its own)."""
    found = session.scalar(select(ReachSettings).where(ReachSettings.tenant_id == tenant_id))
    if found is not None:
        return found
    return ReachSettings(tenant_id=tenant_id, updated_at=utcnow(), **DEFAULT_SETTINGS)


def save_settings(session: Session, tenant_id: int, values: dict[str, Any]) -> ReachSettings:
    found = session.scalar(select(ReachSettings).where(ReachSettings.tenant_id == tenant_id))
    if found is None:
        found = settings_of(session, tenant_id)
        session.add(found)
    for name, value in values.items():
        setattr(found, name, value)
    found.updated_at = utcnow()
    session.flush()
    return found


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def out_of_quiet_hours(when: dt.datetime, settings: ReachSettings) -> dt.datetime:
    """``when``, or the end of the quiet hours (China time) it falls in."""
    start, end = _minutes(settings.quiet_start), _minutes(settings.quiet_end)
    if start == end:
        return when
    moment = local(when)
    now = moment.hour * 60 + moment.minute
    quiet = start <= now < end if start < end else now >= start or now < end
    if not quiet:
        return when
    day = moment.date() if now < end else moment.date() + dt.timedelta(days=1)
    ends = dt.datetime.combine(day, dt.time(end // 60, end % 60), LOCAL_TZ)
    return ends.astimezone(dt.UTC)


def receive_window(policy: str, now: dt.datetime) -> tuple[int, dt.datetime]:
    """WeCom's receive limit for a customer and the start of its window (China time): the
    month's days in the month, 7 in the week (from Monday), or 1 in the day."""
    midnight = dt.datetime.combine(local(now).date(), dt.time(), LOCAL_TZ)
    if policy == "day1":
        return 1, midnight.astimezone(dt.UTC)
    if policy == "week7":
        monday = midnight - dt.timedelta(days=midnight.weekday())
        return 7, monday.astimezone(dt.UTC)
    first = midnight.replace(day=1)
    return calendar.monthrange(first.year, first.month)[1], first.astimezone(dt.UTC)


# --- composing ------------------------------------------------------------------------------


def check(session: Session, tenant_id: int, body: BroadcastIn, now: dt.datetime) -> None:
    if not body.text.strip() and not body.material_ids:
        raise EmptyMessage()
    # One text goes to every customer of a sender: only the sender's variables can be filled.
    refused = [n for n in variables.names(body.text) if n not in variables.SENDER]
    if refused:
        raise UnknownVariables(refused, names=", ".join("{" + n + "}" for n in refused))
    if body.material_ids:
        materials.check_attachments(session, tenant_id, body.material_ids, moment=False)
    audiences.check(session, tenant_id, body.audience, body.chat_type)
    if body.send_at is not None:
        if body.send_at.tzinfo is None:
            raise BadTime(reason="须带时区 / needs a time zone")
        if body.send_at < now - PAST_GRACE:
            raise BadTime(reason="已过去 / in the past")
        if body.send_at > now + FURTHEST:
            raise BadTime(reason="超过一年 / more than a year ahead")
    if body.repeat is not None:
        first = local(body.send_at or now).date()
        if body.repeat.until < first or body.repeat.until > first + FURTHEST:
            raise BadTime(reason="重复截止日期有误 / the repeat's last day is wrong")
        if body.repeat.every == "week" and not body.repeat.weekdays:
            raise BadTime(reason="每周重复须选择星期 / a weekly repeat needs weekdays")


def _fill(
    broadcast: Broadcast, body: BroadcastIn, settings: ReachSettings, now: dt.datetime
) -> None:
    broadcast.name = body.name
    broadcast.chat_type = body.chat_type
    broadcast.audience = body.audience.model_dump(mode="json")
    broadcast.text = body.text
    broadcast.material_ids = list(body.material_ids)
    broadcast.send_at = body.send_at.astimezone(dt.UTC) if body.send_at else now
    broadcast.due_at = out_of_quiet_hours(max(broadcast.send_at, now), settings)
    broadcast.repeat = body.repeat.model_dump(mode="json") if body.repeat else None


def create(
    session: Session,
    tenant_id: int,
    body: BroadcastIn,
    *,
    created_by: int | None,
    now: dt.datetime | None = None,
    source: str = "",
    scheduled: bool = True,
    occurrence_key: str | None = None,
) -> Broadcast:
    """A new broadcast, waiting for its time (``scheduled``; else its caller plans it). An
    ``occurrence_key`` makes it once per tenant (a playbook's slot)."""
    now = now or utcnow()
    check(session, tenant_id, body, now)
    broadcast = Broadcast(
        tenant_id=tenant_id,
        created_by=created_by,
        source=source,
        counts={},
        occurrence_key=occurrence_key,
    )
    _fill(broadcast, body, settings_of(session, tenant_id), now)
    broadcast.state = SCHEDULED
    broadcast.created_at = now
    session.add(broadcast)
    session.flush()
    if scheduled:
        schedule(session, broadcast)
    return broadcast


def schedule(session: Session, broadcast: Broadcast) -> int:
    """The plan job of a scheduled broadcast: a row that waits until the broadcast is due (the
    job row is the timer)."""
    return jobs.submit(
        session,
        PLAN_JOB,
        {"broadcast_id": broadcast.id},
        tenant_id=broadcast.tenant_id,
        key=f"broadcast-plan:{broadcast.id}:{broadcast.due_at.isoformat()}",
        run_after=broadcast.due_at,
    )


def update_scheduled(
    session: Session, broadcast: Broadcast, body: BroadcastIn, now: dt.datetime | None = None
) -> Broadcast:
    now = now or utcnow()
    if broadcast.state != SCHEDULED:
        raise NotEditable(state=broadcast.state)
    check(session, broadcast.tenant_id, body, now)
    old_key = f"broadcast-plan:{broadcast.id}:{broadcast.due_at.isoformat()}"
    _fill(broadcast, body, settings_of(session, broadcast.tenant_id), now)
    session.execute(
        update(jobs.Job)
        .where(jobs.Job.kind == PLAN_JOB, jobs.Job.key == old_key, jobs.Job.state == jobs.PENDING)
        .values(state=jobs.DONE, finished_at=now, last_error="rescheduled")
    )
    session.flush()
    schedule(session, broadcast)
    return broadcast


def next_occurrence(broadcast: Broadcast) -> dt.datetime | None:
    """When a repeating broadcast goes next after this occurrence (same China time of day)."""
    root_repeat = broadcast.repeat
    if not root_repeat:
        return None
    repeat = Repeat.model_validate(root_repeat)
    moment = local(broadcast.send_at)
    day = moment.date()
    for _ in range(8):
        day += dt.timedelta(days=1)
        if day > repeat.until:
            return None
        if repeat.every == "day" or day.isoweekday() in repeat.weekdays:
            return dt.datetime.combine(day, moment.timetz()).astimezone(dt.UTC)
    return None


def spawn_next(session: Session, broadcast: Broadcast) -> int | None:
    """Create the next occurrence of a repeating broadcast, once (keyed by root and time)."""
    when = next_occurrence(broadcast)
    if when is None:
        return None
    root = broadcast.parent_id or broadcast.id
    values = {
        "tenant_id": broadcast.tenant_id,
        "name": broadcast.name,
        "chat_type": broadcast.chat_type,
        "audience": broadcast.audience,
        "text": broadcast.text,
        "material_ids": broadcast.material_ids,
        "state": SCHEDULED,
        "send_at": when,
        "due_at": out_of_quiet_hours(when, settings_of(session, broadcast.tenant_id)),
        "repeat": broadcast.repeat,
        "parent_id": root,
        "occurrence_key": f"{root}:{when.isoformat()}",
        "source": broadcast.source,
        "counts": {},
        "error": "",
        "created_by": broadcast.created_by,
        "created_at": utcnow(),
    }
    new_id = insert_unless_exists(session, Broadcast, values, ["tenant_id", "occurrence_key"])
    if new_id is not None:
        created = session.get(Broadcast, new_id)
        assert created is not None
        schedule(session, created)
    return new_id


# --- cancelling and counts ------------------------------------------------------------------


def cancel(session: Session, broadcast: Broadcast, now: dt.datetime | None = None) -> bool:
    """Stop a broadcast: nothing more is created; tasks WeCom already has are withdrawn by the
    cancel job for the staff who have not sent. Answers whether WeCom must be told."""
    now = now or utcnow()
    if broadcast.state in (CANCELLED, "done", "failed"):
        return False
    was = broadcast.state
    broadcast.state = CANCELLED
    broadcast.finished_at = now
    planned = select(BroadcastTask.id).where(
        BroadcastTask.broadcast_id == broadcast.id, BroadcastTask.state == T_PLANNED
    )
    session.execute(
        update(BroadcastRecipient)
        .where(
            BroadcastRecipient.broadcast_id == broadcast.id,
            BroadcastRecipient.status == R_PLANNED,
            BroadcastRecipient.task_id.in_(planned.scalar_subquery()),
        )
        .values(status=R_CANCELLED)
    )
    session.execute(
        update(BroadcastTask)
        .where(BroadcastTask.broadcast_id == broadcast.id, BroadcastTask.state == T_PLANNED)
        .values(state=T_CANCELLED)
    )
    refresh_counts(session, broadcast)
    if was == SCHEDULED:
        return False
    jobs.submit(
        session,
        CANCEL_JOB,
        {"broadcast_id": broadcast.id},
        tenant_id=broadcast.tenant_id,
        key=f"broadcast-cancel:{broadcast.id}",
    )
    return True


def refresh_counts(session: Session, broadcast: Broadcast) -> dict[str, int]:
    shown = shown_status()
    rows = session.execute(
        select(shown, func.count())
        .select_from(BroadcastRecipient)
        .outerjoin(BroadcastTask, TASK_OF_RECIPIENT)
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .group_by(shown)
    )
    counts = {str(status): int(n) for status, n in rows}
    counts["total"] = sum(counts.values())
    broadcast.counts = counts
    return counts


def sender_texts(session: Session, broadcast_id: int, tenant_id: int, text: str) -> dict[str, str]:
    """The text each sender of the broadcast sends: its sender variables filled in."""
    if not variables.names(text):
        return {}
    senders = set(
        session.scalars(
            select(BroadcastTask.sender)
            .where(BroadcastTask.broadcast_id == broadcast_id)
            .distinct()
        )
    )
    facts = sender_facts(session, tenant_id, senders)
    today = variables.today_label(local(utcnow()).date())
    return {
        sender: variables.render(
            text,
            {
                "staff_name": facts.get(sender, ("", ""))[0],
                "store_name": facts.get(sender, ("", ""))[1],
                "today": today,
            },
        )
        for sender in senders
    }
