"""Broadcasts (群发): one message to many customers (1:1) or customer groups, sent as WeCom
mass-message tasks the staff confirm in their client.

- :class:`Broadcast` is what the operator composed: audience, content, when, how often.
- :class:`BroadcastRecipient` is one customer or group it was planned for, with its outcome.
- :class:`BroadcastTask` is one WeCom task: a sender and a chunk of their recipients. The unique
  (broadcast, sender, chunk) is the idempotency key of the call that creates it; its state is
  written before and after that call, so no chunk is ever created twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    literal,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

SINGLE, GROUP = "single", "group"

# A broadcast's life: scheduled → planning → sending → sent (every task created; staff confirm)
# → done (results settled). Also cancelled, failed (nothing could be sent).
SCHEDULED, PLANNING, SENDING, SENT, DONE = "scheduled", "planning", "sending", "sent", "done"
CANCELLED, FAILED = "cancelled", "failed"

# A task's life: planned → sending (this attempt is calling WeCom) → created (WeCom's msgid)
# or failed (WeCom refused it); cancelled before it was created.
T_PLANNED, T_SENDING, T_CREATED, T_FAILED, T_CANCELLED = (
    "planned",
    "sending",
    "created",
    "failed",
    "cancelled",
)

# A recipient's outcome. A recipient stays ``planned`` until WeCom reports what became of it: the
# row is not rewritten when its task is made (a million rows a broadcast); it is *shown* as
# ``waiting`` once its task is created (:func:`shown_status`).
R_PLANNED = "planned"  # in a task not yet created
R_WAITING = "waiting"  # in a created task; the sender has not sent it yet (shown, not stored)
R_SENT = "sent"
R_NOT_FRIEND = "not_friend"  # WeCom: no longer the sender's friend (or not a member any more)
R_OVER_LIMIT = "over_limit"  # WeCom's receive limit (or predicted from Siyu's own record)
R_OVER_CAP = "over_cap"  # the tenant's own frequency cap
R_NO_SENDER = "no_sender"  # no staff account is their friend / the group has no owner
R_FAILED = "failed"  # the task could not be created
R_CANCELLED = "cancelled"
RECIPIENT_STATUSES = (
    R_PLANNED,
    R_WAITING,
    R_SENT,
    R_NOT_FRIEND,
    R_OVER_LIMIT,
    R_OVER_CAP,
    R_NO_SENDER,
    R_FAILED,
    R_CANCELLED,
)
# Outcomes that count as the customer having been reached (for caps and WeCom's limit).
REACHING = (R_PLANNED, R_WAITING, R_SENT)


class Broadcast(IdMixin, TenantMixin, Base):
    __tablename__ = "broadcasts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "occurrence_key"),
        Index("ix_broadcasts_due", "state", "due_at"),
        Index("ix_broadcasts_tenant_created", "tenant_id", "created_at"),
    )

    name: Mapped[str] = mapped_column(String(100))
    chat_type: Mapped[str] = mapped_column(String(8), default=SINGLE)
    # {"kind": "segment"|"tags"|"staff"|"stores"|"customers"|"groups", …} (see audience.py)
    audience: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    text: Mapped[str] = mapped_column(Text, default="")
    material_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    state: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    # When the operator asked for it, and when it goes (moved out of quiet hours).
    send_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # {"every": "day"|"week", "weekdays": [1..7], "until": "YYYY-MM-DD"}; on the first one only.
    repeat: Mapped[dict[str, Any] | None] = mapped_column(JSONDoc)
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    occurrence_key: Mapped[str | None] = mapped_column(String(80))
    # Set when made for another feature (a group playbook slot, a segment's group invitation).
    source: Mapped[str] = mapped_column(String(40), default="")
    # Counts by recipient status, kept with the rows (for lists and the results page).
    counts: Mapped[dict[str, int]] = mapped_column(JSONDoc, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    planned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    synced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BroadcastTask(IdMixin, TenantMixin, Base):
    __tablename__ = "broadcast_tasks"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "sender", "chunk"),
        UniqueConstraint("tenant_id", "msgid"),
        Index("ix_broadcast_tasks_state", "broadcast_id", "state"),
    )

    broadcast_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("broadcasts.id", ondelete="CASCADE")
    )
    sender: Mapped[str] = mapped_column(String(64))
    chunk: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(12), default=T_PLANNED)
    # Which attempt is calling WeCom for it, and since when (a stopped attempt leaves this).
    claim: Mapped[str] = mapped_column(String(40), default="")
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    msgid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    rate_limited: Mapped[int] = mapped_column(SmallInteger, default=0)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reminders: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    error: Mapped[str] = mapped_column(Text, default="")


class BroadcastRecipient(IdMixin, TenantMixin, Base):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        # One row per customer (or group: the plan lists each group once) per broadcast.
        UniqueConstraint("broadcast_id", "customer_id"),
        Index("ix_broadcast_recipients_task", "task_id", "status"),
        Index("ix_broadcast_recipients_at", "tenant_id", "at"),
    )

    # Millions of rows a broadcast, written in one statement: no index of its own on tenant_id
    # (the (tenant, at) one leads with it) and no foreign key to check per row, to the tenant or
    # the broadcast: Siyu deletes neither.
    tenant_id: Mapped[int] = mapped_column(BigId)
    broadcast_id: Mapped[int] = mapped_column(BigId)
    task_id: Mapped[int | None] = mapped_column(BigId)
    customer_id: Mapped[int | None] = mapped_column(BigId)
    group_id: Mapped[int | None] = mapped_column(BigId)
    sender: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(12), default=R_PLANNED)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())  # when it was planned
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ReachSettings(IdMixin, TenantMixin, Base):
    """A tenant's rules for reaching customers: quiet hours (China time) when nothing is sent,
    its own frequency cap, and the receive limit it set in WeCom (群发助手 → 设置群发规则)."""

    __tablename__ = "reach_settings"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    quiet_start: Mapped[str] = mapped_column(String(5), default="22:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    cap_count: Mapped[int] = mapped_column(Integer, default=3)
    cap_days: Mapped[int] = mapped_column(Integer, default=7)
    # month (days in the month per month, WeCom's default), week (7 a week), day (1 a day)
    wecom_policy: Mapped[str] = mapped_column(String(8), default="month")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def shown_status() -> ColumnElement[str]:
    """A recipient's outcome as people see it: ``planned`` in a task WeCom made is ``waiting``
    for its sender. The query must outer-join :data:`TASK_OF_RECIPIENT`."""
    return case(
        (
            and_(BroadcastRecipient.status == R_PLANNED, BroadcastTask.state == T_CREATED),
            literal(R_WAITING),
        ),
        else_=BroadcastRecipient.status,
    )


TASK_OF_RECIPIENT = BroadcastTask.id == BroadcastRecipient.task_id
