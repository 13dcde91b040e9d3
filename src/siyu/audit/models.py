from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, CreatedAtMixin, IdMixin, JSONDoc
from siyu.tenants.models import TenantMixin


class AuditEvent(IdMixin, TenantMixin, CreatedAtMixin, Base):
    """One admin action: who, what, when, and the entity before and after. Append-only."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_tenant_created", "tenant_id", "created_at"),)

    actor_user_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_token_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("api_tokens.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    ip: Mapped[str | None] = mapped_column(String(64))
