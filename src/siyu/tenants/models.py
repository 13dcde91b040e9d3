from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from siyu.db import Base, BigId, CreatedAtMixin, IdMixin


class Tenant(IdMixin, CreatedAtMixin, Base):
    """One brand's WeCom corp. Every domain row belongs to exactly one tenant."""

    __tablename__ = "tenants"

    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(50), unique=True)
    corp_id: Mapped[str | None] = mapped_column(String(64), unique=True)


class TenantMixin:
    """The ``tenant_id`` column every domain table carries; repositories filter on it."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(BigId, ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
