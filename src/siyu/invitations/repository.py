"""Queries for invitations: the joins traced back to them, their numbers, the list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from siyu.broadcasts.models import R_SENT, Broadcast, BroadcastRecipient
from siyu.customers.models import Customer
from siyu.groups.models import CUSTOMER, Group, GroupCode, GroupCodeGroup, GroupMember
from siyu.invitations.models import Invitation


@dataclass(frozen=True)
class Join:
    customer_id: int
    group_id: int
    joined_at: dt.datetime
    state: str


def get(session: Session, tenant_id: int, invitation_id: int) -> Invitation | None:
    return session.scalar(
        select(Invitation).where(Invitation.tenant_id == tenant_id, Invitation.id == invitation_id)
    )


def page(
    session: Session, tenant_id: int, offset: int, limit: int, q: str | None
) -> tuple[list[Invitation], int]:
    query = select(Invitation).where(Invitation.tenant_id == tenant_id)
    if q:
        query = query.where(Invitation.name.contains(q, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total)


def codes_by_id(session: Session, tenant_id: int, code_ids: set[int]) -> dict[int, GroupCode]:
    if not code_ids:
        return {}
    rows = session.scalars(
        select(GroupCode).where(GroupCode.tenant_id == tenant_id, GroupCode.id.in_(code_ids))
    )
    return {c.id: c for c in rows}


def _joins_query(
    broadcast: Broadcast, code: GroupCode
) -> Select[int | None, int, dt.datetime, str]:
    """Each (customer, group) a recipient joined through the code after the broadcast was
    planned: their first join there."""
    recipients = select(BroadcastRecipient.customer_id).where(
        BroadcastRecipient.broadcast_id == broadcast.id,
        BroadcastRecipient.customer_id.is_not(None),
    )
    listed = select(GroupCodeGroup.group_id).where(
        GroupCodeGroup.tenant_id == code.tenant_id, GroupCodeGroup.code_id == code.id
    )
    through_code = or_(GroupMember.group_id.in_(listed), GroupMember.state == code.state)
    assert broadcast.planned_at is not None
    # WeCom's join times are whole seconds: a join in the second the broadcast went counts.
    since = broadcast.planned_at.replace(microsecond=0)
    return (
        select(
            GroupMember.customer_id,
            GroupMember.group_id,
            func.min(GroupMember.joined_at),
            func.max(GroupMember.state),
        )
        .where(
            GroupMember.tenant_id == broadcast.tenant_id,
            GroupMember.member_type == CUSTOMER,
            GroupMember.customer_id.in_(recipients),
            GroupMember.joined_at >= since,
            through_code,
        )
        .group_by(GroupMember.customer_id, GroupMember.group_id)
    )


def joins(session: Session, broadcast: Broadcast | None, code: GroupCode | None) -> list[Join]:
    """Every join traced back to the invitation, earliest first."""
    if broadcast is None or code is None or broadcast.planned_at is None:
        return []
    rows = session.execute(_joins_query(broadcast, code)).all()
    found = [Join(int(c), int(g), at, state or "") for c, g, at, state in rows if c is not None]
    return sorted(found, key=lambda j: (j.joined_at, j.customer_id, j.group_id))


def delivery(session: Session, broadcast: Broadcast | None) -> tuple[int, int]:
    """(invited, delivered) customers of the broadcast."""
    if broadcast is None:
        return 0, 0
    rows = session.execute(
        select(BroadcastRecipient.status, func.count())
        .where(
            BroadcastRecipient.broadcast_id == broadcast.id,
            BroadcastRecipient.customer_id.is_not(None),
        )
        .group_by(BroadcastRecipient.status)
    ).all()
    counts = {status: int(n) for status, n in rows}
    return sum(counts.values()), counts.get(R_SENT, 0)


def senders(session: Session, broadcast_id: int, customer_ids: set[int]) -> dict[int, str]:
    if not customer_ids:
        return {}
    rows = session.execute(
        select(BroadcastRecipient.customer_id, BroadcastRecipient.sender).where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.customer_id.in_(customer_ids),
        )
    )
    return {int(c): s for c, s in rows if c is not None}


def customer_names(session: Session, tenant_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Customer.id, Customer.name).where(
            Customer.tenant_id == tenant_id, Customer.id.in_(ids)
        )
    )
    return {int(i): n or "" for i, n in rows}


def group_names(session: Session, tenant_id: int, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.execute(
        select(Group.id, Group.name).where(Group.tenant_id == tenant_id, Group.id.in_(ids))
    )
    return {int(i): n or "" for i, n in rows}


def listed_groups(session: Session, code: GroupCode) -> list[tuple[int, str]]:
    """The code's groups in its order."""
    rows = session.execute(
        select(Group.id, Group.name)
        .join(GroupCodeGroup, GroupCodeGroup.group_id == Group.id)
        .where(GroupCodeGroup.tenant_id == code.tenant_id, GroupCodeGroup.code_id == code.id)
        .order_by(GroupCodeGroup.position, Group.id)
    ).all()
    return [(int(i), n or "") for i, n in rows]
