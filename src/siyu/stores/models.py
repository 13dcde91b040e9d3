"""Regions and stores as Siyu's own records; which store each staff account works for; which
stores each shop manager looks after; and who operated each staff account when (rotation)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# Store.status
OPEN, CLOSED = "active", "closed"


class Region(IdMixin, TenantMixin, Base):
    """A grouping of stores (华东, 华北 …); a larger ``order`` comes first."""

    __tablename__ = "regions"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(50))
    order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Store(IdMixin, TenantMixin, Base):
    """A physical shop. ``code`` is the brand's own store code (POS, mall), unique when set;
    the coordinates place it on the map for nearest-store routing."""

    __tablename__ = "stores"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name"),
        # NULL codes do not collide: a store without a code is allowed many times over.
        UniqueConstraint("tenant_id", "code"),
        Index("ix_stores_tenant_region", "tenant_id", "region_id"),
    )

    region_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("regions.id"))
    name: Mapped[str] = mapped_column(String(100))
    code: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(50), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    phone: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoreAssignment(IdMixin, TenantMixin, Base):
    """A staff account working for a store; an account belongs to one store at a time."""

    __tablename__ = "store_assignments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "staff_account_id"),
        Index("ix_store_assignments_store", "store_id"),
    )

    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id"))
    staff_account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MemberStore(IdMixin, TenantMixin, Base):
    """A store a shop manager (a Siyu member) looks after: their customers are in scope."""

    __tablename__ = "member_stores"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "store_id"),
        Index("ix_member_stores_store", "store_id"),
    )

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"))
    store_id: Mapped[int] = mapped_column(BigId, ForeignKey("stores.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffRotation(IdMixin, TenantMixin, Base):
    """One period during which a person operated a staff account: ``[started_at, ended_at)``.
    Results of the account in that period are credited to that person. At most one period per
    account is open (``ended_at`` null), and periods of one account never overlap."""

    __tablename__ = "staff_rotations"
    __table_args__ = (
        Index("ix_staff_rotations_account_start", "tenant_id", "staff_account_id", "started_at"),
        Index(
            "uq_staff_rotations_open",
            "tenant_id",
            "staff_account_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    staff_account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("staff_accounts.id", ondelete="CASCADE")
    )
    # The person, as head office names them; ``user_id`` when they are also a Siyu member.
    operator_name: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
