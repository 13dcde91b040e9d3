from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent


def _filtered(tenant_id: int, action: str | None) -> Select[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.tenant_id == tenant_id)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    return query


def page(
    session: Session, tenant_id: int, *, action: str | None, offset: int, limit: int
) -> tuple[Sequence[AuditEvent], int]:
    query = _filtered(tenant_id, action)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def count_since(session: Session, tenant_id: int, since: dt.datetime) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.tenant_id == tenant_id, AuditEvent.created_at >= since)
        )
        or 0
    )


def timestamps_since(session: Session, tenant_id: int, since: dt.datetime) -> Sequence[dt.datetime]:
    return session.scalars(
        select(AuditEvent.created_at).where(
            AuditEvent.tenant_id == tenant_id, AuditEvent.created_at >= since
        )
    ).all()
