"""Mirror the corp's departments and staff accounts from WeCom. Never commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.staff.models import Department, StaffAccount
from siyu.wecom import schemas

ACTIVE, LEFT = "active", "left"
SYNC_JOB = "staff.sync"


@dataclass(frozen=True)
class Directory:
    """What WeCom said, read outside any transaction."""

    departments: list[schemas.Department]
    members: list[schemas.Member]
    customer_contact: set[str]


@dataclass(frozen=True)
class SyncCounts:
    active: int
    left: int
    departments: int


def apply(session: Session, tenant_id: int, directory: Directory, now: dt.datetime) -> SyncCounts:
    """Make the mirror match ``directory``: add and update what WeCom lists; members WeCom no
    longer lists (or lists as left) are kept, marked left; departments it no longer lists go."""
    known_departments = {
        d.wecom_id: d
        for d in session.scalars(select(Department).where(Department.tenant_id == tenant_id))
    }
    for incoming in directory.departments:
        department = known_departments.pop(incoming.id, None)
        if department is None:
            department = Department(tenant_id=tenant_id, wecom_id=incoming.id)
            session.add(department)
        department.name = incoming.name
        department.parent_wecom_id = incoming.parentid
        department.order = incoming.order
        department.synced_at = now
    for gone in known_departments.values():
        session.delete(gone)

    known_staff = {
        s.userid: s
        for s in session.scalars(select(StaffAccount).where(StaffAccount.tenant_id == tenant_id))
    }
    listed: set[str] = set()
    for member in directory.members:
        if member.userid in listed:  # a member of several departments is listed once each
            continue
        listed.add(member.userid)
        account = known_staff.get(member.userid)
        if account is None:
            account = StaffAccount(tenant_id=tenant_id, userid=member.userid)
            session.add(account)
            known_staff[member.userid] = account
        account.name = member.name
        account.position = member.position
        account.department_ids = list(member.department)
        account.main_department = member.main_department
        account.customer_contact = member.userid in directory.customer_contact
        account.synced_at = now
        if member.status == 5:
            _mark_left(account, now)
        else:
            account.status, account.left_at = ACTIVE, None
    for userid, account in known_staff.items():
        if userid not in listed:
            _mark_left(account, now)
            account.customer_contact = False
    session.flush()
    statuses = [a.status for a in known_staff.values()]
    return SyncCounts(statuses.count(ACTIVE), statuses.count(LEFT), len(directory.departments))


def _mark_left(account: StaffAccount, now: dt.datetime) -> None:
    if account.status != LEFT:
        account.status, account.left_at = LEFT, now
