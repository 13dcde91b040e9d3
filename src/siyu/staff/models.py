from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, IdMixin, JSONDoc, UTCDateTime
from siyu.tenants.models import TenantMixin


class Department(IdMixin, TenantMixin, Base):
    """A department of the tenant's WeCom corp, mirrored by the staff sync."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("tenant_id", "wecom_id"),)

    wecom_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    parent_wecom_id: Mapped[int] = mapped_column(Integer, default=0)
    order: Mapped[int] = mapped_column(Integer, default=0)
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StaffAccount(IdMixin, TenantMixin, Base):
    """A WeCom account staff operate (userid). Kept after the member leaves, for the record:
    their customers, sales and messages stay attributed to it."""

    __tablename__ = "staff_accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "userid"),)

    userid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(128), default="")
    department_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    main_department: Mapped[int | None] = mapped_column(Integer)
    # Whether WeCom lists the member among those with customer contact enabled.
    customer_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="active")
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    left_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
