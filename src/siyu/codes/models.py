"""Channel codes (渠道活码): the contact ways Siyu keeps in WeCom, who each one hands new friends
to, what a new friend gets (tags, remark, a welcome message), and what each code brought in."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# ChannelCode.status: WeCom has not made the contact way yet (or its answer was lost), it is
# live, making it failed (``sync_error`` says why), or the code was deleted.
CREATING, LIVE, FAILED, DELETED = "creating", "live", "failed", "deleted"

# ChannelCode.routing: one member; WeCom's own turn-taking over the eligible members; Siyu
# choosing the member furthest below their weighted share for each next friend.
SINGLE, ROUND_ROBIN, WEIGHTED = "single", "round_robin", "weighted"
ROUTINGS = (SINGLE, ROUND_ROBIN, WEIGHTED)

# WelcomeSend.status. ``pending``: to send; ``sending``: a request to WeCom is under way (written
# before it); then ``sent``; ``unconfirmed``: an attempt was cut off after asking WeCom and WeCom
# now refuses the code as used or expired — by that attempt, or by the customer's first words;
# ``expired``: the 20-second window passed; ``skipped``: nothing could be sent (no welcome code
# from WeCom, or the customer already chatting); ``failed``: WeCom refused the content.
PENDING, SENDING, SENT, UNCONFIRMED = "pending", "sending", "sent", "unconfirmed"
EXPIRED, SKIPPED, SEND_FAILED = "expired", "skipped", "failed"
WELCOME_STATUSES = (PENDING, SENDING, SENT, UNCONFIRMED, EXPIRED, SKIPPED, SEND_FAILED)
OPEN_WELCOMES = (PENDING, SENDING)


class ChannelCode(IdMixin, TenantMixin, Base):
    """One channel code: a WeCom contact way (``config_id``) whose ``state`` marks the friends
    it brings. ``members`` holds the routing rules; ``roster`` the members WeCom currently
    hands friends to, recomputed from the rules and pushed when it changes (no new QR)."""

    __tablename__ = "channel_codes"
    __table_args__ = (
        # The state travels in WeCom's callbacks and on the public landing page: one per code.
        UniqueConstraint("state"),
        Index("ix_channel_codes_tenant_created", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(60))
    folder: Mapped[str] = mapped_column(String(30), default="")
    state: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(10), default=CREATING)
    config_id: Mapped[str | None] = mapped_column(String(64))
    qr_url: Mapped[str | None] = mapped_column(String(400))
    # The link inside WeCom's QR image, read once, so Siyu can draw it at any size with a logo.
    qr_content: Mapped[str | None] = mapped_column(String(400))
    sync_error: Mapped[str | None] = mapped_column(Text)
    routing: Mapped[str] = mapped_column(String(12), default=ROUND_ROBIN)
    # [{userid, weight, daily_cap, backup, hours: [{days: [1..7], start: "HH:MM", end}]}]
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSONDoc, default=list)
    # Who takes new friends when no member may (outside everyone's hours, every cap reached).
    fallback_userids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    skip_verify: Mapped[bool] = mapped_column(default=True)
    tag_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    remark_template: Mapped[str] = mapped_column(String(40), default="")
    description_template: Mapped[str] = mapped_column(String(200), default="")
    # {enabled, text, attachments[], variants: [{start, end, text, attachments[]}]}
    welcome: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    # The store this code serves (its counter, its door); with ``nearest_store`` the code's
    # landing page sends each visitor on to the code of the store nearest to them (LBS).
    store_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("stores.id", ondelete="SET NULL")
    )
    nearest_store: Mapped[bool] = mapped_column(default=False)
    # {title, description}: the public landing page's words.
    landing: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    roster: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    # Bumped by every change WeCom must hear of; ``pushed_version`` is what WeCom has.
    version: Mapped[int] = mapped_column(Integer, default=1)
    pushed_version: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class DefaultWelcome(IdMixin, TenantMixin, Base):
    """The welcome message for new friends who came by no channel code (a staff member's own
    QR, a search, a shared card)."""

    __tablename__ = "default_welcomes"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    welcome: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Acquisition(IdMixin, TenantMixin, Base):
    """A friendship that began, credited to the code whose state it carried (or to none):
    the rows channel results count. ``day`` is the local (China) date it began."""

    __tablename__ = "acquisitions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "customer_id", "userid", "added_at"),
        Index("ix_acquisitions_code_day", "tenant_id", "code_id", "day"),
        Index("ix_acquisitions_tenant_day", "tenant_id", "day"),
    )

    code_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel_codes.id", ondelete="SET NULL")
    )
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    userid: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(30), default="")
    add_way: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    day: Mapped[dt.date] = mapped_column(Date)


class WelcomeSend(IdMixin, TenantMixin, Base):
    """One welcome message: written with the new friendship, keyed by WeCom's one-use welcome
    code, so retried callbacks and re-run jobs find this row instead of sending again."""

    __tablename__ = "welcome_sends"
    __table_args__ = (
        UniqueConstraint("tenant_id", "welcome_key"),
        Index("ix_welcome_sends_code_created", "tenant_id", "code_id", "created_at"),
        Index("ix_welcome_sends_customer", "customer_id"),
    )

    code_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("channel_codes.id", ondelete="SET NULL")
    )
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64))
    # The welcome code, or ``none:<customer>:<userid>:<added>`` when WeCom gave none.
    welcome_key: Mapped[str] = mapped_column(String(200))
    welcome_code: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(12), default=PENDING)
    reason: Mapped[str] = mapped_column(String(300), default="")
    errcode: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The friendship's start: WeCom takes the welcome code for 20 seconds from then.
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    content: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)


class LandingVisit(IdMixin, TenantMixin, Base):
    """A visit to a code's public landing page, with where it came from (utm parameters)."""

    __tablename__ = "landing_visits"
    __table_args__ = (Index("ix_landing_visits_code_at", "code_id", "at"),)

    code_id: Mapped[int] = mapped_column(BigId, ForeignKey("channel_codes.id", ondelete="CASCADE"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    utm_source: Mapped[str] = mapped_column(String(60), default="")
    utm_medium: Mapped[str] = mapped_column(String(60), default="")
    utm_campaign: Mapped[str] = mapped_column(String(60), default="")
    referrer: Mapped[str] = mapped_column(String(300), default="")
