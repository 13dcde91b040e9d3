"""Customer transfers (在职继承 / 离职继承): a batch moving customers from one staff account to
another, and the fate of each customer in it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# Transfer.kind: the handover is still on the staff (在职继承), or has left the corp (离职继承).
ACTIVE, RESIGNED = "active", "resigned"

# Transfer.state: customers still to be asked of WeCom; all asked, some customers still
# waiting; every customer settled.
SENDING, WAITING, DONE = "sending", "waiting", "done"

# TransferItem.status. ``queued``: not asked of WeCom yet. ``sending``: the request to WeCom is
# under way — written before the request, so that after a crash the item is looked up in
# WeCom's transfer results and never asked twice. ``waiting``: WeCom started the transfer and
# the customer has 24 hours to refuse. Then one of ``accepted``, ``refused``, ``failed``.
QUEUED, ITEM_SENDING, ITEM_WAITING = "queued", "sending", "waiting"
ACCEPTED, REFUSED, FAILED = "accepted", "refused", "failed"
ITEM_STATUSES = (QUEUED, ITEM_SENDING, ITEM_WAITING, ACCEPTED, REFUSED, FAILED)
OPEN_STATUSES = (QUEUED, ITEM_SENDING, ITEM_WAITING)
SETTLED_STATUSES = (ACCEPTED, REFUSED, FAILED)


class Transfer(IdMixin, TenantMixin, Base):
    """One request to move customers from ``handover_userid`` to ``takeover_userid``."""

    __tablename__ = "transfers"
    __table_args__ = (Index("ix_transfers_tenant_created", "tenant_id", "created_at"),)

    kind: Mapped[str] = mapped_column(String(10))
    handover_userid: Mapped[str] = mapped_column(String(64))
    takeover_userid: Mapped[str] = mapped_column(String(64))
    # What the customer reads with an active transfer (WeCom's default text when empty).
    message: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[str] = mapped_column(String(10), default=SENDING)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_by_label: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class TransferItem(IdMixin, TenantMixin, Base):
    """One customer of a transfer, with WeCom's answer about them."""

    __tablename__ = "transfer_items"
    __table_args__ = (
        UniqueConstraint("transfer_id", "customer_id"),
        Index("ix_transfer_items_transfer_status", "transfer_id", "status"),
        Index("ix_transfer_items_tenant_status", "tenant_id", "status"),
        Index("ix_transfer_items_tenant_customer", "tenant_id", "external_userid"),
    )

    transfer_id: Mapped[int] = mapped_column(BigId, ForeignKey("transfers.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    external_userid: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    # Why a customer was refused or failed: a stable code (see ``siyu.transfers.reasons``),
    # WeCom's errcode when it gave one, and WeCom's own words.
    reason: Mapped[str] = mapped_column(String(30), default="")
    errcode: Mapped[int | None] = mapped_column(Integer)
    errmsg: Mapped[str] = mapped_column(String(300), default="")
    # When the request to WeCom was begun (``sending``) and answered (``waiting`` or failed).
    sending_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The job attempt asking WeCom while ``sending``: once that attempt is over, the item is
    # looked up in WeCom's results rather than asked again.
    claim_job_id: Mapped[int | None] = mapped_column(BigId)
    claim_attempt: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
