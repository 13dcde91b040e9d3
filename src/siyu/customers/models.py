"""Customers (external contacts), their follows, phones, timeline and churn alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# Customer.status
ACTIVE, LOST, ERASED = "active", "lost", "erased"
# Follow.status: still a friend; the staff deleted the customer; the customer deleted the staff;
# gone without a callback saying who (found missing by a full sync); moved away by a transfer.
FRIEND = "friend"
DELETED_BY_STAFF = "deleted_by_staff"
DELETED_BY_CUSTOMER = "deleted_by_customer"
REMOVED = "removed"
TRANSFERRED = "transferred"


class Customer(IdMixin, TenantMixin, Base):
    """One person, whatever number of staff accounts they are a friend of. WeCom's fields are
    refreshed by the sync; the profile fields are Siyu's own and never overwritten by it."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "external_userid"),
        Index("ix_customers_tenant_owner", "tenant_id", "owner_userid"),
        Index("ix_customers_tenant_added", "tenant_id", "first_added_at"),
        Index("ix_customers_tenant_name", "tenant_id", "name"),
    )

    # None for a person known from an import who is not (yet) anyone's friend.
    external_userid: Mapped[str | None] = mapped_column(String(64))
    # From WeCom
    name: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[int] = mapped_column(SmallInteger, default=1)  # 1 WeChat, 2 WeCom user
    gender: Mapped[int] = mapped_column(SmallInteger, default=0)  # 0 unknown, 1 male, 2 female
    avatar: Mapped[str] = mapped_column(String(512), default="")
    unionid: Mapped[str] = mapped_column(String(64), default="")
    corp_name: Mapped[str] = mapped_column(String(100), default="")
    # Profile (Siyu's own)
    birthday: Mapped[dt.date | None] = mapped_column(Date)
    city: Mapped[str] = mapped_column(String(50), default="")
    member_level: Mapped[str] = mapped_column(String(30), default="")
    preferences: Mapped[str] = mapped_column(String(500), default="")
    follow_up_days: Mapped[int | None] = mapped_column(Integer)
    owner_userid: Mapped[str | None] = mapped_column(String(64))
    store_id: Mapped[int | None] = mapped_column(BigId)
    source_channel: Mapped[str] = mapped_column(String(64), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    custom: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    # State
    status: Mapped[str] = mapped_column(String(10), default=ACTIVE)
    first_added_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    erased_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Follow(IdMixin, TenantMixin, Base):
    """A customer being the friend of one staff account (WeCom's follow_user)."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "userid"),
        Index("ix_follows_tenant_userid", "tenant_id", "userid", "status"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    userid: Mapped[str] = mapped_column(String(64))
    remark: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    add_way: Mapped[int] = mapped_column(SmallInteger, default=0)
    state: Mapped[str] = mapped_column(String(64), default="")
    oper_userid: Mapped[str] = mapped_column(String(64), default="")
    # The corp tags WeCom holds on this friendship, as last read or written.
    wecom_tag_ids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    status: Mapped[str] = mapped_column(String(20), default=FRIEND)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The full sync that last saw this follow: what a finished sync did not see is gone.
    seen_by_run: Mapped[int | None] = mapped_column(BigInteger)
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CustomerPhone(IdMixin, TenantMixin, Base):
    """A phone number: sealed at rest, found by a keyed hash, shown masked."""

    __tablename__ = "customer_phones"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "phone_hash"),
        Index("ix_customer_phones_lookup", "tenant_id", "phone_hash"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    phone_hash: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(String(200))
    masked: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual, wecom, import
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TimelineEvent(IdMixin, TenantMixin, Base):
    """One thing that happened with a customer. ``key`` makes an append idempotent."""

    __tablename__ = "timeline_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_timeline_customer_at", "customer_id", "at"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(64), default="")  # staff userid, member, "wecom"
    detail: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    key: Mapped[str | None] = mapped_column(String(160))


class ChurnAlert(IdMixin, TenantMixin, Base):
    """A friendship ended by one side: shown on the customer and in the owner's list."""

    __tablename__ = "churn_alerts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "userid", "kind", "at"),
        Index("ix_churn_alerts_open", "tenant_id", "handled_at", "at"),
    )

    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    userid: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # deleted_by_customer | deleted_by_staff
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    handled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    handled_by: Mapped[int | None] = mapped_column(BigId)
    note: Mapped[str] = mapped_column(String(300), default="")


class CustomerSyncRun(IdMixin, TenantMixin, Base):
    """A full sync from WeCom: the staff it covers and where it stands, committed with every
    page it applies, so a crashed sync resumes from the last page it stored."""

    __tablename__ = "customer_sync_runs"

    state: Mapped[str] = mapped_column(String(12), default="running")  # running done failed
    userids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    batch: Mapped[int] = mapped_column(Integer, default=0)  # index of the userid batch
    cursor: Mapped[str] = mapped_column(String(200), default="")
    pages: Mapped[int] = mapped_column(Integer, default=0)
    follows_seen: Mapped[int] = mapped_column(Integer, default=0)
    customers_new: Mapped[int] = mapped_column(Integer, default=0)
    removed: Mapped[int] = mapped_column(Integer, default=0)
    resumed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CustomerImport(IdMixin, TenantMixin, Base):
    """An uploaded .xlsx/.csv of customers: the file kept under the var directory, its column
    mapping, and progress committed with every chunk it applies (so a restart resumes)."""

    __tablename__ = "customer_imports"

    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    headers: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    mapping: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)
    tag_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)  # put on every row
    locale: Mapped[str] = mapped_column(String(5), default="zh-CN")  # of the reject reasons
    # uploaded → running → done | failed
    state: Mapped[str] = mapped_column(String(12), default="uploaded")
    rows_hint: Mapped[int | None] = mapped_column(Integer)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    last_row: Mapped[int] = mapped_column(Integer, default=0)  # sheet row number done up to
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    report_path: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ImportReject(IdMixin, TenantMixin, Base):
    """A rejected cell of an import, kept for the downloadable report."""

    __tablename__ = "customer_import_rejects"
    __table_args__ = (Index("ix_import_rejects_import_row", "import_id", "row"),)

    import_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer_imports.id", ondelete="CASCADE")
    )
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(String(300))
