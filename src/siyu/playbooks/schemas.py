from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field, field_validator

from siyu.broadcasts.schemas import BroadcastOut, GroupsAudience

HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class PostIn(BaseModel):
    at: str = Field(pattern=HHMM, description="China time, HH:MM")
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default=[], description="1 Monday … 7 Sunday; empty: every day"
    )
    title: str = Field(default="", max_length=60)
    text: str = Field(default="", max_length=4000)
    material_ids: list[Annotated[int, Field(ge=1)]] = Field(default=[], max_length=9)

    @field_validator("weekdays")
    @classmethod
    def _unique(cls, value: list[int]) -> list[int]:
        return sorted(set(value))


class PlaybookIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    audience: GroupsAudience
    enabled: bool = True
    skip_dates: list[dt.date] = Field(default=[], max_length=366)
    posts: list[PostIn] = Field(min_length=1, max_length=48)


class PostOut(PostIn):
    id: int


class NextSend(BaseModel):
    post_id: int
    at: dt.datetime


class PlaybookOut(BaseModel):
    id: int
    name: str
    audience: dict[str, object]
    enabled: bool
    skip_dates: list[str]
    posts: list[PostOut]
    groups: int = Field(description="Live groups it posts to now")
    next_sends: list[NextSend]
    created_at: dt.datetime
    updated_at: dt.datetime


class PlaybookSends(BaseModel):
    items: list[BroadcastOut]
    total: int
