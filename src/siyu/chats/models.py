"""The chat archive (会话存档) as Siyu reads it: where each tenant's feed stands, and what every
customer's chats amount to (the facts behaviour rules and segments read)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# ChatArchiveState.source: the sandbox's feed over HTTP, or WeCom's Finance SDK (the real one).
SANDBOX, FINANCE_SDK = "sandbox", "finance_sdk"
SOURCES = (SANDBOX, FINANCE_SDK)


class ChatArchiveState(IdMixin, TenantMixin, Base):
    """A tenant's chat-archive feed: its source and settings, and the cursor. The cursor moves in
    the transaction that applies a page, guarded by its previous value, so a page is applied
    once whatever repeats (a retried job, a crash after commit, a duplicated notify)."""

    __tablename__ = "chat_archives"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    source: Mapped[str] = mapped_column(String(16), default=SANDBOX)
    enabled: Mapped[bool] = mapped_column(default=True)
    # The 会话存档 Secret and the corp's RSA private keys by ``publickey_ver`` (JSON), sealed.
    secret_sealed: Mapped[str | None] = mapped_column(Text)
    private_keys_sealed: Mapped[str | None] = mapped_column(Text)
    # The last seq applied: the next pull asks for messages after it.
    cursor_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_message_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    messages_read: Mapped[int] = mapped_column(BigInteger, default=0)
    # Read but not applied to a customer: group chats (not handled yet), people Siyu does not
    # know (not a customer of the tenant), recalls and switches.
    skipped_group: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped_unknown: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped_other: Mapped[int] = mapped_column(BigInteger, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CustomerChatStats(IdMixin, TenantMixin, Base):
    """What a customer's 1:1 chats amount to: inbound (the customer wrote) and outbound (staff
    wrote). Updated with the page that carried the messages."""

    __tablename__ = "customer_chat_stats"
    __table_args__ = (UniqueConstraint("tenant_id", "customer_id"),)

    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    first_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_inbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    inbound_count: Mapped[int] = mapped_column(Integer, default=0)
    last_outbound_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    outbound_count: Mapped[int] = mapped_column(Integer, default=0)
