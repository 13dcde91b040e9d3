"""The reference evaluator: a rule as one SQL query over customers. It runs on any database
Siyu supports and is what the bitmap index must agree with."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, extract, false, func, not_, or_, select
from sqlalchemy.orm import Session

from siyu.chats.models import CustomerChatStats
from siyu.codes.routing import LOCAL_TZ
from siyu.customers.models import ACTIVE, ERASED, LOST, Customer
from siyu.groups.models import ACTIVE as GROUP_ACTIVE
from siyu.groups.models import Group, GroupMember
from siyu.segments.rules import And, Cond, Not, Or, Rule, birthdays, day_range
from siyu.tags.models import CustomerTag

COLUMNS = {
    "city": Customer.city,
    "level": Customer.member_level,
    "channel": Customer.source_channel,
    "owner": Customer.owner_userid,
}


@dataclass(frozen=True)
class Context:
    """What a rule means today: the China date, and the stores of each region it names."""

    today: dt.date
    region_stores: dict[int, frozenset[int]] = field(default_factory=dict)

    def stores_of(self, regions: tuple[int, ...]) -> frozenset[int]:
        found: set[int] = set()
        for region in regions:
            found |= self.region_stores.get(region, frozenset())
        return frozenset(found)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)


def current_memberships() -> Select[int, int | None]:
    """(group, customer) of customers in a group now: an open stay in a group not dismissed."""
    return (
        select(GroupMember.group_id, GroupMember.customer_id)
        .join(Group, Group.id == GroupMember.group_id)
        .where(
            GroupMember.left_at.is_(None),
            GroupMember.customer_id.is_not(None),
            Group.status == GROUP_ACTIVE,
        )
    )


def members(tenant_id: int, rule: Rule, ctx: Context) -> Select[Any]:
    """The ids of the tenant's customers the rule selects (erased people never)."""
    return select(Customer.id).where(
        Customer.tenant_id == tenant_id, Customer.status != ERASED, where(rule, ctx)
    )


def count(session: Session, tenant_id: int, rule: Rule, ctx: Context) -> int:
    query = select(func.count()).select_from(members(tenant_id, rule, ctx).subquery())
    return int(session.execute(query).scalar_one())


def where(rule: Rule, ctx: Context) -> ColumnElement[bool]:
    if isinstance(rule, And):
        return and_(*(where(part, ctx) for part in rule.parts))
    if isinstance(rule, Or):
        return or_(*(where(part, ctx) for part in rule.parts))
    if isinstance(rule, Not):
        return not_(where(rule.part, ctx))
    return _condition(rule, ctx)


def _tagged(tag_ids: tuple[int, ...]) -> ColumnElement[bool]:
    return exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag_id.in_(tag_ids))


def _in_days(column: Any, cond: Cond, ctx: Context) -> ColumnElement[bool]:
    start, end = day_range(cond, ctx.today)
    parts = []
    if start is not None:
        parts.append(column >= local_midnight(start))
    if end is not None:
        parts.append(column < local_midnight(end + dt.timedelta(days=1)))
    return and_(*parts)


def _known(column: Any, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """A condition that is false, never NULL, when the column is NULL — so ``not`` of it
    selects the customers without a value, as the bitmap index does."""
    return and_(column.is_not(None), condition)


def _condition(cond: Cond, ctx: Context) -> ColumnElement[bool]:  # noqa: PLR0912
    f, op, value = cond.field, cond.op, cond.value
    if f == "tags":
        if op == "any":
            return _tagged(value)
        if op == "all":
            return and_(*(_tagged((tag,)) for tag in value))
        return not_(_tagged(value))
    if f in COLUMNS:
        column = COLUMNS[f]
        if op == "empty":
            return or_(column.is_(None), column == "")
        return _known(column, column.in_(value))
    if f == "gender":
        return Customer.gender.in_(value)
    if f == "store":
        if op == "empty":
            return Customer.store_id.is_(None)
        return _known(Customer.store_id, Customer.store_id.in_(value))
    if f == "region":
        stores = ctx.stores_of(value)
        if not stores:
            return false()
        return _known(Customer.store_id, Customer.store_id.in_(sorted(stores)))
    if f == "added_at":
        if op == "empty":
            return Customer.first_added_at.is_(None)
        return _known(Customer.first_added_at, _in_days(Customer.first_added_at, cond, ctx))
    if f == "chat_last":
        stats = select(CustomerChatStats.id).where(
            CustomerChatStats.customer_id == Customer.id,
            CustomerChatStats.last_inbound_at.is_not(None),
        )
        if op == "empty":
            return not_(stats.exists())
        return stats.where(_in_days(CustomerChatStats.last_inbound_at, cond, ctx)).exists()
    if f == "chat_count":
        counted = select(CustomerChatStats.id).where(CustomerChatStats.customer_id == Customer.id)
        if op == "gte":
            return counted.where(CustomerChatStats.inbound_count >= value).exists()
        return not_(counted.where(CustomerChatStats.inbound_count > value).exists())
    if f == "birthday":
        if op == "empty":
            return Customer.birthday.is_(None)
        by_month: dict[int, list[int]] = {}
        for month, day in birthdays(cond, ctx.today):
            by_month.setdefault(month, []).append(day)
        month_of, day_of = extract("month", Customer.birthday), extract("day", Customer.birthday)
        return _known(
            Customer.birthday,
            or_(*(and_(month_of == m, day_of.in_(days)) for m, days in by_month.items())),
        )
    if f == "follow":
        return Customer.status == (ACTIVE if value == "friend" else LOST)
    if f == "group":
        current = current_memberships().where(GroupMember.customer_id == Customer.id)
        if op == "exists":
            return current.exists()
        return current.where(GroupMember.group_id.in_(value)).exists()
    raise AssertionError(f"unhandled field {f}")
