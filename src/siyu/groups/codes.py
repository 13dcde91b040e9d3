"""Group codes (群活码): WeCom join ways that route customers to groups with room. Never commits.

WeCom holds the routing; Siyu keeps the code's settings, the groups it lists (in order) and counts
the joins through it — the members whose ``state`` is the code's. Creating, editing and deleting
go to WeCom first from the request (no transaction held meanwhile, see ``api``), then are written
here. When a code that does not open groups by itself has every listed group full, Siyu swaps a
group with room into it (a job, since that calls WeCom) or, finding none, flags it ``full``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.audit import service as audit
from siyu.auth.principal import Principal
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.groups import service
from siyu.groups.errors import GroupUnusable, StateTaken
from siyu.groups.models import (
    ACTIVE,
    ALERT_FULL,
    CODE_ACTIVE,
    CREATING,
    DELETED,
    QR_JOIN_LIMIT,
    Group,
    GroupCode,
    GroupCodeGroup,
    GroupMember,
    GroupWelcome,
)
from siyu.groups.schemas import GroupCodeEdit, GroupCodeIn
from siyu.wecom import schemas

SWAP_JOB = "groups.code_swap"
READ_CODES_JOB = "groups.read_codes"
MAX_LISTED = 5
QR_SCENE = 2  # a QR code, not a mini-program button


def get(session: Session, tenant_id: int, code_id: int) -> GroupCode:
    code = session.scalar(
        select(GroupCode).where(
            GroupCode.tenant_id == tenant_id, GroupCode.id == code_id, GroupCode.status != DELETED
        )
    )
    if code is None:
        raise NotFound("group_code")
    return code


def listing(session: Session, code_ids: Sequence[int]) -> dict[int, list[Group]]:
    """Each code's groups, in WeCom's routing order."""
    result: dict[int, list[Group]] = {cid: [] for cid in code_ids}
    if not code_ids:
        return result
    for code_id, group in session.execute(
        select(GroupCodeGroup.code_id, Group)
        .join(Group, Group.id == GroupCodeGroup.group_id)
        .where(GroupCodeGroup.code_id.in_(code_ids))
        .order_by(GroupCodeGroup.code_id, GroupCodeGroup.position)
    ).all():
        result[code_id].append(group)
    return result


def usable_groups(session: Session, tenant_id: int, group_ids: Sequence[int]) -> list[Group]:
    """The chosen groups in the chosen order: the tenant's, read from WeCom, not dismissed."""
    found = {
        g.id: g
        for g in session.scalars(
            select(Group).where(Group.tenant_id == tenant_id, Group.id.in_(group_ids))
        )
    }
    groups = []
    for group_id in group_ids:
        group = found.get(group_id)
        if group is None:
            raise NotFound("group")
        if group.status != ACTIVE:
            raise GroupUnusable(name=group.name or group.chat_id, reason="已解散 / was dismissed")
        if group.read_at is None:
            raise GroupUnusable(
                name=group.chat_id, reason="尚未从企业微信同步 / has not been synced yet"
            )
        groups.append(group)
    return groups


def _check_welcome(session: Session, tenant_id: int, welcome_id: int | None) -> None:
    if welcome_id is not None and not session.scalar(
        select(GroupWelcome.id).where(
            GroupWelcome.tenant_id == tenant_id, GroupWelcome.id == welcome_id
        )
    ):
        raise NotFound("group_welcome")


def join_way_config(code: GroupCode, chat_ids: Sequence[str]) -> dict[str, Any]:
    """The configuration WeCom's ``add_join_way``/``update_join_way`` take."""
    config: dict[str, Any] = {
        "scene": QR_SCENE,
        "remark": code.name[:30],
        "auto_create_room": 1 if code.auto_create else 0,
        "chat_id_list": list(chat_ids),
        "state": code.state,
    }
    if code.auto_create:
        config |= {"room_base_name": code.room_base_name, "room_base_id": code.room_base_id}
    return config


def _snapshot(code: GroupCode, groups: Sequence[Group]) -> dict[str, Any]:
    return {
        "name": code.name,
        "state": code.state,
        "groups": [g.chat_id for g in groups],
        "auto_create": code.auto_create,
        "room_base_name": code.room_base_name,
        "room_base_id": code.room_base_id,
        "welcome_id": code.welcome_id,
    }


