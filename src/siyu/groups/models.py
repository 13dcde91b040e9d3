"""Customer groups mirrored from WeCom, their members with history, group codes and group
welcome templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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

# WeCom stops joins by QR code once a group has this many members (staff included).
QR_JOIN_LIMIT = 200
# Group.status
ACTIVE, DISMISSED = "active", "dismissed"
# GroupMember.member_type
STAFF, CUSTOMER = "staff", "customer"
# GroupCode.status
CREATING, CODE_ACTIVE, FAILED, DELETED = "creating", "active", "failed", "deleted"
# GroupCode.alert: every listed group is full and no group with room could be swapped in.
ALERT_FULL = "full"


class Group(IdMixin, TenantMixin, Base):
    """A WeCom customer group (客户群). Kept after it is dismissed, for the record. A row may
    exist before WeCom has been read for it (a callback named it): ``refresh_requested_at`` is
    then set, and the refresh job fills it in."""

    __tablename__ = "customer_groups"
    __table_args__ = (
        UniqueConstraint("tenant_id", "chat_id"),
        Index("ix_customer_groups_tenant_owner", "tenant_id", "owner_userid"),
        Index("ix_customer_groups_refresh", "tenant_id", "refresh_requested_at"),
    )

    chat_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    owner_userid: Mapped[str] = mapped_column(String(64), default="")
    notice: Mapped[str] = mapped_column(Text, default="")
    admin_userids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # in WeCom
    member_count: Mapped[int] = mapped_column(Integer, default=0)  # current, staff included
    customer_count: Mapped[int] = mapped_column(Integer, default=0)
    # groupchat/list's status: 0 normal, 1 owner left (to inherit), 2 inheriting, 3 inherited.
    wecom_status: Mapped[int] = mapped_column(SmallInteger, default=0)
    member_version: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(12), default=ACTIVE)
    dismissed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    refresh_requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The full sync that last listed this group, and the one that last read its details.
    seen_by_run: Mapped[int | None] = mapped_column(BigInteger)
    read_by_run: Mapped[int | None] = mapped_column(BigInteger)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class GroupMember(IdMixin, TenantMixin, Base):
    """One stay of a person in a group: a row per join, closed by ``left_at`` when they leave,
    so joins and leaves per day can be counted. The open row (``left_at`` NULL) of a group and
    userid is at most one."""

    __tablename__ = "group_members"
    __table_args__ = (
        Index("ix_group_members_group_userid", "group_id", "userid", "left_at"),
        Index("ix_group_members_tenant_state", "tenant_id", "state", "joined_at"),
        Index("ix_group_members_tenant_joined", "tenant_id", "joined_at"),
        Index("ix_group_members_tenant_left", "tenant_id", "left_at"),
        Index("ix_group_members_customer", "customer_id"),
    )

    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer_groups.id", ondelete="CASCADE")
    )
    # The staff userid or the customer's external_userid (WeCom's member_list[].userid).
    userid: Mapped[str] = mapped_column(String(64))
    member_type: Mapped[str] = mapped_column(String(10), default=CUSTOMER)
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="SET NULL")
    )
    name: Mapped[str] = mapped_column(String(100), default="")
    group_nickname: Mapped[str] = mapped_column(String(100), default="")
    unionid: Mapped[str] = mapped_column(String(64), default="")
    joined_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # 1 invited directly, 2 by an invitation link, 3 by scanning a group QR code (0 unknown).
    join_scene: Mapped[int] = mapped_column(SmallInteger, default=0)
    invitor_userid: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(64), default="")  # the group code's, when one
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # 0 left by themselves, 1 removed by the owner or an admin; NULL unknown (seen gone by a read).
    quit_scene: Mapped[int | None] = mapped_column(SmallInteger)


class GroupMessageDay(IdMixin, TenantMixin, Base):
    """Messages said in a group on one China day, counted from the chat archive (会话存档) as its
    pages are applied (once each: see ``chats.ingest``)."""

    __tablename__ = "group_message_days"
    __table_args__ = (UniqueConstraint("group_id", "day"),)

    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer_groups.id", ondelete="CASCADE")
    )
    day: Mapped[dt.date] = mapped_column(Date)
    messages: Mapped[int] = mapped_column(Integer, default=0)
    # Members' messages (customers) and staff's, of ``messages``.
    from_customers: Mapped[int] = mapped_column(Integer, default=0)


class GroupSyncRun(IdMixin, TenantMixin, Base):
    """A full read of the groups from WeCom: listing (page by page, by owner when the corp is
    too large to list at once), then each group's details. Progress is committed with every page,
    so a restarted sync resumes where it stopped."""

    __tablename__ = "group_sync_runs"

    state: Mapped[str] = mapped_column(String(12), default="running")  # running done failed
    phase: Mapped[str] = mapped_column(String(10), default="list")  # list → detail
    # Listing by owner (WeCom's 81017 for corps with more than 1000 visible members).
    by_owner: Mapped[bool] = mapped_column(Boolean, default=False)
    owners: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    owner_batch: Mapped[int] = mapped_column(Integer, default=0)
    cursor: Mapped[str] = mapped_column(String(200), default="")
    listed: Mapped[int] = mapped_column(Integer, default=0)
    read: Mapped[int] = mapped_column(Integer, default=0)
    dismissed: Mapped[int] = mapped_column(Integer, default=0)
    resumed: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class GroupWelcome(IdMixin, TenantMixin, Base):
    """A group welcome template (入群欢迎语) in WeCom's library: text with ``%NICKNAME%`` and at
    most one attachment. WeCom greets with the one a group owner picks in the client."""

    __tablename__ = "group_welcomes"
    __table_args__ = (UniqueConstraint("tenant_id", "template_id"),)

    name: Mapped[str] = mapped_column(String(60))
    template_id: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text, default="")
    # {} or {"msgtype": "image"|"link"|"miniprogram", …the attachment's fields}
    attachment: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    notify: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class GroupCode(IdMixin, TenantMixin, Base):
    """A group code (群活码): WeCom's 「加入群聊」 join way routing customers to its listed groups.
    Joins through it are the members whose ``state`` is the code's."""

    __tablename__ = "group_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "state"),)

    name: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(30))
    config_id: Mapped[str | None] = mapped_column(String(64))
    qr_code: Mapped[str] = mapped_column(String(500), default="")
    auto_create: Mapped[bool] = mapped_column(Boolean, default=True)
    room_base_name: Mapped[str] = mapped_column(String(40), default="")
    room_base_id: Mapped[int] = mapped_column(Integer, default=1)
    welcome_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("group_welcomes.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(String(12), default=CREATING)
    alert: Mapped[str] = mapped_column(String(20), default="")
    alert_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    swapped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class GroupCodeGroup(IdMixin, TenantMixin, Base):
    """A group a code lists, in WeCom's order (customers go to the first with room)."""

    __tablename__ = "group_code_groups"
    __table_args__ = (
        UniqueConstraint("code_id", "group_id"),
        Index("ix_group_code_groups_group", "group_id"),
    )

    code_id: Mapped[int] = mapped_column(BigId, ForeignKey("group_codes.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("customer_groups.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
