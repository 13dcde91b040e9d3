"""Auto-tagging (自动打标签): keyword rules over chat text and the hits they made."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# KeywordRule.match_mode: the keyword anywhere in the message, or the whole message.
CONTAINS, EXACT = "contains", "exact"
MATCH_MODES = (CONTAINS, EXACT)
# KeywordRule.side: whose messages the rule reads.
CUSTOMER, STAFF, BOTH = "customer", "staff", "both"
SIDES = (CUSTOMER, STAFF, BOTH)


class KeywordRule(IdMixin, TenantMixin, Base):
    """关键词规则: a message with one of ``keywords`` tags its customer with ``tag_ids``."""

    __tablename__ = "keyword_rules"
    __table_args__ = (Index("ix_keyword_rules_tenant_created", "tenant_id", "created_at"),)

    name: Mapped[str] = mapped_column(String(60))
    keywords: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    match_mode: Mapped[str] = mapped_column(String(10), default=CONTAINS)
    side: Mapped[str] = mapped_column(String(10), default=CUSTOMER)
    tag_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KeywordRuleSet(IdMixin, TenantMixin, Base):
    """A tenant's rules' version, bumped by every change: a worker's cached matcher of an older
    version is rebuilt before the next page."""

    __tablename__ = "keyword_rule_sets"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    version: Mapped[int] = mapped_column(BigInteger, default=1)


class KeywordHit(IdMixin, TenantMixin, Base):
    """A message that matched a rule: once per (rule, message), whatever pulls it again."""

    __tablename__ = "keyword_hits"
    __table_args__ = (
        UniqueConstraint("tenant_id", "rule_id", "msgid"),
        Index("ix_keyword_hits_rule_at", "rule_id", "at"),
        Index("ix_keyword_hits_customer", "customer_id"),
    )

    rule_id: Mapped[int] = mapped_column(BigId, ForeignKey("keyword_rules.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    msgid: Mapped[str] = mapped_column(String(80))
    keyword: Mapped[str] = mapped_column(String(60))
    side: Mapped[str] = mapped_column(String(10))
    excerpt: Mapped[str] = mapped_column(String(200), default="")
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
