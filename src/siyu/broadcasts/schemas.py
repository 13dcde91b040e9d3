from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator

Userid = Annotated[str, Field(min_length=1, max_length=64)]
Id = Annotated[int, Field(ge=1)]


class SegmentAudience(BaseModel):
    kind: Literal["segment"]
    segment_id: Id


class TagsAudience(BaseModel):
    kind: Literal["tags"]
    tag_ids: list[Id] = Field(min_length=1, max_length=100)
    match: Literal["any", "all"] = "any"


class StaffAudience(BaseModel):
    """The customers these accounts own."""

    kind: Literal["staff"]
    userids: list[Userid] = Field(min_length=1, max_length=5000)


class StoresAudience(BaseModel):
    kind: Literal["stores"]
    store_ids: list[Id] = Field(min_length=1, max_length=1000)


class CustomersAudience(BaseModel):
    """A hand-picked list."""

    kind: Literal["customers"]
    customer_ids: list[Id] = Field(min_length=1, max_length=10000)


class GroupsAudience(BaseModel):
    """Customer groups: chosen ones, the groups of chosen owners, or all (empty lists)."""

    kind: Literal["groups"]
    group_ids: list[Id] = Field(default=[], max_length=10000)
    owner_userids: list[Userid] = Field(default=[], max_length=5000)


Audience = Annotated[
    SegmentAudience
    | TagsAudience
    | StaffAudience
    | StoresAudience
    | CustomersAudience
    | GroupsAudience,
    Field(discriminator="kind"),
]


class Repeat(BaseModel):
    every: Literal["day", "week"]
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default=[], description="With every=week: 1 Monday … 7 Sunday"
    )
    until: dt.date

    @field_validator("weekdays")
    @classmethod
    def _unique(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


class BroadcastIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    chat_type: Literal["single", "group"] = "single"
    audience: Audience
    text: str = Field(default="", max_length=4000)
    material_ids: list[Id] = Field(default=[], max_length=9)
    send_at: dt.datetime | None = Field(
        default=None, description="When to send (with a time zone); empty: now"
    )
    repeat: Repeat | None = None


class TaskOut(BaseModel):
    id: int
    sender: str
    sender_name: str
    chunk: int
    recipients: int
    state: str
    msgid: str | None
    confirmed: bool
    confirmed_at: dt.datetime | None
    reminders: int
    error: str


class BroadcastOut(BaseModel):
    id: int
    name: str
    chat_type: str
    audience: dict[str, object]
    text: str
    material_ids: list[int]
    state: str
    send_at: dt.datetime
    due_at: dt.datetime
    moved_by_quiet_hours: bool
    repeat: dict[str, object] | None
    parent_id: int | None
    source: str
    counts: dict[str, int]
    error: str
    created_at: dt.datetime
    planned_at: dt.datetime | None
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None
    synced_at: dt.datetime | None


class BroadcastPage(BaseModel):
    items: list[BroadcastOut]
    total: int
    page: int
    page_size: int


class AudienceCount(BaseModel):
    count: int = Field(description="Customers or groups the audience selects now")
    senders: int | None = Field(
        description="Staff accounts that would send (not counted for very big audiences)"
    )


class SenderRow(BaseModel):
    sender: str
    sender_name: str
    tasks: int
    recipients: int
    confirmed: bool
    counts: dict[str, int]


class Results(BaseModel):
    broadcast: BroadcastOut
    counts: dict[str, int]
    senders: list[SenderRow]
    tasks: list[TaskOut]


class RecipientRow(BaseModel):
    customer_id: int | None
    group_id: int | None
    name: str
    sender: str
    status: str
    sent_at: dt.datetime | None


class RecipientPage(BaseModel):
    items: list[RecipientRow]
    total: int
    page: int
    page_size: int


class SettingsIO(BaseModel):
    quiet_start: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quiet_end: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    cap_count: int = Field(ge=1, le=100, description="At most this many broadcasts per customer")
    cap_days: int = Field(ge=1, le=90, description="… within this many days")
    wecom_policy: Literal["month", "week7", "day1"] = Field(
        description="The receive limit set in WeCom: days-in-month a month, 7 a week, 1 a day"
    )
