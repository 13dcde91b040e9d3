"""Customer groups kept in step with WeCom. Never commits; never calls WeCom.

What WeCom said (a page of ``groupchat/list``, a ``groupchat/get``, a callback) arrives here and
is applied in bulk: a batch of groups is a handful of statements whatever its size. Applying is
idempotent, so a resumed sync or a repeated callback changes nothing the second time.

Member changes from callbacks are applied at once when our member version is the one the change
started from (``LastMemVer``); otherwise a callback was lost or came out of order, and the group is
marked for a re-read (``refresh_requested_at``), which one coalesced job does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers.models import Customer
from siyu.customers.service import from_timestamp
from siyu.db import insert_rows_ignoring, utcnow
from siyu.groups.models import (
    ACTIVE,
    CUSTOMER,
    DISMISSED,
    STAFF,
    Group,
    GroupMember,
    GroupSyncRun,
)
from siyu.segments import changes as audience
from siyu.staff.models import StaffAccount
from siyu.wecom import schemas

SYNC_JOB = "groups.sync"
REFRESH_JOB = "groups.refresh"
GROUPS = cast(Table, Group.__table__)
MEMBERS = cast(Table, GroupMember.__table__)
WECOM_TYPES = {1: STAFF, 2: CUSTOMER}


# --- groups named by WeCom before they are read -----------------------------------------------


def ensure_groups(
    session: Session, tenant_id: int, chat_ids: Iterable[str], **values: Any
) -> dict[str, Group]:
    """The tenant's groups for ``chat_ids``, stub rows made for the unknown ones (their details
    come with the next read). ``values`` are set on every new row."""
    wanted = sorted(set(chat_ids))
    if not wanted:
        return {}
    rows = [{"tenant_id": tenant_id, "chat_id": c, **_defaults(), **values} for c in wanted]
    insert_rows_ignoring(session, GROUPS, ["tenant_id", "chat_id"], rows)
    found = session.scalars(
        select(Group).where(Group.tenant_id == tenant_id, Group.chat_id.in_(wanted))
    )
    return {g.chat_id: g for g in found}


def _defaults() -> dict[str, Any]:
    # Bulk inserts do not run the ORM's Python defaults.
    return {
        "name": "",
        "owner_userid": "",
        "notice": "",
        "admin_userids": [],
        "member_count": 0,
        "customer_count": 0,
        "wecom_status": 0,
        "member_version": "",
        "status": ACTIVE,
    }


def locked_group(session: Session, tenant_id: int, chat_id: str) -> Group:
    """The group row, made if unknown, locked for this transaction: changes to one group's
    members are applied one at a time (callbacks of one group may be processed concurrently)."""
    ensure_groups(session, tenant_id, [chat_id])
    group = session.scalar(
        select(Group)
        .where(Group.tenant_id == tenant_id, Group.chat_id == chat_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert group is not None
    return group


def request_refresh(session: Session, tenant_id: int, groups: Sequence[Group]) -> None:
    """Read these groups again from WeCom soon: one job per tenant picks up every group marked,
    so a busy group is read once for a burst of changes, not once per change."""
    if not groups:
        return
    now = utcnow()
    for group in groups:
        group.refresh_requested_at = now
    jobs.submit_coalesced(session, REFRESH_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id)


# --- applying groupchat/get -------------------------------------------------------------------


@dataclass
class Applied:
    groups: int = 0
    joined: int = 0
    left: int = 0
    group_ids: set[int] = field(default_factory=set)


def apply_details(
    session: Session,
    tenant_id: int,
    details: Sequence[schemas.GroupChatDetail],
    *,
    now: dt.datetime,
    run_id: int | None = None,
    read_started: dt.datetime | None = None,
) -> Applied:
    """Make groups and their current members match ``groupchat/get``. A member we hold who is
    no longer listed has left (when, the read cannot say: ``now``); one listed whom we do not
    hold has joined. ``read_started`` clears refresh requests made before the read began."""
    applied = Applied()
    if not details:
        return applied
    groups = ensure_groups(session, tenant_id, [d.chat_id for d in details])
    staff = _staff_userids(session, tenant_id)
    for detail in details:
        group = groups[detail.chat_id]
        group.name = detail.name
        group.owner_userid = detail.owner
        group.notice = detail.notice
        group.admin_userids = [a.userid for a in detail.admin_list]
        group.created_at = from_timestamp(detail.create_time) if detail.create_time else None
        group.member_version = detail.member_version
        group.status, group.dismissed_at = ACTIVE, None
        group.read_at = now
        if run_id is not None:
            group.read_by_run = run_id
        if read_started is not None and (
            group.refresh_requested_at is not None and group.refresh_requested_at <= read_started
        ):
            group.refresh_requested_at = None
        applied.group_ids.add(group.id)
    session.flush()
    current = _open_members(session, [groups[d.chat_id].id for d in details])
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[GroupMember, dict[str, Any]]] = []
    for detail in details:
        group = groups[detail.chat_id]
        held = current.get(group.id, {})
        listed = set()
        for m in detail.member_list:
            listed.add(m.userid)
            values = _member_values(m, staff, now)
            row = held.get(m.userid)
            if row is None:
                inserts.append({"tenant_id": tenant_id, "group_id": group.id, **values})
                applied.joined += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                updates.append((row, values))
        for userid, row in held.items():
            if userid not in listed:
                updates.append((row, {"left_at": now, "quit_scene": None}))
                applied.left += 1
    _write_members(session, tenant_id, inserts, updates)
    recount(session, applied.group_ids)
    applied.groups = len(details)
    return applied


def _member_values(m: schemas.GroupChatMember, staff: set[str], now: dt.datetime) -> dict[str, Any]:
    member_type = WECOM_TYPES.get(m.type) or (STAFF if m.userid in staff else CUSTOMER)
    return {
        "userid": m.userid,
        "member_type": member_type,
        "name": m.name,
        "group_nickname": m.group_nickname,
        "unionid": m.unionid,
        "joined_at": from_timestamp(m.join_time) if m.join_time else now,
        "join_scene": m.join_scene,
        "invitor_userid": m.invitor.userid if m.invitor else "",
        "state": m.state,
    }


def _staff_userids(session: Session, tenant_id: int) -> set[str]:
    return set(
        session.scalars(select(StaffAccount.userid).where(StaffAccount.tenant_id == tenant_id))
    )


def _open_members(session: Session, group_ids: list[int]) -> dict[int, dict[str, GroupMember]]:
    result: dict[int, dict[str, GroupMember]] = {gid: {} for gid in group_ids}
    if not group_ids:
        return result
    for row in session.scalars(
        select(GroupMember).where(
            GroupMember.group_id.in_(group_ids), GroupMember.left_at.is_(None)
        )
    ):
        result[row.group_id][row.userid] = row
    return result


def _write_members(
    session: Session,
    tenant_id: int,
    inserts: list[dict[str, Any]],
    changes: list[tuple[GroupMember, dict[str, Any]]],
) -> None:
    """Insert new member rows in one statement, linking the customers known by external_userid,
    and change the loaded rows of ``changes`` (the unit of work writes the changed ones)."""
    external = [r["userid"] for r in inserts if r["member_type"] == CUSTOMER]
    customers = _customer_ids(session, tenant_id, external)
    for row in inserts:
        row.setdefault("customer_id", customers.get(row["userid"]))
        row.setdefault("left_at", None)
        row.setdefault("quit_scene", None)
    if inserts:
        session.execute(MEMBERS.insert(), inserts)
    for member, values in changes:
        for key, value in values.items():
            setattr(member, key, value)
    session.flush()
    audience.touch(
        session,
        tenant_id,
        [r["customer_id"] for r in inserts if r["customer_id"]]
        + [m.customer_id for m, _ in changes if m.customer_id],
    )


def _customer_ids(session: Session, tenant_id: int, external_userids: list[str]) -> dict[str, int]:
    if not external_userids:
        return {}
    return {
        ext: cid
        for ext, cid in session.execute(
            select(Customer.external_userid, Customer.id).where(
                Customer.tenant_id == tenant_id,
                Customer.external_userid.in_(sorted(set(external_userids))),
            )
        ).all()
        if ext
    }


def members_of(session: Session, group_id: int) -> list[int]:
    """The customers in a group now (open stays)."""
    return [
        cid
        for cid in session.scalars(
            select(GroupMember.customer_id).where(
                GroupMember.group_id == group_id, GroupMember.left_at.is_(None)
            )
        )
        if cid is not None
    ]


def recount(session: Session, group_ids: Iterable[int]) -> None:
    """Store each group's current member and customer counts (the list sorts and filters on
    them, and group codes check them on every change)."""
    ids = sorted(set(group_ids))
    if not ids:
        return
    session.flush()
    counts = dict.fromkeys(ids, (0, 0))
    for gid, kind, count in session.execute(
        select(GroupMember.group_id, GroupMember.member_type, func.count())
        .where(GroupMember.group_id.in_(ids), GroupMember.left_at.is_(None))
        .group_by(GroupMember.group_id, GroupMember.member_type)
    ).all():
        total, customers = counts[gid]
        counts[gid] = (total + count, customers + (count if kind == CUSTOMER else 0))
    for group in session.scalars(select(Group).where(Group.id.in_(ids))):
        group.member_count, group.customer_count = counts[group.id]


def link_customers(session: Session, tenant_id: int, external_userids: Iterable[str]) -> None:
    """Customers just stored (by a sync or a callback) get their group memberships linked."""
    wanted = sorted(set(external_userids))
    if not wanted:
        return
    customer = (
        select(Customer.id)
        .where(Customer.tenant_id == tenant_id, Customer.external_userid == GroupMember.userid)
        .scalar_subquery()
    )
    session.execute(
        update(GroupMember)
        .where(
            GroupMember.tenant_id == tenant_id,
            GroupMember.customer_id.is_(None),
            GroupMember.userid.in_(wanted),
        )
        .values(customer_id=customer)
        .execution_options(synchronize_session=False)
    )


# --- callbacks --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberChange:
    """An ``update`` callback's ``add_member``/``del_member``."""

    chat_id: str
    joined: bool
    userids: tuple[str, ...]
    at: dt.datetime
    scene: int | None
    last_version: str
    current_version: str


