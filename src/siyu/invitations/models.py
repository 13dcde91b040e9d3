"""Group invitations (拉群邀请): a 1:1 broadcast to a segment or tags inviting them into the
customer groups of a group code, its QR code attached as an image.

:class:`Invitation` links the invitation to its broadcast (``source="invitation:<id>"``), the group
code and the image material of the code's QR (made once per code, reused by later invitations).
Who joined is not stored: it is read from the broadcast's recipients and the groups' members.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin


class Invitation(IdMixin, TenantMixin, Base):
    __tablename__ = "group_invitations"
    __table_args__ = (
        UniqueConstraint("broadcast_id"),
        Index("ix_group_invitations_tenant_created", "tenant_id", "created_at"),
        Index("ix_group_invitations_code", "code_id"),
    )

    name: Mapped[str] = mapped_column(String(100))
    # {"kind": "segment", "segment_id": …} or {"kind": "tags", "tag_ids": […], "match": …}
    audience: Mapped[dict[str, Any]] = mapped_column(JSONDoc)
    text: Mapped[str] = mapped_column(Text, default="")
    code_id: Mapped[int] = mapped_column(BigId, ForeignKey("group_codes.id", ondelete="CASCADE"))
    broadcast_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("broadcasts.id", ondelete="SET NULL")
    )
    # The image material of the code's QR, attached to the broadcast.
    material_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("materials.id", ondelete="SET NULL")
    )
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
