"""Saved segments (人群), and the log of customers whose facts changed, which keeps the
in-memory audience index fresh in every process that holds one."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin


class Segment(IdMixin, TenantMixin, Base):
    """A named rule. Its members are computed when asked, never stored: the count an operator
    sees is the count now."""

    __tablename__ = "segments"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    # The count when last asked, for lists; the segment's page always counts afresh.
    last_count: Mapped[int | None] = mapped_column(Integer)
    counted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AudienceChange(IdMixin, TenantMixin, Base):
    """A customer whose tags, profile, friendships or groups changed: written in the same
    transaction as the change (:func:`siyu.segments.changes.touch`), read by the audience
    indexes, pruned after a day."""

    __tablename__ = "audience_changes"
    __table_args__ = (
        Index("ix_audience_changes_tenant_change", "tenant_id", "id"),
        Index("ix_audience_changes_at", "at"),
    )

    customer_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BehaviourRule(IdMixin, TenantMixin, Base):
    """A rule that tags by itself (行为标签): the customers its segment rule selects get its
    tags; those it tagged and no longer selects lose them again (when ``untag``). Evaluated
    for changed customers every minute and for everyone nightly and when the rule changes."""

    __tablename__ = "behaviour_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    rule: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    tag_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    untag: Mapped[bool] = mapped_column(default=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    # What the last full evaluation found and did.
    members: Mapped[int] = mapped_column(Integer, default=0)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_tagged: Mapped[int] = mapped_column(Integer, default=0)
    last_untagged: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BehaviourMember(TenantMixin, Base):
    """A customer a behaviour rule tagged: only these lose the tags when they stop matching,
    so a tag someone put on by hand is never taken off by a rule."""

    __tablename__ = "behaviour_members"
    __table_args__ = (PrimaryKeyConstraint("rule_id", "customer_id"),)

    rule_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("behaviour_rules.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    since: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BehaviourCursor(TenantMixin, Base):
    """How far the tenant's behaviour rules have read the audience change log."""

    __tablename__ = "behaviour_cursors"
    __table_args__ = (PrimaryKeyConstraint("tenant_id"),)

    change_id: Mapped[int] = mapped_column(BigId, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
