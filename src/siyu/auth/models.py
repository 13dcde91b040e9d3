from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, CreatedAtMixin, IdMixin, JSONDoc, UTCDateTime
from siyu.tenants.models import TenantMixin


class LoginSession(IdMixin, TenantMixin, CreatedAtMixin, Base):
    """A signed-in console session; the cookie holds a random token, the row its SHA-256."""

    __tablename__ = "login_sessions"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginFailure(IdMixin, CreatedAtMixin, Base):
    """A failed sign-in, counted per username and per address to throttle guessing.

    Not tenant-bound: before sign-in nobody's tenant is known.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_created", "username", "created_at"),
        Index("ix_login_failures_ip_created", "ip", "created_at"),
    )

    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))


class ApiToken(IdMixin, TenantMixin, CreatedAtMixin, Base):
    """An integrator's token for ``/api/v1``: stored hashed, scoped, revocable."""

    __tablename__ = "api_tokens"

    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSONDoc)
    created_by_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="SET NULL")
    )
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
