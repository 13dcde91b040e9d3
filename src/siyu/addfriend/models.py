"""Add-friend lists (拓客名单) and their tasks: phone numbers handed to staff accounts as paced
requests to add, each finished by the friendship showing up, or skipped with a reason."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# AddFriendList.state: the file is being mapped; its rows are being read into tasks; tasks are
# being worked; stopped by hand (open tasks cancelled); the import gave up.
DRAFT, IMPORTING, ACTIVE, CANCELLED, FAILED = "draft", "importing", "active", "cancelled", "failed"
LIST_STATES = (DRAFT, IMPORTING, ACTIVE, CANCELLED, FAILED)

# AddFriendTask.state. ``pending``: to do (on its due day). ``sent``: staff sent the request and
# wait for the customer to accept. ``done``: the customer became a friend (matched by phone),
# of this account or of another one (``completed_userid`` says which). ``skipped``: staff gave
# up, with a reason. ``cancelled``: the list was cancelled while the task was open.
PENDING, SENT, DONE, SKIPPED = "pending", "sent", "done", "skipped"
TASK_CANCELLED = "cancelled"
TASK_STATES = (PENDING, SENT, DONE, SKIPPED, TASK_CANCELLED)
OPEN_STATES = (PENDING, SENT)
# Why staff skipped a task: 号码不存在 / 对方拒绝 / 已添加 / 其他.
SKIP_REASONS = ("no_such_number", "refused", "already_added", "other")

DEFAULT_DAILY_LIMIT = 20


class AddFriendList(IdMixin, TenantMixin, Base):
    """An uploaded list of phone numbers and how its tasks are handed out: to which staff
    accounts, how many a day at most, with which greeting (验证语)."""

    __tablename__ = "add_friend_lists"
    __table_args__ = (Index("ix_add_friend_lists_tenant_created", "tenant_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(12), default=DRAFT)
    # The file, kept under the var directory until the list is imported.
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(10))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    headers: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    mapping: Mapped[dict[str, str]] = mapped_column(JSONDoc, default=dict)
    locale: Mapped[str] = mapped_column(String(5), default="zh-CN")  # of the reject reasons
    # Handing out: the chosen staff accounts and stores (their staff are added at the start).
    userids: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    store_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    daily_limit: Mapped[int] = mapped_column(Integer, default=DEFAULT_DAILY_LIMIT)
    greeting: Mapped[str] = mapped_column(String(200), default="")
    start_day: Mapped[dt.date | None] = mapped_column(Date)
    # Reading the file: rows read, tasks made, and the rows dropped and why.
    rows_hint: Mapped[int | None] = mapped_column(Integer)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    last_row: Mapped[int] = mapped_column(Integer, default=0)  # sheet row number done up to
    added: Mapped[int] = mapped_column(Integer, default=0)
    existing_customers: Mapped[int] = mapped_column(Integer, default=0)  # 已是客户
    duplicates: Mapped[int] = mapped_column(Integer, default=0)  # twice in this list
    open_elsewhere: Mapped[int] = mapped_column(Integer, default=0)  # open in another list
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    imported_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AddFriendTask(IdMixin, TenantMixin, Base):
    """One number for one staff account to add. ``due_day`` is the day (China time) it is
    planned for; None while it waits in the account's queue beyond the planning horizon."""

    __tablename__ = "add_friend_tasks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "list_id", "phone_hash"),
        # A number is open (pending or sent) in one list at a time, whoever imports it.
        Index(
            "uq_add_friend_tasks_open_phone",
            "tenant_id",
            "phone_hash",
            unique=True,
            sqlite_where=text("state IN ('pending', 'sent')"),
            postgresql_where=text("state IN ('pending', 'sent')"),
        ),
        Index("ix_add_friend_tasks_list_userid_state", "list_id", "userid", "state"),
        Index("ix_add_friend_tasks_account_day", "tenant_id", "userid", "due_day"),
    )

    list_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("add_friend_lists.id", ondelete="CASCADE")
    )
    row: Mapped[int] = mapped_column(Integer, default=0)  # of the sheet
    phone_hash: Mapped[str] = mapped_column(String(64))
    sealed: Mapped[str] = mapped_column(String(200))
    masked: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), default="")
    note: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(64), default="")
    userid: Mapped[str] = mapped_column(String(64))
    due_day: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    skip_reason: Mapped[str] = mapped_column(String(20), default="")
    skip_note: Mapped[str] = mapped_column(String(200), default="")
    # The customer the number turned out to be, and the account they became a friend of.
    customer_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("customers.id", ondelete="SET NULL")
    )
    completed_userid: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AddFriendReject(IdMixin, TenantMixin, Base):
    """A rejected cell of a list's file, kept for the downloadable report."""

    __tablename__ = "add_friend_rejects"
    __table_args__ = (Index("ix_add_friend_rejects_list_row", "list_id", "row"),)

    list_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("add_friend_lists.id", ondelete="CASCADE")
    )
    row: Mapped[int] = mapped_column(Integer)
    column: Mapped[str] = mapped_column(String(200), default="")
    value: Mapped[str] = mapped_column(String(500), default="")
    reason: Mapped[str] = mapped_column(String(300))
