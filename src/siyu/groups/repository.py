"""Queries of the groups domain."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.codes.routing import LOCAL_TZ, local
from siyu.customers.models import Customer
from siyu.groups.models import (
    DELETED,
    Group,
    GroupCode,
    GroupCodeGroup,
    GroupMember,
    GroupMessageDay,
    GroupSyncRun,
    GroupWelcome,
)
from siyu.staff.models import StaffAccount


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page(
    session: Session,
    tenant_id: int,
    *,
    offset: int,
    limit: int,
    q: str | None = None,
    owner_userid: str | None = None,
    status: str | None = None,
) -> tuple[list[Group], int]:
    query = select(Group).where(Group.tenant_id == tenant_id)
    if q and q.strip():
        query = query.where(Group.name.like(f"%{_escape(q.strip())}%", escape="\\"))
    if owner_userid:
        query = query.where(Group.owner_userid == owner_userid)
    if status:
        query = query.where(Group.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Group.status, Group.member_count.desc(), Group.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def get(session: Session, tenant_id: int, group_id: int) -> Group | None:
    return session.scalar(select(Group).where(Group.tenant_id == tenant_id, Group.id == group_id))


def staff_names(session: Session, tenant_id: int, userids: set[str]) -> dict[str, str]:
    if not userids:
        return {}
    return dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.name).where(
                StaffAccount.tenant_id == tenant_id, StaffAccount.userid.in_(sorted(userids))
            )
        ).all()
    )


def code_names_by_group(session: Session, group_ids: Sequence[int]) -> dict[int, list[str]]:
    result: dict[int, list[str]] = defaultdict(list)
    if not group_ids:
        return result
    for group_id, name in session.execute(
        select(GroupCodeGroup.group_id, GroupCode.name)
        .join(GroupCode, GroupCode.id == GroupCodeGroup.code_id)
        .where(GroupCodeGroup.group_id.in_(group_ids), GroupCode.status != DELETED)
        .order_by(GroupCode.id)
    ).all():
        result[group_id].append(name)
    return result


def members(
    session: Session,
    group_id: int,
    *,
    current: bool,
    offset: int,
    limit: int,
    member_type: str | None = None,
) -> tuple[list[GroupMember], int]:
    query = select(GroupMember).where(GroupMember.group_id == group_id)
    query = query.where(
        GroupMember.left_at.is_(None) if current else GroupMember.left_at.is_not(None)
    )
    if member_type:
        query = query.where(GroupMember.member_type == member_type)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    order = GroupMember.joined_at.desc() if current else GroupMember.left_at.desc()
    rows = session.scalars(query.order_by(order, GroupMember.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def customer_names(session: Session, customer_ids: set[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    return dict(
        session.execute(
            select(Customer.id, Customer.name).where(Customer.id.in_(sorted(customer_ids)))
        ).all()
    )


def code_names_by_state(session: Session, tenant_id: int, states: set[str]) -> dict[str, str]:
    if not states:
        return {}
    return dict(
        session.execute(
            select(GroupCode.state, GroupCode.name).where(
                GroupCode.tenant_id == tenant_id, GroupCode.state.in_(sorted(states))
            )
        ).all()
    )


def daily_counts(
    session: Session, group_id: int, since: dt.date
) -> dict[dt.date, tuple[int, int, int]]:
    """Joins, leaves and messages per China day from ``since`` on."""
    start = dt.datetime.combine(since, dt.time(), LOCAL_TZ).astimezone(dt.UTC)
    result: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for column, index in ((GroupMember.joined_at, 0), (GroupMember.left_at, 1)):
        for at in session.scalars(
            select(column).where(GroupMember.group_id == group_id, column >= start)
        ):
            if at is not None:
                result[local(at).date()][index] += 1
    for day, messages in session.execute(
        select(GroupMessageDay.day, GroupMessageDay.messages).where(
            GroupMessageDay.group_id == group_id, GroupMessageDay.day >= since
        )
    ):
        result[day][2] += messages
    return {d: (c[0], c[1], c[2]) for d, c in result.items()}


def latest_run(session: Session, tenant_id: int) -> GroupSyncRun | None:
    return session.scalar(
        select(GroupSyncRun)
        .where(GroupSyncRun.tenant_id == tenant_id)
        .order_by(GroupSyncRun.id.desc())
        .limit(1)
    )


def count(session: Session, tenant_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(Group.tenant_id == tenant_id, Group.status == "active")
        )
        or 0
    )


def codes_page(
    session: Session, tenant_id: int, *, offset: int, limit: int
) -> tuple[list[GroupCode], int]:
    query = select(GroupCode).where(GroupCode.tenant_id == tenant_id, GroupCode.status != DELETED)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(GroupCode.id.desc()).offset(offset).limit(limit))
    return list(rows), total


def welcome_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        session.execute(
            select(GroupWelcome.id, GroupWelcome.name).where(GroupWelcome.id.in_(sorted(ids)))
        ).all()
    )


def welcomes(session: Session, tenant_id: int) -> list[GroupWelcome]:
    return list(
        session.scalars(
            select(GroupWelcome)
            .where(GroupWelcome.tenant_id == tenant_id)
            .order_by(GroupWelcome.id.desc())
        )
    )
