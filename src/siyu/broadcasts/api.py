"""Broadcasts over HTTP: compose and schedule, list, change while scheduled, cancel, remind,
count an audience while it is chosen, and the tenant's reach settings. Results are in
:mod:`siyu.broadcasts.results_api`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel
from sqlalchemy import func, select

from siyu import jobs
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.broadcasts import audience as audiences
from siyu.broadcasts import planning, service
from siyu.broadcasts.errors import (
    BadAudience,
    BadTime,
    EmptyMessage,
    NotEditable,
    NothingToRemind,
    RemindLimit,
    UnknownGroups,
    UnknownVariables,
    WrongAudienceKind,
)
from siyu.broadcasts.models import SENT, Broadcast, BroadcastTask
from siyu.broadcasts.schemas import (
    Audience,
    AudienceCount,
    BroadcastIn,
    BroadcastOut,
    BroadcastPage,
    GroupsAudience,
    SettingsIO,
)
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.materials.errors import AttachmentsNotAllowed, MaterialsUnknown
from siyu.segments.errors import BadRule, UnknownReferences

router = APIRouter(tags=["broadcasts"])

Read = Annotated[Principal, Depends(require(Permission.BROADCASTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.BROADCASTS_MANAGE))]
COMPOSE_ERRORS = (
    BadAudience,
    WrongAudienceKind,
    UnknownGroups,
    BadRule,
    UnknownReferences,
    EmptyMessage,
    BadTime,
    UnknownVariables,
    MaterialsUnknown,
    AttachmentsNotAllowed,
    NotFound,
)
REMINDS_PER_DAY = 3
SENDERS_COUNTED_UP_TO = 20_000  # bigger audiences are counted, their senders are not


def out(broadcast: Broadcast) -> BroadcastOut:
    return BroadcastOut(
        id=broadcast.id,
        name=broadcast.name,
        chat_type=broadcast.chat_type,
        audience=broadcast.audience,
        text=broadcast.text,
        material_ids=broadcast.material_ids,
        state=broadcast.state,
        send_at=broadcast.send_at,
        due_at=broadcast.due_at,
        moved_by_quiet_hours=broadcast.due_at > broadcast.send_at,
        repeat=broadcast.repeat,
        parent_id=broadcast.parent_id,
        source=broadcast.source,
        counts=broadcast.counts or {},
        error=broadcast.error,
        created_at=broadcast.created_at,
        planned_at=broadcast.planned_at,
        sent_at=broadcast.sent_at,
        finished_at=broadcast.finished_at,
        synced_at=broadcast.synced_at,
    )


def get_broadcast(session: DbSession, principal: Principal, broadcast_id: int) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.tenant_id != principal.tenant_id:
        raise NotFound("broadcast")
    return broadcast


@router.get("/broadcasts", operation_id="listBroadcasts", responses=responses(*AUTH))
def list_broadcasts(
    session: DbSession,
    principal: Read,
    paging: Paging,
    state: Annotated[str | None, Query(max_length=12)] = None,
    chat_type: Annotated[Literal["single", "group"] | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> BroadcastPage:
    query = select(Broadcast).where(Broadcast.tenant_id == principal.tenant_id)
    if state:
        query = query.where(Broadcast.state == state)
    if chat_type:
        query = query.where(Broadcast.chat_type == chat_type)
    if q:
        query = query.where(Broadcast.name.contains(q, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Broadcast.due_at.desc(), Broadcast.id.desc())
        .offset(paging.offset)
        .limit(paging.page_size)
    )
    return BroadcastPage(
        items=[out(b) for b in rows], total=total, page=paging.page, page_size=paging.page_size
    )


@router.post(
    "/broadcasts",
    operation_id="createBroadcast",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *COMPOSE_ERRORS),
)
def create_broadcast(session: DbSession, principal: Manage, body: BroadcastIn) -> BroadcastOut:
    broadcast = service.create(session, principal.tenant_id, body, created_by=principal.user_id)
    audit.record(
        session,
        principal,
        "broadcasts.create",
        entity_type="broadcast",
        entity_id=broadcast.id,
        after={"name": broadcast.name, "audience": broadcast.audience},
    )
    return out(broadcast)


@router.get(
    "/broadcasts/{broadcast_id}",
    operation_id="getBroadcast",
    responses=responses(*AUTH, NotFound),
)
def read_broadcast(session: DbSession, principal: Read, broadcast_id: int) -> BroadcastOut:
    return out(get_broadcast(session, principal, broadcast_id))


@router.put(
    "/broadcasts/{broadcast_id}",
    operation_id="updateBroadcast",
    responses=responses(*AUTH, *COMPOSE_ERRORS, NotEditable),
)
def update_broadcast(
    session: DbSession, principal: Manage, broadcast_id: int, body: BroadcastIn
) -> BroadcastOut:
    broadcast = get_broadcast(session, principal, broadcast_id)
    service.update_scheduled(session, broadcast, body)
    audit.record(
        session,
        principal,
        "broadcasts.update",
        entity_type="broadcast",
        entity_id=broadcast.id,
        after={"name": broadcast.name, "audience": broadcast.audience},
    )
    return out(broadcast)


@router.post(
    "/broadcasts/{broadcast_id}/cancel",
    operation_id="cancelBroadcast",
    responses=responses(*AUTH, NotFound),
)
def cancel_broadcast(session: DbSession, principal: Manage, broadcast_id: int) -> BroadcastOut:
    broadcast = get_broadcast(session, principal, broadcast_id)
    service.cancel(session, broadcast)
    audit.record(
        session, principal, "broadcasts.cancel", entity_type="broadcast", entity_id=broadcast.id
    )
    return out(broadcast)


class Accepted(BaseModel):
    job_id: int


@router.post(
    "/broadcasts/{broadcast_id}/remind",
    operation_id="remindBroadcast",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound, NothingToRemind, RemindLimit),
)
def remind_broadcast(session: DbSession, principal: Manage, broadcast_id: int) -> Accepted:
    """Remind the staff who have not sent yet (WeCom allows 3 reminders a day)."""
    broadcast = get_broadcast(session, principal, broadcast_id)
    if broadcast.state != SENT:
        raise NothingToRemind(state=broadcast.state)
    since = (utcnow() - dt.timedelta(days=1)).isoformat()
    reminders = session.scalars(
        select(BroadcastTask.reminders).where(BroadcastTask.broadcast_id == broadcast.id)
    )
    if any(sum(1 for t in r if t >= since) >= REMINDS_PER_DAY for r in reminders):
        raise RemindLimit()
    job_id = jobs.submit(
        session,
        service.REMIND_JOB,
        {"broadcast_id": broadcast.id},
        tenant_id=broadcast.tenant_id,
        key=f"broadcast-remind:{broadcast.id}:{utcnow():%Y-%m-%dT%H:%M}",
    )
    return Accepted(job_id=job_id)


@router.post(
    "/broadcasts/{broadcast_id}/sync",
    operation_id="syncBroadcast",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound),
)
def sync_broadcast(session: DbSession, principal: Read, broadcast_id: int) -> Accepted:
    """Read the staff confirmations and results from WeCom now."""
    from siyu.broadcasts.tasks import submit_sync

    broadcast = get_broadcast(session, principal, broadcast_id)
    return Accepted(job_id=submit_sync(session, broadcast, utcnow(), asked=True))


class AudienceIn(BaseModel):
    chat_type: Literal["single", "group"] = "single"
    audience: Audience


@router.post(
    "/broadcasts/audience/count",
    operation_id="countBroadcastAudience",
    responses=responses(*AUTH, *COMPOSE_ERRORS),
)
def count_audience(session: DbSession, principal: Read, body: AudienceIn) -> AudienceCount:
    """How many customers (or groups) an audience reaches now, and from how many accounts."""
    tenant_id = principal.tenant_id
    audiences.check(session, tenant_id, body.audience, body.chat_type)
    senders = planning.active_senders(session, tenant_id)
    if isinstance(body.audience, GroupsAudience):
        groups = audiences.groups(session, tenant_id, body.audience)
        owners = {g.owner for g in groups if g.owner in senders}
        return AudienceCount(count=len(groups), senders=len(owners))
    ids = audiences.customers(session, tenant_id, body.audience)
    if len(ids) > SENDERS_COUNTED_UP_TO:
        return AudienceCount(count=len(ids), senders=None)
    accounts = {s for _c, s in planning.choose_senders(session, tenant_id, ids, senders)}
    return AudienceCount(count=len(ids), senders=len(accounts))


@router.get("/reach-settings", operation_id="getReachSettings", responses=responses(*AUTH))
def read_settings(session: DbSession, principal: Read) -> SettingsIO:
    found = service.settings_of(session, principal.tenant_id)
    return SettingsIO.model_validate(found, from_attributes=True)


@router.put("/reach-settings", operation_id="saveReachSettings", responses=responses(*AUTH))
def save_settings(session: DbSession, principal: Manage, body: SettingsIO) -> SettingsIO:
    saved = service.save_settings(session, principal.tenant_id, body.model_dump())
    audit.record(
        session,
        principal,
        "broadcasts.settings",
        entity_type="reach_settings",
        entity_id=principal.tenant_id,
        after=body.model_dump(),
    )
    return SettingsIO.model_validate(saved, from_attributes=True)
