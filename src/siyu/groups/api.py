"""Customer groups: the list, one group with its members and daily joins and leaves, the sync."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.codes.routing import local
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.groups import repository, service
from siyu.groups.models import Group, GroupMember
from siyu.groups.schemas import (
    DayCount,
    GroupDetail,
    GroupPage,
    GroupRow,
    GroupSyncOut,
    MemberOut,
    MemberPage,
)
from siyu.wecom import service as wecom

router = APIRouter(tags=["groups"])

Read = Annotated[Principal, Depends(require(Permission.GROUPS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.GROUPS_MANAGE))]
DAYS_SHOWN = 14


def _row(group: Group, names: dict[str, str], codes: dict[int, list[str]]) -> GroupRow:
    return GroupRow(
        id=group.id,
        chat_id=group.chat_id,
        name=group.name,
        owner_userid=group.owner_userid,
        owner_name=names.get(group.owner_userid),
        member_count=group.member_count,
        customer_count=group.customer_count,
        status=group.status,
        wecom_status=group.wecom_status,
        created_at=group.created_at,
        dismissed_at=group.dismissed_at,
        read_at=group.read_at,
        refreshing=group.refresh_requested_at is not None,
        codes=codes.get(group.id, []),
    )


@router.get(
    "/groups", operation_id="listGroups", response_model=GroupPage, responses=responses(*AUTH)
)
def list_groups(
    session: DbSession,
    principal: Read,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=64, description="Part of the name")] = None,
    owner_userid: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["active", "dismissed"] | None = None,
) -> GroupPage:
    groups, total = repository.page(
        session,
        principal.tenant_id,
        offset=paging.offset,
        limit=paging.page_size,
        q=q,
        owner_userid=owner_userid,
        status=status,
    )
    names = repository.staff_names(session, principal.tenant_id, {g.owner_userid for g in groups})
    codes = repository.code_names_by_group(session, [g.id for g in groups])
    return GroupPage(
        items=[_row(g, names, codes) for g in groups],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


def _group(session: DbSession, principal: Principal, group_id: int) -> Group:
    group = repository.get(session, principal.tenant_id, group_id)
    if group is None:
        raise NotFound("group")
    return group


@router.get(
    "/groups/{customer_group_id}",
    operation_id="getGroup",
    response_model=GroupDetail,
    responses=responses(*AUTH, NotFound),
)
def get_group(session: DbSession, principal: Read, customer_group_id: int) -> GroupDetail:
    group = _group(session, principal, customer_group_id)
    names = repository.staff_names(session, principal.tenant_id, {group.owner_userid})
    codes = repository.code_names_by_group(session, [group.id])
    today = local(utcnow()).date()
    since = today - dt.timedelta(days=DAYS_SHOWN - 1)
    counts = repository.daily_counts(session, group.id, since)
    days = [
        DayCount(day=day, joins=joins, leaves=leaves, messages=messages)
        for day in (since + dt.timedelta(days=n) for n in range(DAYS_SHOWN))
        for joins, leaves, messages in [counts.get(day, (0, 0, 0))]
    ]
    row = _row(group, names, codes)
    return GroupDetail(
        **row.model_dump(),
        notice=group.notice,
        admin_userids=list(group.admin_userids),
        member_version=group.member_version,
        days=days,
    )


def _member(m: GroupMember, code_names: dict[str, str], names: dict[int, str]) -> MemberOut:
    return MemberOut(
        id=m.id,
        userid=m.userid,
        member_type=m.member_type,
        name=m.name or names.get(m.customer_id or 0, ""),
        group_nickname=m.group_nickname,
        customer_id=m.customer_id,
        joined_at=m.joined_at,
        join_scene=m.join_scene,
        invitor_userid=m.invitor_userid,
        state=m.state,
        code_name=code_names.get(m.state),
        left_at=m.left_at,
        quit_scene=m.quit_scene,
    )


@router.get(
    "/groups/{customer_group_id}/members",
    operation_id="listGroupMembers",
    response_model=MemberPage,
    responses=responses(*AUTH, NotFound),
)
def list_members(
    session: DbSession,
    principal: Read,
    paging: Paging,
    customer_group_id: int,
    which: Literal["current", "left"] = "current",
    member_type: Literal["staff", "customer"] | None = None,
) -> MemberPage:
    """Current members (newest first), or those who left (history kept)."""
    group = _group(session, principal, customer_group_id)
    rows, total = repository.members(
        session,
        group.id,
        current=which == "current",
        offset=paging.offset,
        limit=paging.page_size,
        member_type=member_type,
    )
    code_names = repository.code_names_by_state(
        session, principal.tenant_id, {m.state for m in rows if m.state}
    )
    # A member who joined and left between two reads of the group has no name from WeCom;
    # when they are a known customer, theirs is shown.
    names = repository.customer_names(
        session, {m.customer_id for m in rows if m.customer_id and not m.name}
    )
    return MemberPage(
        items=[_member(m, code_names, names) for m in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


def _sync_out(session: DbSession, tenant_id: int) -> GroupSyncOut:
    run = repository.latest_run(session, tenant_id)
    total = repository.count(session, tenant_id)
    if run is None:
        return GroupSyncOut(state="never", groups_total=total)
    return GroupSyncOut(
        id=run.id,
        state=run.state,
        phase=run.phase,
        listed=run.listed,
        read=run.read,
        dismissed=run.dismissed,
        resumed=run.resumed,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        groups_total=total,
    )


@router.get(
    "/groups-sync",
    operation_id="getGroupSync",
    response_model=GroupSyncOut,
    responses=responses(*AUTH),
)
def get_sync(session: DbSession, principal: Read) -> GroupSyncOut:
    return _sync_out(session, principal.tenant_id)


@router.post(
    "/groups-sync",
    operation_id="syncGroups",
    response_model=GroupSyncOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound),
)
def start_sync(session: DbSession, principal: Manage) -> GroupSyncOut:
    """Read every customer group and its members from WeCom, in the background; a sync under
    way is reused, and a restarted one resumes where it stopped."""
    if wecom.get(session, principal.tenant_id) is None:
        raise NotFound("wecom_connection")
    service.start_sync(session, principal.tenant_id)
    session.flush()
    return _sync_out(session, principal.tenant_id)
