"""Regions, stores, who works for them and who looks after them; rotation of the people who
operate staff accounts. Never commits.

Scope: owners, admins and operators see every store and customer. A shop manager sees the
stores they look after, and the customers owned by the staff accounts of those stores or
recorded as customers of those stores.

Rotation: head office changes which person operates a staff account (the seeds rotate every
two weeks). Each period ``[started_at, ended_at)`` is kept, so results are credited to the
person who ran the account at the time (:func:`operator_at`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.auth.permissions import Role
from siyu.auth.principal import Principal
from siyu.db import utcnow
from siyu.errors import Conflict, NotFound, SiyuError
from siyu.staff.models import StaffAccount
from siyu.stores import repository
from siyu.stores.errors import (
    IncompleteLocation,
    NotShopManager,
    RegionInUse,
    RegionNameTaken,
    RotationOutOfOrder,
    StoreCodeTaken,
    StoreInUse,
    StoreNameTaken,
)
from siyu.stores.models import MemberStore, Region, StaffRotation, Store, StoreAssignment
from siyu.users.models import User

# Roles that see every store and every customer of the tenant.
UNSCOPED_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.OPERATOR})
STORE_FIELDS = (
    "name",
    "code",
    "region_id",
    "city",
    "address",
    "latitude",
    "longitude",
    "phone",
    "status",
)
TEXT_FIELDS = frozenset({"city", "address", "phone"})


def _flush(session: Session, error: SiyuError) -> None:
    """Flush in a savepoint: a unique key taken meanwhile by another request becomes ``error``."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise error from None


# --- scope -----------------------------------------------------------------------------------


def scope_store_ids(session: Session, principal: Principal) -> set[int] | None:
    """The stores a member is limited to, or None when they see every store. API tokens and
    Siyu itself see everything; a member with no store link sees nothing."""
    if principal.role is None or principal.role in UNSCOPED_ROLES:
        return None
    if principal.role == Role.SHOP_MANAGER and principal.user_id is not None:
        return repository.stores_of_member(session, principal.tenant_id, principal.user_id)
    return set()


def scope_userids(session: Session, principal: Principal) -> set[str] | None:
    """The WeCom userids of the staff accounts whose customers a member may see, or None when
    they see every customer: for a shop manager, the accounts assigned to their stores."""
    store_ids = scope_store_ids(session, principal)
    if store_ids is None:
        return None
    return repository.userids_of_stores(session, principal.tenant_id, store_ids)


# --- regions ---------------------------------------------------------------------------------


def region(session: Session, tenant_id: int, region_id: int) -> Region:
    found = repository.get_region(session, tenant_id, region_id)
    if found is None:
        raise NotFound("region")
    return found


def create_region(session: Session, tenant_id: int, *, name: str, order: int) -> Region:
    if repository.region_named(session, tenant_id, name) is not None:
        raise RegionNameTaken(name=name)
    created = Region(tenant_id=tenant_id, name=name, order=order)
    session.add(created)
    _flush(session, RegionNameTaken(name=name))
    return created


