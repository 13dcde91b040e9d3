"""Moments' queries. Every one is filtered by tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.moments.models import CREATED, SCHEDULED, MomentPost, MomentResult
from siyu.staff.models import Department, StaffAccount
from siyu.tags.models import Tag

# States that are on the calendar (a failed or cancelled post takes no slot).
LIVE_STATES = ("draft", "scheduled", "creating", "created")


def get_post(session: Session, tenant_id: int, post_id: int) -> MomentPost | None:
    post = session.get(MomentPost, post_id)
    if post is None or post.tenant_id != tenant_id:
        return None
    return post


def posts_between(
    session: Session, tenant_id: int, start: dt.datetime, end: dt.datetime, *, live: bool = True
) -> list[MomentPost]:
    query = (
        select(MomentPost)
        .where(
            MomentPost.tenant_id == tenant_id,
            MomentPost.planned_at >= start,
            MomentPost.planned_at < end,
        )
        .order_by(MomentPost.planned_at, MomentPost.id)
    )
    if live:
        query = query.where(MomentPost.state.in_(LIVE_STATES))
    return list(session.scalars(query))


def results_of(session: Session, tenant_id: int, post_ids: Iterable[int]) -> list[MomentResult]:
    ids = list(post_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(MomentResult)
            .where(MomentResult.tenant_id == tenant_id, MomentResult.post_id.in_(ids))
            .order_by(MomentResult.post_id, MomentResult.userid)
        )
    )


def counts_by_post(
    session: Session, tenant_id: int, post_ids: Iterable[int]
) -> dict[int, dict[str, int]]:
    ids = list(post_ids)
    found: dict[int, dict[str, int]] = {i: {} for i in ids}
    if not ids:
        return found
    for post_id, status, count in session.execute(
        select(MomentResult.post_id, MomentResult.status, func.count())
        .where(MomentResult.tenant_id == tenant_id, MomentResult.post_id.in_(ids))
        .group_by(MomentResult.post_id, MomentResult.status)
    ):
        found[post_id][status] = count
    return found


def active_userids(session: Session, tenant_id: int, userids: Iterable[str]) -> set[str]:
    wanted = list(set(userids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(StaffAccount.userid).where(
                StaffAccount.tenant_id == tenant_id,
                StaffAccount.userid.in_(wanted),
                StaffAccount.status == "active",
            )
        )
    )


def staff_names(session: Session, tenant_id: int, userids: Iterable[str]) -> dict[str, str]:
    wanted = list(set(userids))
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.name).where(
                StaffAccount.tenant_id == tenant_id, StaffAccount.userid.in_(wanted)
            )
        ).all()
    )


def known_departments(session: Session, tenant_id: int, wecom_ids: Iterable[int]) -> set[int]:
    wanted = list(set(wecom_ids))
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Department.wecom_id).where(
                Department.tenant_id == tenant_id, Department.wecom_id.in_(wanted)
            )
        )
    )


def tags(session: Session, tenant_id: int, tag_ids: Iterable[int]) -> list[Tag]:
    wanted = list(set(tag_ids))
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Tag).where(
                Tag.tenant_id == tenant_id, Tag.id.in_(wanted), Tag.deleting.is_(False)
            )
        )
    )


def claim_due(session: Session, now: dt.datetime, limit: int = 500) -> list[tuple[int, int]]:
    """Scheduled posts whose time has come, each claimed once: ``due_at`` is cleared by an
    UPDATE that only one caller's row count can win, whoever else runs at the same minute."""
    due = list(
        session.execute(
            select(MomentPost.id, MomentPost.tenant_id)
            .where(MomentPost.state == SCHEDULED, MomentPost.due_at <= now)
            .order_by(MomentPost.due_at)
            .limit(limit)
        ).all()
    )
    claimed = []
    for post_id, tenant_id in due:
        won = session.execute(
            update(MomentPost)
            .where(
                MomentPost.id == post_id,
                MomentPost.state == SCHEDULED,
                MomentPost.due_at.is_not(None),
            )
            .values(due_at=None)
            .execution_options(synchronize_session=False)
        )
        if won.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append((tenant_id, post_id))
    return claimed


def tenants_to_sync(session: Session, now: dt.datetime, *, age: dt.timedelta) -> list[int]:
    """Tenants with created posts younger than ``age``: their results are still read."""
    return list(
        session.scalars(
            select(MomentPost.tenant_id)
            .where(
                MomentPost.state == CREATED,
                MomentPost.created_in_wecom_at >= now - age,
            )
            .distinct()
        )
    )


def posts_to_sync(
    session: Session, tenant_id: int, now: dt.datetime, *, age: dt.timedelta
) -> list[MomentPost]:
    return list(
        session.scalars(
            select(MomentPost)
            .where(
                MomentPost.tenant_id == tenant_id,
                MomentPost.state == CREATED,
                MomentPost.created_in_wecom_at >= now - age,
            )
            .order_by(MomentPost.id)
        )
    )


def used_moment_ids(session: Session, tenant_id: int) -> set[str]:
    return set(
        session.scalars(
            select(MomentPost.moment_id).where(
                MomentPost.tenant_id == tenant_id,
                MomentPost.moment_id.is_not(None),
            )
        )
    )