def apply_member_change(session: Session, tenant_id: int, change: MemberChange) -> Group:
    """Apply a member change if it follows from the members we hold (counts are right at once);
    otherwise read the group again. Joins are read again anyway, for what the callback does not
    carry (names, inviter, the ``state`` of a group code). Seen twice, the second time changes
    nothing."""
    group = locked_group(session, tenant_id, change.chat_id)
    if group.member_version and group.member_version == change.current_version:
        return group  # already applied (a repeat, or a read that came after it)
    follows = bool(group.member_version) and group.member_version == change.last_version
    if not follows or not change.userids:
        request_refresh(session, tenant_id, [group])
        return group
    held = _open_members(session, [group.id])[group.id]
    if change.joined:
        staff = _staff_userids(session, tenant_id)
        inserts = [
            {
                "tenant_id": tenant_id,
                "group_id": group.id,
                "userid": userid,
                "member_type": STAFF if userid in staff else CUSTOMER,
                "joined_at": change.at,
                "join_scene": change.scene or 0,
                "state": "",
                "name": "",
                "group_nickname": "",
                "unionid": "",
                "invitor_userid": "",
            }
            for userid in change.userids
            if userid not in held
        ]
        _write_members(session, tenant_id, inserts, [])
        # The callback carries ids only: the newcomers' names, inviter and the state of the code
        # they came by are in groupchat/get (read once for a burst of joins).
        request_refresh(session, tenant_id, [group])
    else:
        left = [
            (held[u], {"left_at": change.at, "quit_scene": change.scene})
            for u in change.userids
            if u in held
        ]
        _write_members(session, tenant_id, [], left)
    group.member_version = change.current_version
    recount(session, [group.id])
    return group