def new_code(session: Session, actor: Principal, data: GroupCodeIn) -> tuple[GroupCode, list[str]]:
    """A code about to be created in WeCom (``creating``), with the chat ids to list."""
    tenant_id = actor.tenant_id
    groups = usable_groups(session, tenant_id, data.group_ids)
    _check_welcome(session, tenant_id, data.welcome_id)
    state = data.state or "gc" + secrets.token_hex(6)
    if session.scalar(
        select(GroupCode.id).where(GroupCode.tenant_id == tenant_id, GroupCode.state == state)
    ):
        raise StateTaken(state=state)
    code = GroupCode(
        tenant_id=tenant_id,
        name=data.name,
        state=state,
        auto_create=data.auto_create,
        room_base_name=data.room_base_name if data.auto_create else "",
        room_base_id=data.room_base_id,
        welcome_id=data.welcome_id,
        status=CREATING,
        created_by=actor.user_id,
    )
    session.add(code)
    session.flush()
    _set_listing(session, code, groups)
    audit.record(
        session,
        actor,
        "group_code.create",
        entity_type="group_code",
        entity_id=code.id,
        after=_snapshot(code, groups),
    )
    return code, [g.chat_id for g in groups]


def created(session: Session, code: GroupCode, config_id: str) -> None:
    code.config_id, code.status, code.updated_at = config_id, CODE_ACTIVE, utcnow()


def apply_join_way(session: Session, code: GroupCode, way: schemas.JoinWay) -> None:
    """What WeCom holds for the code: its QR code and the groups it lists (which grow when WeCom
    opens a group for a full auto-create code). Unknown groups are read soon."""
    code.qr_code = way.qr_code
    groups = service.ensure_groups(session, code.tenant_id, way.chat_id_list)
    unread = [g for g in groups.values() if g.read_at is None]
    service.request_refresh(session, code.tenant_id, unread)
    _set_listing(session, code, [groups[c] for c in way.chat_id_list])
    check_codes(session, code.tenant_id, [g.id for g in groups.values()])


def _set_listing(session: Session, code: GroupCode, groups: Sequence[Group]) -> None:
    current = [g.id for g in listing(session, [code.id])[code.id]]
    if current == [g.id for g in groups]:
        return
    session.execute(delete(GroupCodeGroup).where(GroupCodeGroup.code_id == code.id))
    session.add_all(
        GroupCodeGroup(tenant_id=code.tenant_id, code_id=code.id, group_id=g.id, position=i)
        for i, g in enumerate(groups)
    )
    session.flush()


def prepare_edit(
    session: Session, tenant_id: int, code: GroupCode, data: GroupCodeEdit
) -> tuple[list[Group], dict[str, Any]]:
    """Check an edit and build WeCom's configuration for it, changing nothing yet."""
    groups = usable_groups(session, tenant_id, data.group_ids)
    _check_welcome(session, tenant_id, data.welcome_id)
    draft = GroupCode(
        name=data.name,
        state=code.state,
        auto_create=data.auto_create,
        room_base_name=data.room_base_name if data.auto_create else "",
        room_base_id=data.room_base_id,
    )
    return groups, join_way_config(draft, [g.chat_id for g in groups])


def apply_edit(
    session: Session, actor: Principal, code: GroupCode, data: GroupCodeEdit, groups: list[Group]
) -> None:
    before = _snapshot(code, listing(session, [code.id])[code.id])
    code.name = data.name
    code.auto_create = data.auto_create
    code.room_base_name = data.room_base_name if data.auto_create else ""
    code.room_base_id = data.room_base_id
    code.welcome_id = data.welcome_id
    code.updated_at = utcnow()
    _set_listing(session, code, groups)
    check_codes(session, code.tenant_id, [g.id for g in groups])
    audit.record(
        session,
        actor,
        "group_code.update",
        entity_type="group_code",
        entity_id=code.id,
        before=before,
        after=_snapshot(code, groups),
    )


