"""Tag groups and tags, mirrored two-way with WeCom's corp tags; customers' tags; and the
outbox of tag writes (mark_tag) owed to WeCom."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# sync_state of groups and tags: in step with WeCom; a change waits to be pushed; WeCom refused.
SYNCED, PENDING, FAILED = "synced", "pending", "failed"


class TagGroup(IdMixin, TenantMixin, Base):
    __tablename__ = "tag_groups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "wecom_id"),
        UniqueConstraint("tenant_id", "name"),
    )

    wecom_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(30))
    order: Mapped[int] = mapped_column(Integer, default=0)
    sync_state: Mapped[str] = mapped_column(String(10), default=PENDING)
    sync_error: Mapped[str] = mapped_column(String(300), default="")
    # Set when deleted in Siyu and waiting for WeCom to delete it too.
    deleting: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Tag(IdMixin, TenantMixin, Base):
    __tablename__ = "tags"
    __table_args__ = (
        UniqueConstraint("tenant_id", "wecom_id"),
        UniqueConstraint("group_id", "name"),
    )

    group_id: Mapped[int] = mapped_column(BigId, ForeignKey("tag_groups.id", ondelete="CASCADE"))
    wecom_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(30))
    order: Mapped[int] = mapped_column(Integer, default=0)
    sync_state: Mapped[str] = mapped_column(String(10), default=PENDING)
    sync_error: Mapped[str] = mapped_column(String(300), default="")
    deleting: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CustomerTag(TenantMixin, Base):
    """A tag on a customer's profile. On WeCom it is on every friendship of the customer."""

    __tablename__ = "customer_tags"
    __table_args__ = (
        PrimaryKeyConstraint("customer_id", "tag_id"),
        Index("ix_customer_tags_tag", "tenant_id", "tag_id"),
    )

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(BigId, ForeignKey("tags.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(20), default="manual")  # manual wecom import rule
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TagWrite(IdMixin, TenantMixin, Base):
    """A mark_tag owed to WeCom for one friendship: written with the tagging, pushed in batches
    by a job. Marking is idempotent on WeCom's side, so a retried push does no harm."""

    __tablename__ = "tag_writes"
    __table_args__ = (Index("ix_tag_writes_pending", "tenant_id", "state", "id"),)

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64))
    add: Mapped[list[int]] = mapped_column(JSONDoc, default=list)  # Siyu tag ids
    remove: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)  # pending synced failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TaggingRun(IdMixin, TenantMixin, Base):
    """Tagging every customer a filter selects (thousands at once), done by a job in chunks
    whose progress is committed with each chunk."""

    __tablename__ = "tagging_runs"

    filter: Mapped[dict[str, object]] = mapped_column(JSONDoc, default=dict)
    add: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    remove: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    state: Mapped[str] = mapped_column(String(10), default="running")  # running done failed
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    last_customer_id: Mapped[int] = mapped_column(BigId, default=0)
    tagged: Mapped[int] = mapped_column(Integer, default=0)
    untagged: Mapped[int] = mapped_column(Integer, default=0)
    writes: Mapped[int] = mapped_column(Integer, default=0)
    actor: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