def dismiss(session: Session, tenant_id: int, chat_id: str, at: dt.datetime) -> Group:
    group = locked_group(session, tenant_id, chat_id)
    if group.status != DISMISSED:
        group.status, group.dismissed_at = DISMISSED, at
        group.refresh_requested_at = None
        audience.touch(session, tenant_id, members_of(session, group.id))
    return group


# --- the full sync ----------------------------------------------------------------------------


def start_sync(session: Session, tenant_id: int) -> GroupSyncRun:
    """Start a full sync, or return the one under way (a run whose job died is closed as
    failed, so it never blocks the next)."""
    return jobs.start_run(session, GroupSyncRun, tenant_id, SYNC_JOB, "group-sync")


def apply_listing(
    session: Session, tenant_id: int, refs: Sequence[schemas.GroupChatRef], run_id: int
) -> None:
    """A page of ``groupchat/list``: the groups exist, with WeCom's inheritance status."""
    groups = ensure_groups(session, tenant_id, [r.chat_id for r in refs])
    for ref in refs:
        group = groups[ref.chat_id]
        group.wecom_status = ref.status
        group.seen_by_run = run_id


def to_read(session: Session, tenant_id: int, run_id: int, limit: int) -> list[str]:
    """Chat ids listed by the run and not yet read by it, in a stable order."""
    return list(
        session.scalars(
            select(Group.chat_id)
            .where(
                Group.tenant_id == tenant_id,
                Group.seen_by_run == run_id,
                (Group.read_by_run.is_(None)) | (Group.read_by_run != run_id),
            )
            .order_by(Group.id)
            .limit(limit)
        )
    )


def finish_run(session: Session, run: GroupSyncRun, now: dt.datetime) -> int:
    """Groups the run did not list are dismissed — when it listed by owner, only those whose
    owner it asked about (another owner's groups were not looked at). A group a callback made
    known while the run was under way (read since it started, or waiting to be read) is left
    alone: the listing may have been taken before it existed."""
    query = select(Group).where(
        Group.tenant_id == run.tenant_id,
        Group.status == ACTIVE,
        (Group.seen_by_run.is_(None)) | (Group.seen_by_run != run.id),
        Group.refresh_requested_at.is_(None),
        (Group.read_at.is_(None)) | (Group.read_at < run.started_at),
    )
    if run.by_owner:
        query = query.where(Group.owner_userid.in_(run.owners))
    gone = list(session.scalars(query))
    for group in gone:
        group.status, group.dismissed_at = DISMISSED, now
        audience.touch(session, run.tenant_id, members_of(session, group.id))
    return len(gone)


def follows_of_owners(session: Session, tenant_id: int, userids: Iterable[str]) -> list[str]:
    """Who to list groups by: the members WeCom says have customer contact, and every staff
    account Siyu knows (a group whose owner left is still theirs until inherited)."""
    known = set(
        session.scalars(select(StaffAccount.userid).where(StaffAccount.tenant_id == tenant_id))
    )
    return sorted(known | set(userids))
