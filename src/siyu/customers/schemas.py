from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CustomerStatus = Literal["active", "lost", "erased"]


class TagRef(BaseModel):
    id: int
    name: str
    group: str


class CustomerRow(BaseModel):
    id: int
    external_userid: str | None
    name: str
    gender: int
    avatar: str
    corp_name: str
    status: CustomerStatus
    owner_userid: str | None
    owner_name: str | None
    source_channel: str
    city: str
    member_level: str
    phone: str | None = Field(description="Masked unless the role may see phone numbers")
    tags: list[TagRef]
    first_added_at: dt.datetime | None


class CustomerPage(BaseModel):
    items: list[CustomerRow]
    total: int
    page: int
    page_size: int


class FollowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    userid: str
    staff_name: str | None = None
    remark: str
    description: str
    added_at: dt.datetime
    add_way: int
    state: str
    status: str
    deleted_at: dt.datetime | None


class PhoneOut(BaseModel):
    id: int
    phone: str
    source: str


class ChurnAlertOut(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    userid: str
    staff_name: str | None
    kind: Literal["deleted_by_customer", "deleted_by_staff"]
    at: dt.datetime
    handled_at: dt.datetime | None
    note: str


class CustomerDetail(CustomerRow):
    type: int
    unionid: str
    birthday: dt.date | None
    preferences: str
    follow_up_days: int | None
    store_id: int | None
    notes: str
    custom: dict[str, Any]
    phones: list[PhoneOut]
    follows: list[FollowOut]
    alerts: list[ChurnAlertOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class CustomerEdit(BaseModel):
    """Profile fields; a field left out is left as it is, ``null`` clears it."""

    model_config = ConfigDict(extra="forbid")

    birthday: dt.date | None = None
    city: str | None = Field(None, max_length=50)
    member_level: str | None = Field(None, max_length=30)
    preferences: str | None = Field(None, max_length=500)
    follow_up_days: int | None = Field(None, ge=1, le=365)
    owner_userid: str | None = Field(None, max_length=64)
    store_id: int | None = Field(None, ge=1, description="A store of the tenant; null clears it")
    source_channel: str | None = Field(None, max_length=64)
    notes: str | None = Field(None, max_length=5000)
    custom: dict[str, str | int | float | bool | None] | None = Field(None, max_length=50)


class PhoneIn(BaseModel):
    phone: str = Field(min_length=5, max_length=32)


class TimelineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    kind: str
    actor: str
    detail: dict[str, Any]


class TimelinePage(BaseModel):
    items: list[TimelineOut]
    total: int
    page: int
    page_size: int


class TaggingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_ids: list[int] = Field(min_length=1, max_length=5000)
    add: list[int] = Field(default_factory=list, max_length=50)
    remove: list[int] = Field(default_factory=list, max_length=50)


class TaggingOut(BaseModel):
    customers: int
    added: int
    removed: int
    writes: int


class SyncRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int | None = None
    state: Literal["never", "running", "done", "failed"]
    staff_total: int = 0
    staff_done: int = 0
    pages: int = 0
    follows_seen: int = 0
    customers_new: int = 0
    removed: int = 0
    resumed: int = 0
    error: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    customers_total: int = 0


class AlertPage(BaseModel):
    items: list[ChurnAlertOut]
    total: int
    page: int
    page_size: int


class AlertHandle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field("", max_length=300)
