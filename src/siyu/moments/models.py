"""Moments (朋友圈): planned posts, the WeCom moment task each becomes, what each staff account
did with it, and the tenant's calendar settings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

KINDS = ("light", "knowledge", "feedback", "ad")
DRAFT, SCHEDULED, CREATING, CREATED, FAILED, CANCELLED = (
    "draft",
    "scheduled",
    "creating",
    "created",
    "failed",
    "cancelled",
)
STATES = (DRAFT, SCHEDULED, CREATING, CREATED, FAILED, CANCELLED)
# Per-account results of a created post.
PENDING, PUBLISHED, INVALID = "pending", "published", "invalid"


class MomentPost(IdMixin, TenantMixin, Base):
    """A planned post. ``due_at`` is set while it waits for its time and cleared by the periodic
    job that claims it (one claim, one create job); ``creating`` is committed before WeCom is
    asked, so an attempt that stopped after asking is looked up in WeCom, never asked again."""

    __tablename__ = "moment_posts"
    __table_args__ = (
        Index("ix_moment_posts_tenant_planned", "tenant_id", "planned_at"),
        Index("ix_moment_posts_due_at", "due_at"),
    )

    kind: Mapped[str] = mapped_column(String(12))
    text: Mapped[str] = mapped_column(Text, default="")
    material_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    # Who posts it: every account with 客户联系 (all_staff), or the chosen accounts/departments.
    all_staff: Mapped[bool] = mapped_column(default=False)
    userids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    department_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)  # WeCom ids
    # Seen only by customers with one of these tags (Siyu tag ids; none: every customer).
    tag_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    planned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), default=DRAFT)
    error: Mapped[str] = mapped_column(String(500), default="")
    # When the create attempt began (WeCom's moment list is searched from here on recovery).
    creating_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    jobid: Mapped[str | None] = mapped_column(String(128))
    moment_id: Mapped[str | None] = mapped_column(String(128))
    created_in_wecom_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    invalid_userids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    results_synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MomentResult(TenantMixin, Base):
    """One staff account's part in a created post: published or not (WeCom's publish_status),
    when Siyu first saw it published, and the likes and comments it got."""

    __tablename__ = "moment_results"
    __table_args__ = (PrimaryKeyConstraint("post_id", "userid"),)

    post_id: Mapped[int] = mapped_column(BigId, ForeignKey("moment_posts.id", ondelete="CASCADE"))
    userid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Likes and comments on this account's copy (WeCom's get_moment_comments), as last read.
    likes: Mapped[int] = mapped_column(Integer, default=0)
    comments: Mapped[int] = mapped_column(Integer, default=0)
    reactions_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MomentSettings(TenantMixin, Base):
    """The tenant's posting hours and its rule for ads crowding out the rest."""

    __tablename__ = "moment_settings"
    __table_args__ = (PrimaryKeyConstraint("tenant_id"),)

    # Local (China) times "HH:MM" the composer proposes.
    slots: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    # Warn when ads are more than this share (percent) of the posts of any window of days...
    ad_share_percent: Mapped[int] = mapped_column(Integer, default=25)
    ad_window_days: Mapped[int] = mapped_column(Integer, default=7)
    # ...or when this many days in a row have an ad (0: never).
    ad_days_in_a_row: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def as_dict(self) -> dict[str, Any]:
        return {
            "slots": list(self.slots),
            "ad_share_percent": self.ad_share_percent,
            "ad_window_days": self.ad_window_days,
            "ad_days_in_a_row": self.ad_days_in_a_row,
        }
