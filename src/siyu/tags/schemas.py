from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SyncState = Literal["synced", "pending", "failed"]
Name = Field(min_length=1, max_length=30)


class TagOut(BaseModel):
    id: int
    name: str
    order: int
    wecom_id: str | None
    sync_state: SyncState
    sync_error: str
    customers: int


class TagGroupOut(BaseModel):
    id: int
    name: str
    order: int
    wecom_id: str | None
    sync_state: SyncState
    sync_error: str
    tags: list[TagOut]


class TagLibrary(BaseModel):
    groups: list[TagGroupOut]
    pending_writes: int
    failed_writes: int
    last_sync_at: dt.datetime | None


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Name
    order: int = Field(0, ge=0, le=100_000)
    tags: list[str] = Field(min_length=1, max_length=100)


class TagsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    names: list[str] = Field(min_length=1, max_length=100)


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=30)
    order: int | None = Field(None, ge=0, le=100_000)


class CustomerFilterIn(BaseModel):
    """The customer list's filters, as ``GET /customers`` takes them."""

    model_config = ConfigDict(extra="forbid")

    q: str | None = Field(None, max_length=64)
    tag_ids: list[int] = Field(default_factory=list, max_length=20)
    owner_userid: str | None = Field(None, max_length=64)
    status: Literal["active", "lost", "erased"] | None = None
    channel: str | None = Field(None, max_length=64)
    added_from: dt.date | None = None
    added_to: dt.date | None = None


class TaggingRunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: CustomerFilterIn
    add: list[int] = Field(default_factory=list, max_length=50)
    remove: list[int] = Field(default_factory=list, max_length=50)


class TaggingRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    state: Literal["running", "done", "failed"]
    total: int
    done: int
    tagged: int
    untagged: int
    writes: int
    created_at: dt.datetime
    finished_at: dt.datetime | None
