"""Group playbooks (群日历 / 群 SOP): a calendar of posts to customer groups — every day at 08:30
breakfast, at 15:00 the new items — each slot sent as a group broadcast exactly once (its
occurrence key is the post and the time), skipping the days the operator marks as holidays."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin


class Playbook(IdMixin, TenantMixin, Base):
    __tablename__ = "group_playbooks"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(String(60))
    # The groups: {"kind": "groups", "group_ids": [...], "owner_userids": [...]} (empty: all).
    audience: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Days nothing is posted (holidays), "YYYY-MM-DD", China time.
    skip_dates: Mapped[list[str]] = mapped_column(JSONDoc, default=list)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlaybookPost(IdMixin, TenantMixin, Base):
    __tablename__ = "group_playbook_posts"

    playbook_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("group_playbooks.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[str] = mapped_column(String(5))  # "08:30", China time
    weekdays: Mapped[list[int]] = mapped_column(JSONDoc, default=list)  # 1 Monday…; empty: daily
    title: Mapped[str] = mapped_column(String(60), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    material_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
