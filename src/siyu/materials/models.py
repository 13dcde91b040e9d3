"""The material library (素材库): images, videos, files, links and mini-program cards that
messages, Moments and welcome messages carry, and the WeCom media ids made for them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

IMAGE, VIDEO, FILE, LINK, MINIPROGRAM = "image", "video", "file", "link", "miniprogram"
KINDS = (IMAGE, VIDEO, FILE, LINK, MINIPROGRAM)
# What a material is uploaded to WeCom for: a message attachment (``media/upload``) or a
# Moments attachment (``media/upload_attachment``).
MESSAGE, MOMENT = "message", "moment"


class Material(IdMixin, TenantMixin, Base):
    """One item of the library. Images, videos and files keep their bytes under the var
    directory; links and mini-program cards name an image material as their cover."""

    __tablename__ = "materials"
    __table_args__ = (
        Index("ix_materials_tenant_kind", "tenant_id", "archived", "kind", "id"),
        Index("ix_materials_tenant_category", "tenant_id", "category"),
    )

    kind: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(500), default="")
    category: Mapped[str] = mapped_column(String(30), default="")
    # Words to find it by, separated by spaces.
    keywords: Mapped[str] = mapped_column(String(300), default="")
    # The stored file (image, video, file): its name as uploaded, where it is kept (relative to
    # the var directory), its type, size and digest.
    file_name: Mapped[str] = mapped_column(String(200), default="")
    file_path: Mapped[str] = mapped_column(String(300), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    # An image's permanent URL from ``media/uploadimg``, made once when a link uses it as cover.
    image_url: Mapped[str] = mapped_column(String(1000), default="")
    # Link (url; title and description are the card's) and mini-program (appid, page).
    url: Mapped[str] = mapped_column(String(1000), default="")
    appid: Mapped[str] = mapped_column(String(32), default="")
    page: Mapped[str] = mapped_column(String(500), default="")
    cover_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("materials.id", ondelete="SET NULL")
    )
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    archived: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MaterialMedia(IdMixin, TenantMixin, Base):
    """The WeCom media id last made for a material and a purpose; good for three days, made
    again when less than 12 hours remain."""

    __tablename__ = "material_media"
    __table_args__ = (
        UniqueConstraint("material_id", "purpose"),
        Index("ix_material_media_expires", "expires_at"),
    )

    material_id: Mapped[int] = mapped_column(BigId, ForeignKey("materials.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(12))
    media_id: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
