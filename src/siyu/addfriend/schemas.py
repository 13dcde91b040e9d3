from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.addfriend.service import MAX_DAILY_LIMIT

ListState = Literal["draft", "importing", "active", "cancelled", "failed"]
TaskState = Literal["pending", "sent", "done", "skipped", "cancelled"]
SkipReason = Literal["no_such_number", "refused", "already_added", "other"]


class Counts(BaseModel):
    """Tasks by progress: ``done`` were added by their own account, ``done_by_other`` turned
    out to be friends of another account (so nobody adds them twice)."""

    pending: int = 0
    sent: int = 0
    done: int = 0
    done_by_other: int = 0
    skipped: int = 0
    cancelled: int = 0
    total: int = 0


class ListOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    state: ListState
    filename: str
    headers: list[str]
    mapping: dict[str, str]
    userids: list[str]
    store_ids: list[int]
    daily_limit: int
    greeting: str
    start_day: dt.date | None
    rows_hint: int | None
    rows_read: int
    added: int
    existing_customers: int
    duplicates: int
    open_elsewhere: int
    rejected: int
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    imported_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    counts: Counts = Field(default_factory=Counts)


class ListPage(BaseModel):
    items: list[ListOut]
    total: int
    page: int
    page_size: int


class FieldOut(BaseModel):
    name: str
    aliases: list[str]
    required: bool


class StaffProgress(BaseModel):
    userid: str
    name: str | None
    left: bool
    counts: Counts
    due_today: int = Field(description="Open tasks due today or overdue")


class ListDetail(ListOut):
    fields: list[FieldOut]
    preview: list[dict[str, Any]]
    by_staff: list[StaffProgress]
    today: dt.date
    days_left: int | None = Field(
        description="Days until every open task has had its day, at the daily limit"
    )


class ListEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=100)
    greeting: str | None = Field(None, max_length=200)
    daily_limit: int | None = Field(None, ge=1, le=MAX_DAILY_LIMIT)
    userids: list[str] | None = Field(None, max_length=500, description="Only before the start")
    store_ids: list[int] | None = Field(None, max_length=500, description="Only before the start")
    start_day: dt.date | None = Field(None, description="Only before the start")


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, str] = Field(max_length=200)


class TaskOut(BaseModel):
    id: int
    list_id: int
    list_name: str
    row: int
    phone: str = Field(description="In full for who works the task or may see phones, else masked")
    phone_masked: bool
    name: str
    note: str
    source: str
    userid: str
    staff_name: str | None
    due_day: dt.date | None
    state: TaskState
    skip_reason: str
    skip_note: str
    customer_id: int | None
    completed_userid: str | None
    by_other: bool = Field(description="Done: the customer became a friend of another account")
    greeting: str = Field(description="The list's greeting (验证语) filled in for this task")
    sent_at: dt.datetime | None
    finished_at: dt.datetime | None


class TaskPage(BaseModel):
    items: list[TaskOut]
    total: int
    page: int
    page_size: int


class TodayOut(BaseModel):
    today: dt.date
    userids: list[str] = Field(description="The staff accounts shown")
    operated: list[str] = Field(description="The staff accounts you operate")
    daily_limit: int = Field(description="The smallest daily limit of the lists shown")
    tasks: list[TaskOut]


class SkipIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: SkipReason
    note: str = Field("", max_length=200)


class ReassignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_userid: str = Field(min_length=1, max_length=64)
    to_userids: list[str] = Field(min_length=1, max_length=500)
    list_id: int | None = Field(None, description="Only this list's tasks (default: every list)")


class ReassignOut(BaseModel):
    moved: int
