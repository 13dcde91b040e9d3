from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, CreatedAtMixin, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin


class WeComConnection(IdMixin, TenantMixin, CreatedAtMixin, Base):
    """A tenant's WeCom corp: its ids, sealed secrets, callback settings and their health."""

    __tablename__ = "wecom_connections"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    contact_secret_sealed: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    app_secret_sealed: Mapped[str | None] = mapped_column(Text)
    callback_token_sealed: Mapped[str] = mapped_column(Text)
    encoding_aes_key_sealed: Mapped[str] = mapped_column(Text)
    # The random path segment of this tenant's callback URL.
    callback_key: Mapped[str] = mapped_column(String(40), unique=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_test_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_test_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_test_report: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)


class WeComToken(IdMixin, TenantMixin, Base):
    """The access token of one (corp, secret), shared by every process; the row is the lock."""

    __tablename__ = "wecom_tokens"

    cache_key: Mapped[str] = mapped_column(String(64), unique=True)
    token_sealed: Mapped[str | None] = mapped_column(Text)
    token_hash: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    fetch_count: Mapped[int] = mapped_column(Integer, default=0)
    # A process fetching a new token holds this lease; the others wait for its result.
    fetching_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WeComEvent(IdMixin, TenantMixin, Base):
    """A callback as received: stored once (unique dedupe key), processed by a job."""

    __tablename__ = "wecom_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "dedupe_key"),
        Index("ix_wecom_events_tenant_received", "tenant_id", "received_at"),
    )

    dedupe_key: Mapped[str] = mapped_column(String(64))
    msg_type: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64), default="")
    change_type: Mapped[str] = mapped_column(String(64), default="")
    create_time: Mapped[int] = mapped_column(Integer, default=0)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    processed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # How many times WeCom (or anyone) delivered this same event.
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