def edit_region(
    session: Session, target: Region, changes: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Rename or reorder; returns what changed, (before, after) by field."""
    changed: dict[str, tuple[Any, Any]] = {}
    name = changes.get("name")
    if name is not None and name != target.name:
        if repository.region_named(session, target.tenant_id, name) is not None:
            raise RegionNameTaken(name=name)
        changed["name"] = (target.name, name)
        target.name = name
    order = changes.get("order")
    if order is not None and order != target.order:
        changed["order"] = (target.order, order)
        target.order = order
    if changed:
        target.updated_at = utcnow()
        _flush(session, RegionNameTaken(name=target.name))
    return changed


def delete_region(session: Session, target: Region) -> None:
    stores = repository.stores_in_region(session, target.tenant_id, target.id)
    if stores:
        raise RegionInUse(name=target.name, stores=stores)
    session.delete(target)
    session.flush()


# --- stores ----------------------------------------------------------------------------------


def store(session: Session, principal: Principal, store_id: int) -> Store:
    """A store of the caller's tenant and scope; stores out of scope are not found."""
    found = repository.get_store(session, principal.tenant_id, store_id)
    scope = scope_store_ids(session, principal)
    if found is None or (scope is not None and found.id not in scope):
        raise NotFound("store")
    return found


def snapshot(target: Store) -> dict[str, Any]:
    return {name: getattr(target, name) for name in STORE_FIELDS}


def _check(session: Session, target: Store) -> None:
    """The rules a store holds to after every change."""
    if (target.latitude is None) != (target.longitude is None):
        raise IncompleteLocation
    if target.region_id is not None:
        region(session, target.tenant_id, target.region_id)
    named = repository.store_named(session, target.tenant_id, target.name)
    if named is not None and named is not target:
        raise StoreNameTaken(name=target.name)
    if target.code is not None:
        coded = repository.store_with_code(session, target.tenant_id, target.code)
        if coded is not None and coded is not target:
            raise StoreCodeTaken(code=target.code, other=coded.name)


def create_store(session: Session, tenant_id: int, data: dict[str, Any]) -> Store:
    created = Store(tenant_id=tenant_id, **{k: v for k, v in data.items() if k in STORE_FIELDS})
    created.code = created.code or None  # an empty code is no code
    with session.no_autoflush:
        _check(session, created)
    session.add(created)
    _flush(session, StoreNameTaken(name=created.name))
    return created


def edit_store(
    session: Session, target: Store, changes: dict[str, Any]
) -> dict[str, tuple[Any, Any]]:
    """Apply the fields given; ``None`` clears the code, region, place or a text field."""
    changed: dict[str, tuple[Any, Any]] = {}
    with session.no_autoflush:
        for name, given in changes.items():
            if name not in STORE_FIELDS or (name in ("name", "status") and given is None):
                continue  # a name and a status are never empty
            value = given
            if name in TEXT_FIELDS and given is None:
                value = ""
            elif name == "code" and not given:
                value = None  # an empty code is no code
            before = getattr(target, name)
            if value != before:
                setattr(target, name, value)
                changed[name] = (before, value)
        if changed:
            _check(session, target)
    if changed:
        target.updated_at = utcnow()
        _flush(session, StoreNameTaken(name=target.name))
    return changed


def delete_store(session: Session, target: Store) -> None:
    """Only a store nothing refers to goes; a store that served customers is closed instead."""
    staff, managers, customers = repository.store_usage(session, target.tenant_id, target.id)
    if staff or managers or customers:
        raise StoreInUse(name=target.name, staff=staff, managers=managers, customers=customers)
    session.delete(target)
    session.flush()


@dataclass
class StaffChange:
    added: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    # Accounts taken from another store: account id -> the store they left.
    moved: dict[int, int] = field(default_factory=dict)


def set_staff(session: Session, target: Store, staff_account_ids: list[int]) -> StaffChange:
    """Make ``staff_account_ids`` the store's staff; an account assigned to another store moves
    here (an account works for one store at a time)."""
    wanted = list(dict.fromkeys(staff_account_ids))
    tenant_id = target.tenant_id
    known = set(
        session.scalars(
            select(StaffAccount.id).where(
                StaffAccount.tenant_id == tenant_id, StaffAccount.id.in_(wanted)
            )
        )
    )
    if len(known) != len(wanted):
        raise NotFound("staff_account", detail=[i for i in wanted if i not in known])
    change = StaffChange()
    for held in repository.assignments_of_store(session, target.id):
        if held.staff_account_id not in known:
            change.removed.append(held.staff_account_id)
            session.delete(held)
    current = repository.assignments_of(session, tenant_id, wanted)
    for account_id in wanted:
        assignment = current.get(account_id)
        if assignment is None:
            session.add(
                StoreAssignment(
                    tenant_id=tenant_id, store_id=target.id, staff_account_id=account_id
                )
            )
            change.added.append(account_id)
        elif assignment.store_id != target.id:
            change.moved[account_id] = assignment.store_id
            assignment.store_id = target.id
            change.added.append(account_id)
    _flush(session, Conflict(reason="the store's staff changed meanwhile; reload and retry"))
    return change


def set_managers(
    session: Session, target: Store, user_ids: list[int]
) -> tuple[list[int], list[int]]:
    """Make ``user_ids`` (members with the shop manager role) the store's managers; returns
    the members added and removed."""
    wanted = list(dict.fromkeys(user_ids))
    tenant_id = target.tenant_id
    members = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.tenant_id == tenant_id, User.id.in_(wanted))
        )
    }
    if len(members) != len(wanted):
        raise NotFound("user", detail=[i for i in wanted if i not in members])
    others = [u for u in members.values() if u.role != Role.SHOP_MANAGER]
    if others:
        raise NotShopManager(
            names="、".join(u.display_name for u in others), detail=[u.id for u in others]
        )
    removed = []
    have = set()
    for link in repository.manager_links_of_store(session, target.id):
        if link.user_id in members:
            have.add(link.user_id)
        else:
            removed.append(link.user_id)
            session.delete(link)
    added = [i for i in wanted if i not in have]
    for user_id in added:
        session.add(MemberStore(tenant_id=tenant_id, user_id=user_id, store_id=target.id))
    _flush(session, Conflict(reason="the store's managers changed meanwhile; reload and retry"))
    return added, removed


# --- rotation --------------------------------------------------------------------------------


def staff_account(session: Session, tenant_id: int, account_id: int) -> StaffAccount:
    found = repository.get_staff_account(session, tenant_id, account_id)
    if found is None:
        raise NotFound("staff_account")
    return found