def mark_deleted(session: Session, actor: Principal, code: GroupCode) -> None:
    """Kept (its joins stay counted by state) but gone from the list and from WeCom."""
    before = _snapshot(code, listing(session, [code.id])[code.id])
    code.status, code.deleted_at, code.updated_at = DELETED, utcnow(), utcnow()
    audit.record(
        session,
        actor,
        "group_code.delete",
        entity_type="group_code",
        entity_id=code.id,
        before=before,
    )


def join_counts(
    session: Session, tenant_id: int, states: Iterable[str], *, since: dt.datetime
) -> dict[str, tuple[int, int]]:
    """(joins ever, joins since ``since``) through each code, by its state."""
    wanted = sorted({s for s in states if s})
    if not wanted:
        return {}
    counts = dict.fromkeys(wanted, (0, 0))
    recent = func.sum(case((GroupMember.joined_at >= since, 1), else_=0))
    for state, total, fresh in session.execute(
        select(GroupMember.state, func.count(), recent)
        .where(GroupMember.tenant_id == tenant_id, GroupMember.state.in_(wanted))
        .group_by(GroupMember.state)
    ).all():
        counts[state] = (int(total), int(fresh or 0))
    return counts


# --- keeping codes routable -------------------------------------------------------------------


def is_full(group: Group) -> bool:
    return group.status != ACTIVE or group.member_count >= QR_JOIN_LIMIT


def check_codes(session: Session, tenant_id: int, group_ids: Iterable[int]) -> None:
    """After members of these groups changed: a code without auto-create whose listed groups
    are all full gets a swap (a job, keyed by its listing, so one per situation); a flagged
    code with room again loses its flag."""
    ids = sorted(set(group_ids))
    if not ids:
        return
    codes = list(
        session.scalars(
            select(GroupCode)
            .join(GroupCodeGroup, GroupCodeGroup.code_id == GroupCode.id)
            .where(
                GroupCode.tenant_id == tenant_id,
                GroupCode.status == CODE_ACTIVE,
                GroupCodeGroup.group_id.in_(ids),
            )
            .distinct()
        )
    )
    lists = listing(session, [c.id for c in codes])
    for code in codes:
        groups = lists[code.id]
        if code.auto_create:
            continue
        if groups and all(is_full(g) for g in groups):
            signature = hashlib.sha1(  # noqa: S324 - a key, not security
                ",".join(g.chat_id for g in groups).encode()
            ).hexdigest()[:16]
            jobs.submit(
                session,
                SWAP_JOB,
                {"tenant_id": tenant_id, "code_id": code.id},
                tenant_id=tenant_id,
                key=f"group-code-swap:{code.id}:{signature}",
            )
        elif code.alert == ALERT_FULL:
            code.alert, code.alert_at = "", None


def replacement(session: Session, code: GroupCode, groups: Sequence[Group]) -> Group | None:
    """A group to swap in: one of the same owners' groups, read from WeCom, not listed, with the
    most room left."""
    owners = {g.owner_userid for g in groups if g.owner_userid}
    if not owners:
        return None
    return session.scalar(
        select(Group)
        .where(
            Group.tenant_id == code.tenant_id,
            Group.status == ACTIVE,
            Group.read_at.is_not(None),
            Group.owner_userid.in_(sorted(owners)),
            Group.id.not_in([g.id for g in groups]),
            Group.member_count < QR_JOIN_LIMIT,
        )
        .order_by(Group.member_count, Group.id.desc())
        .limit(1)
    )


def swapped_listing(groups: Sequence[Group], extra: Group) -> list[Group]:
    """The listing with ``extra`` appended: the full groups stay (members who leave free room
    in them), the first is dropped when WeCom's five are taken."""
    kept = list(groups)[-(MAX_LISTED - 1) :] if len(groups) >= MAX_LISTED else list(groups)
    return [*kept, extra]


def flag_full(code: GroupCode) -> None:
    if code.alert != ALERT_FULL:
        code.alert, code.alert_at = ALERT_FULL, utcnow()


def record_swap(session: Session, code: GroupCode, groups: Sequence[Group]) -> None:
    _set_listing(session, code, groups)
    code.alert, code.alert_at, code.swapped_at = "", None, utcnow()
