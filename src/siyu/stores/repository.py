"""Queries of regions, stores, their staff and managers, and staff-account rotations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.staff.models import StaffAccount
from siyu.stores.models import MemberStore, Region, StaffRotation, Store, StoreAssignment
from siyu.users.models import User


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- regions ---------------------------------------------------------------------------------


def get_region(session: Session, tenant_id: int, region_id: int) -> Region | None:
    return session.scalar(
        select(Region).where(Region.tenant_id == tenant_id, Region.id == region_id)
    )


def region_named(session: Session, tenant_id: int, name: str) -> Region | None:
    return session.scalar(select(Region).where(Region.tenant_id == tenant_id, Region.name == name))


def regions_with_counts(session: Session, tenant_id: int) -> list[tuple[Region, int]]:
    counts = dict(
        session.execute(
            select(Store.region_id, func.count())
            .where(Store.tenant_id == tenant_id, Store.region_id.is_not(None))
            .group_by(Store.region_id)
        ).all()
    )
    regions = session.scalars(
        select(Region).where(Region.tenant_id == tenant_id).order_by(Region.order.desc(), Region.id)
    )
    return [(r, counts.get(r.id, 0)) for r in regions]


def stores_in_region(session: Session, tenant_id: int, region_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(Store.tenant_id == tenant_id, Store.region_id == region_id)
        )
        or 0
    )


# --- stores ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreFilter:
    region_id: int | None = None
    city: str | None = None
    status: str | None = None
    q: str | None = None
    # A shop manager's stores; None for members who see every store.
    store_ids: Collection[int] | None = None


def get_store(session: Session, tenant_id: int, store_id: int) -> Store | None:
    return session.scalar(select(Store).where(Store.tenant_id == tenant_id, Store.id == store_id))


def store_named(session: Session, tenant_id: int, name: str) -> Store | None:
    return session.scalar(select(Store).where(Store.tenant_id == tenant_id, Store.name == name))


def store_with_code(session: Session, tenant_id: int, code: str) -> Store | None:
    return session.scalar(select(Store).where(Store.tenant_id == tenant_id, Store.code == code))


def store_page(
    session: Session, tenant_id: int, f: StoreFilter, *, offset: int, limit: int
) -> tuple[Sequence[Store], int]:
    query = select(Store).where(Store.tenant_id == tenant_id)
    if f.store_ids is not None:
        query = query.where(Store.id.in_(list(f.store_ids)))
    if f.region_id is not None:
        query = query.where(Store.region_id == f.region_id)
    if f.city and f.city.strip():
        query = query.where(Store.city == f.city.strip())
    if f.status:
        query = query.where(Store.status == f.status)
    if f.q and f.q.strip():
        pattern = f"%{_escape(f.q.strip())}%"
        query = query.where(
            or_(
                Store.name.like(pattern, escape="\\"),
                Store.code.like(pattern, escape="\\"),
                Store.address.like(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Store.name, Store.id).offset(offset).limit(limit)).all()
    return rows, total


def region_names(session: Session, region_ids: set[int]) -> dict[int, str]:
    if not region_ids:
        return {}
    return dict(
        session.execute(select(Region.id, Region.name).where(Region.id.in_(region_ids))).all()
    )


def staff_counts(session: Session, store_ids: list[int]) -> dict[int, int]:
    if not store_ids:
        return {}
    return dict(
        session.execute(
            select(StoreAssignment.store_id, func.count())
            .where(StoreAssignment.store_id.in_(store_ids))
            .group_by(StoreAssignment.store_id)
        ).all()
    )


def staff_of_store(session: Session, store_id: int) -> Sequence[StaffAccount]:
    return session.scalars(
        select(StaffAccount)
        .join(StoreAssignment, StoreAssignment.staff_account_id == StaffAccount.id)
        .where(StoreAssignment.store_id == store_id)
        .order_by(StaffAccount.status, StaffAccount.name, StaffAccount.id)
    ).all()


def managers_of_store(session: Session, store_id: int) -> Sequence[User]:
    return session.scalars(
        select(User)
        .join(MemberStore, MemberStore.user_id == User.id)
        .where(MemberStore.store_id == store_id)
        .order_by(User.display_name, User.id)
    ).all()


def assignments_of(
    session: Session, tenant_id: int, staff_account_ids: Collection[int]
) -> dict[int, StoreAssignment]:
    """The current assignment of each of these accounts, wherever it is."""
    if not staff_account_ids:
        return {}
    return {
        a.staff_account_id: a
        for a in session.scalars(
            select(StoreAssignment).where(
                StoreAssignment.tenant_id == tenant_id,
                StoreAssignment.staff_account_id.in_(list(staff_account_ids)),
            )
        )
    }


def assignments_of_store(session: Session, store_id: int) -> Sequence[StoreAssignment]:
    return session.scalars(
        select(StoreAssignment).where(StoreAssignment.store_id == store_id)
    ).all()


def manager_links_of_store(session: Session, store_id: int) -> Sequence[MemberStore]:
    return session.scalars(select(MemberStore).where(MemberStore.store_id == store_id)).all()


def store_usage(session: Session, tenant_id: int, store_id: int) -> tuple[int, int, int]:
    """What refers to a store: staff accounts, shop managers, customers."""
    staff = session.scalar(select(func.count()).where(StoreAssignment.store_id == store_id))
    managers = session.scalar(select(func.count()).where(MemberStore.store_id == store_id))
    customers = session.scalar(
        select(func.count()).where(Customer.tenant_id == tenant_id, Customer.store_id == store_id)
    )
    return staff or 0, managers or 0, customers or 0


# --- scope -----------------------------------------------------------------------------------


def stores_of_member(session: Session, tenant_id: int, user_id: int) -> set[int]:
    return set(
        session.scalars(
            select(MemberStore.store_id).where(
                MemberStore.tenant_id == tenant_id, MemberStore.user_id == user_id
            )
        )
    )


def userids_of_stores(session: Session, tenant_id: int, store_ids: Collection[int]) -> set[str]:
    if not store_ids:
        return set()
    return set(
        session.scalars(
            select(StaffAccount.userid)
            .join(StoreAssignment, StoreAssignment.staff_account_id == StaffAccount.id)
            .where(
                StoreAssignment.tenant_id == tenant_id,
                StoreAssignment.store_id.in_(list(store_ids)),
            )
        )
    )


# --- rotations -------------------------------------------------------------------------------


def get_staff_account(session: Session, tenant_id: int, account_id: int) -> StaffAccount | None:
    return session.scalar(
        select(StaffAccount).where(
            StaffAccount.tenant_id == tenant_id, StaffAccount.id == account_id
        )
    )


def rotation_page(
    session: Session, tenant_id: int, account_id: int, *, offset: int, limit: int
) -> tuple[Sequence[StaffRotation], int]:
    query = select(StaffRotation).where(
        StaffRotation.tenant_id == tenant_id, StaffRotation.staff_account_id == account_id
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(StaffRotation.started_at.desc(), StaffRotation.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def latest_rotation(session: Session, tenant_id: int, account_id: int) -> StaffRotation | None:
    return session.scalar(
        select(StaffRotation)
        .where(StaffRotation.tenant_id == tenant_id, StaffRotation.staff_account_id == account_id)
        .order_by(StaffRotation.started_at.desc(), StaffRotation.id.desc())
        .limit(1)
    )


def open_rotation(session: Session, tenant_id: int, account_id: int) -> StaffRotation | None:
    return session.scalar(
        select(StaffRotation).where(
            StaffRotation.tenant_id == tenant_id,
            StaffRotation.staff_account_id == account_id,
            StaffRotation.ended_at.is_(None),
        )
    )


def rotation_at(
    session: Session, tenant_id: int, account_id: int, at: dt.datetime
) -> StaffRotation | None:
    return session.scalar(
        select(StaffRotation)
        .where(
            StaffRotation.tenant_id == tenant_id,
            StaffRotation.staff_account_id == account_id,
            StaffRotation.started_at <= at,
            or_(StaffRotation.ended_at.is_(None), StaffRotation.ended_at > at),
        )
        .order_by(StaffRotation.started_at.desc(), StaffRotation.id.desc())
        .limit(1)
    )


def rotations_at(
    session: Session, tenant_id: int, at: dt.datetime
) -> list[tuple[StaffRotation, StaffAccount]]:
    rows = session.execute(
        select(StaffRotation, StaffAccount)
        .join(StaffAccount, StaffAccount.id == StaffRotation.staff_account_id)
        .where(
            StaffRotation.tenant_id == tenant_id,
            StaffRotation.started_at <= at,
            or_(StaffRotation.ended_at.is_(None), StaffRotation.ended_at > at),
        )
        .order_by(StaffAccount.name, StaffAccount.id)
    ).all()
    return [(rotation, account) for rotation, account in rows]