def rotate(
    session: Session,
    tenant_id: int,
    account_id: int,
    *,
    operator_name: str,
    user_id: int | None = None,
    started_at: dt.datetime | None = None,
) -> tuple[StaffRotation, StaffRotation | None]:
    """Hand the account to a person from ``started_at`` (now by default): the open period ends
    there and a new one begins. Returns the new period and the one it closed."""
    account = staff_account(session, tenant_id, account_id)
    if user_id is not None:
        member = session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))
        if member is None:
            raise NotFound("user")
    start = started_at or utcnow()
    latest = repository.latest_rotation(session, tenant_id, account.id)
    if latest is not None:
        floor = latest.started_at if latest.ended_at is None else latest.ended_at
        if start < floor:
            raise RotationOutOfOrder(since=floor.isoformat(), detail={"since": floor.isoformat()})
    closed = repository.open_rotation(session, tenant_id, account.id)
    if closed is not None:
        closed.ended_at = start
        # The close is written first: the one-open-period index never sees two.
        session.flush()
    opened = StaffRotation(
        tenant_id=tenant_id,
        staff_account_id=account.id,
        operator_name=operator_name,
        user_id=user_id,
        started_at=start,
    )
    session.add(opened)
    _flush(session, Conflict(reason="the account was rotated meanwhile; reload and retry"))
    return opened, closed


def operator_at(
    session: Session, tenant_id: int, staff_account_id: int, at: dt.datetime
) -> StaffRotation | None:
    """The period in which ``at`` falls (start inclusive, end exclusive): who operated the
    account at that moment, or None when no one was recorded."""
    if at.tzinfo is None:
        raise ValueError("operator_at needs an aware datetime")
    return repository.rotation_at(session, tenant_id, staff_account_id, at)


# --- demo ------------------------------------------------------------------------------------

# (region, order, ((store, code, city, address, latitude, longitude, phone), ...))
DEMO_REGIONS: tuple[
    tuple[str, int, tuple[tuple[str, str, str, str, float, float, str], ...]], ...
] = (
    (
        "华东",
        20,
        (
            (
                "上海徐汇店",
                "SH-XH-001",
                "上海",
                "上海市徐汇区漕溪北路 88 号",
                31.1885,
                121.4365,
                "021-5555-0101",
            ),
        ),
    ),
    (
        "华北",
        10,
        (
            (
                "北京朝阳店",
                "BJ-CY-001",
                "北京",
                "北京市朝阳区建国路 99 号",
                39.9087,
                116.4600,
                "010-5555-0102",
            ),
        ),
    ),
)
DEMO_MANAGERS = {"上海徐汇店": ("zhangqiang",)}
# (staff account userid, ((operator, member username or "", days ago it began), ...)):
# the account of 徐汇店's 导购 passed between two people every two weeks.
DEMO_ROTATIONS: tuple[tuple[str, tuple[tuple[str, str, int], ...]], ...] = (
    ("wangfang", (("王芳", "wangfang", 42), ("周敏（实习）", "", 28), ("王芳", "wangfang", 14))),
)


def seed_demo(session: Session, tenant_id: int) -> None:
    """The demo brand's regions and stores (matching the sandbox corp's store departments),
    its shop manager, staff assigned by department and one account's rotation history.

    Idempotent: what exists is kept. Staff accounts come from the staff sync, so assignments
    and rotations are made by the first call after the sync has mirrored them."""
    from siyu.sandbox.demo import DEMO_CORP

    department_of = {d.name: d.id for d in DEMO_CORP.departments}
    accounts = list(
        session.scalars(select(StaffAccount).where(StaffAccount.tenant_id == tenant_id))
    )
    members = {
        u.username: u for u in session.scalars(select(User).where(User.tenant_id == tenant_id))
    }
    for region_name, order, stores in DEMO_REGIONS:
        demo_region = repository.region_named(session, tenant_id, region_name)
        if demo_region is None:
            demo_region = create_region(session, tenant_id, name=region_name, order=order)
        for name, code, city, address, latitude, longitude, phone in stores:
            demo_store = repository.store_named(session, tenant_id, name)
            if demo_store is None:
                demo_store = create_store(
                    session,
                    tenant_id,
                    {
                        "name": name,
                        "code": code,
                        "region_id": demo_region.id,
                        "city": city,
                        "address": address,
                        "latitude": latitude,
                        "longitude": longitude,
                        "phone": phone,
                    },
                )
            department = department_of.get(name)
            in_department = [a.id for a in accounts if department in a.department_ids]
            unassigned = set(in_department) - set(
                repository.assignments_of(session, tenant_id, in_department)
            )
            for account_id in sorted(unassigned):
                session.add(
                    StoreAssignment(
                        tenant_id=tenant_id, store_id=demo_store.id, staff_account_id=account_id
                    )
                )
            linked = {m.id for m in repository.managers_of_store(session, demo_store.id)}
            for username in DEMO_MANAGERS.get(name, ()):
                manager = members.get(username)
                if manager is not None and manager.id not in linked:
                    session.add(
                        MemberStore(tenant_id=tenant_id, user_id=manager.id, store_id=demo_store.id)
                    )
    session.flush()
    today = utcnow().replace(hour=1, minute=0, second=0, microsecond=0)  # 09:00 in China
    by_userid = {a.userid: a for a in accounts}
    for userid, periods in DEMO_ROTATIONS:
        account = by_userid.get(userid)
        if account is None or repository.latest_rotation(session, tenant_id, account.id):
            continue
        for operator, username, days_ago in periods:
            member = members.get(username) if username else None
            rotate(
                session,
                tenant_id,
                account.id,
                operator_name=operator,
                user_id=member.id if member else None,
                started_at=today - dt.timedelta(days=days_ago),
            )
