"""Queries of the customers domain."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Exists, Select, exists, func, or_, select
from sqlalchemy.orm import Session

from siyu.customers import phones
from siyu.customers.models import (
    ChurnAlert,
    Customer,
    CustomerPhone,
    CustomerSyncRun,
    Follow,
    TimelineEvent,
)
from siyu.staff.models import StaffAccount
from siyu.tags.models import CustomerTag, Tag, TagGroup


@dataclass(frozen=True)
class Visible:
    """The customers a member limited to some stores may see (a shop manager): those owned by
    the staff accounts of their stores, and those recorded as customers of their stores."""

    userids: frozenset[str]
    store_ids: frozenset[int]

    def admits(self, customer: Customer) -> bool:
        return customer.owner_userid in self.userids or customer.store_id in self.store_ids

    def clause(self) -> ColumnElement[bool]:
        return or_(
            Customer.owner_userid.in_(sorted(self.userids)),
            Customer.store_id.in_(sorted(self.store_ids)),
        )


@dataclass(frozen=True)
class CustomerFilter:
    q: str | None = None
    tag_ids: tuple[int, ...] = ()
    owner_userid: str | None = None
    status: str | None = None
    channel: str | None = None
    added_from: dt.date | None = None
    added_to: dt.date | None = None
    store_id: int | None = None
    visible: Visible | None = None  # None: every customer of the tenant


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(tenant_id: int, f: CustomerFilter) -> Select[Customer]:
    query = select(Customer).where(Customer.tenant_id == tenant_id)
    if f.visible is not None:
        query = query.where(f.visible.clause())
    if f.store_id is not None:
        query = query.where(Customer.store_id == f.store_id)
    if f.q and f.q.strip():
        text = f.q.strip()
        try:
            phone_hash = phones.lookup_hash(phones.normalise(text))
        except phones.BadPhone:
            phone_hash = None
        by_name = Customer.name.like(f"%{_escape(text)}%", escape="\\")
        if phone_hash:
            by_phone = exists().where(
                CustomerPhone.tenant_id == tenant_id,
                CustomerPhone.phone_hash == phone_hash,
                CustomerPhone.customer_id == Customer.id,
            )
            query = query.where(or_(by_name, by_phone))
        else:
            query = query.where(
                or_(by_name, Customer.external_userid == text, _remark_matches(text))
            )
    for tag_id in f.tag_ids:  # all of the tags
        query = query.where(
            exists().where(CustomerTag.customer_id == Customer.id, CustomerTag.tag_id == tag_id)
        )
    if f.owner_userid:
        query = query.where(Customer.owner_userid == f.owner_userid)
    if f.status:
        query = query.where(Customer.status == f.status)
    if f.channel:
        query = query.where(
            or_(
                Customer.source_channel == f.channel,
                exists().where(Follow.customer_id == Customer.id, Follow.state == f.channel),
            )
        )
    if f.added_from:
        start = dt.datetime.combine(f.added_from, dt.time(), dt.UTC) - dt.timedelta(hours=8)
        query = query.where(Customer.first_added_at >= start)
    if f.added_to:
        end = dt.datetime.combine(f.added_to, dt.time(), dt.UTC) + dt.timedelta(hours=16)
        query = query.where(Customer.first_added_at < end)
    return query


def _remark_matches(text: str) -> Exists:
    """Staff know many customers by the remark they gave them (刘姐·老客)."""
    return exists().where(
        Follow.customer_id == Customer.id,
        Follow.remark.like(f"%{_escape(text)}%", escape="\\"),
    )


def page(
    session: Session, tenant_id: int, f: CustomerFilter, *, offset: int, limit: int
) -> tuple[Sequence[Customer], int]:
    query = filtered(tenant_id, f)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.scalars(
        query.order_by(Customer.first_added_at.desc(), Customer.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def tags_of(session: Session, customer_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
    found: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    if not customer_ids:
        return found
    for customer_id, tag_id, name, group in session.execute(
        select(CustomerTag.customer_id, Tag.id, Tag.name, TagGroup.name)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .join(TagGroup, TagGroup.id == Tag.group_id)
        .where(CustomerTag.customer_id.in_(customer_ids))
        .order_by(TagGroup.order.desc(), TagGroup.id, Tag.order.desc(), Tag.id)
    ).all():
        found[customer_id].append((tag_id, name, group))
    return found


def phones_of(session: Session, customer_ids: list[int]) -> dict[int, list[CustomerPhone]]:
    found: dict[int, list[CustomerPhone]] = defaultdict(list)
    if customer_ids:
        rows = session.scalars(
            select(CustomerPhone).where(CustomerPhone.customer_id.in_(customer_ids))
        ).all()
        for phone in sorted(rows, key=lambda p: p.id):  # oldest first, sorted here (see imports)
            found[phone.customer_id].append(phone)
    return found


def staff_names(session: Session, tenant_id: int, userids: set[str]) -> dict[str, str]:
    if not userids:
        return {}
    return dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.name).where(
                StaffAccount.tenant_id == tenant_id, StaffAccount.userid.in_(userids)
            )
        ).all()
    )


def get(session: Session, tenant_id: int, customer_id: int) -> Customer | None:
    customer = session.get(Customer, customer_id)
    return customer if customer is not None and customer.tenant_id == tenant_id else None


def visible_ids(
    session: Session, tenant_id: int, customer_ids: list[int], visible: Visible
) -> list[int]:
    """Those of ``customer_ids`` that ``visible`` admits."""
    return list(
        session.scalars(
            select(Customer.id).where(
                Customer.tenant_id == tenant_id, Customer.id.in_(customer_ids), visible.clause()
            )
        )
    )


def follows_of(session: Session, customer_id: int) -> Sequence[Follow]:
    return session.scalars(
        select(Follow).where(Follow.customer_id == customer_id).order_by(Follow.added_at)
    ).all()


def timeline_page(
    session: Session, customer_id: int, *, offset: int, limit: int
) -> tuple[Sequence[TimelineEvent], int]:
    query = select(TimelineEvent).where(TimelineEvent.customer_id == customer_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def alerts(
    session: Session,
    tenant_id: int,
    *,
    handled: bool | None,
    customer_id: int | None = None,
    owner_userid: str | None = None,
    visible: Visible | None = None,
    offset: int = 0,
    limit: int = 100,
) -> tuple[list[tuple[ChurnAlert, str]], int]:
    query = (
        select(ChurnAlert, Customer.name)
        .join(Customer, Customer.id == ChurnAlert.customer_id)
        .where(ChurnAlert.tenant_id == tenant_id)
    )
    if handled is not None:
        query = query.where(
            ChurnAlert.handled_at.is_not(None) if handled else ChurnAlert.handled_at.is_(None)
        )
    if customer_id is not None:
        query = query.where(ChurnAlert.customer_id == customer_id)
    if owner_userid:
        query = query.where(ChurnAlert.userid == owner_userid)
    if visible is not None:
        query = query.where(visible.clause())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(ChurnAlert.at.desc(), ChurnAlert.id.desc()).offset(offset).limit(limit)
    ).all()
    return [(a, n) for a, n in rows], total


def latest_run(session: Session, tenant_id: int) -> CustomerSyncRun | None:
    return session.scalar(
        select(CustomerSyncRun)
        .where(CustomerSyncRun.tenant_id == tenant_id)
        .order_by(CustomerSyncRun.id.desc())
        .limit(1)
    )


def count(session: Session, tenant_id: int) -> int:
    return session.scalar(select(func.count()).where(Customer.tenant_id == tenant_id)) or 0
