"""Append an admin action to the audit log, in the same transaction as the action."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.principal import Principal


def record(
    session: Session,
    actor: Principal,
    action: str,
    *,
    entity_type: str,
    entity_id: int | str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        tenant_id=actor.tenant_id,
        actor_user_id=actor.user_id,
        actor_token_id=actor.token_id,
        actor_label=actor.label,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id),
        before=before,
        after=after,
        ip=actor.ip,
    )
    session.add(event)
    return event
