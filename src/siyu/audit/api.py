from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import repository
from siyu.audit.schemas import ActorOut, AuditEventOut, AuditPage
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal

router = APIRouter(tags=["audit"])

ReadAudit = Annotated[Principal, Depends(require(Permission.AUDIT_READ))]


@router.get(
    "/audit-logs",
    operation_id="listAuditLogs",
    response_model=AuditPage,
    responses=responses(*AUTH),
)
def list_audit_logs(
    session: DbSession,
    principal: ReadAudit,
    paging: Paging,
    action: Annotated[str | None, Query(max_length=64)] = None,
) -> AuditPage:
    rows, total = repository.page(
        session, principal.tenant_id, action=action, offset=paging.offset, limit=paging.page_size
    )
    return AuditPage(
        items=[
            AuditEventOut(
                id=r.id,
                created_at=r.created_at,
                actor=ActorOut(id=r.actor_user_id, display_name=r.actor_label),
                action=r.action,
                entity_type=r.entity_type,
                entity_id=r.entity_id,
                before=r.before,
                after=r.after,
                ip=r.ip,
            )
            for r in rows
        ],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )
