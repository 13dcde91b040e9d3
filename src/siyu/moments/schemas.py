"""Moments' request and response shapes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, Field

from siyu.materials.schemas import MaterialSummary

Kind = Literal["light", "knowledge", "feedback", "ad"]
MAX_TEXT = 2000
MAX_TARGETS = 500
MAX_TAGS = 100


class Senders(BaseModel):
    all: bool = Field(default=False, description="Every staff account with 客户联系")
    userids: list[str] = Field(default=[], max_length=MAX_TARGETS)
    department_ids: list[int] = Field(
        default=[], max_length=MAX_TARGETS, description="WeCom department ids"
    )


class PostIn(BaseModel):
    kind: Kind
    text: str = Field(default="", max_length=MAX_TEXT)
    material_ids: list[int] = Field(default=[], max_length=9)
    senders: Senders
    tag_ids: list[int] = Field(
        default=[], max_length=MAX_TAGS, description="Visible to customers with any of these tags"
    )
    planned_at: AwareDatetime | None = Field(
        default=None, description="When to create the WeCom task; with now=true, ignored"
    )
    now: bool = Field(default=False, description="Create the WeCom task at once")
    draft: bool = Field(default=False, description="Save without scheduling")


class PostPatch(PostIn):
    """A draft or a scheduled post is replaced whole."""


class ResultRow(BaseModel):
    userid: str
    name: str
    status: str = Field(description="published, pending or invalid (WeCom refused the account)")
    published_at: dt.datetime | None
    likes: int = Field(0, description="Likes on this account's copy, as last read from WeCom")
    comments: int = Field(0, description="Comments on this account's copy")


class ResultCounts(BaseModel):
    targets: int
    published: int
    pending: int
    invalid: int


class PostOut(BaseModel):
    id: int
    kind: str
    text: str
    material_ids: list[int]
    senders: Senders
    tag_ids: list[int]
    planned_at: dt.datetime | None
    state: str
    error: str
    jobid: str | None
    moment_id: str | None
    created_in_wecom_at: dt.datetime | None
    results_synced_at: dt.datetime | None
    counts: ResultCounts
    created_at: dt.datetime
    updated_at: dt.datetime


class PostDetail(PostOut):
    materials: list[MaterialSummary] = Field(description="The attachments, in order")
    results: list[ResultRow]


class CalendarPost(BaseModel):
    id: int
    kind: str
    state: str
    planned_at: dt.datetime
    time: str = Field(description="HH:MM China time")
    text: str = Field(description="The first characters of the text")
    published: int
    targets: int


class CalendarWarning(BaseModel):
    code: Literal["ad_share", "ad_streak"]
    day: dt.date
    ads: int
    posts: int = Field(description="ad_share: posts in the window; ad_streak: days in a row")
    window_from: dt.date


class CalendarDay(BaseModel):
    day: dt.date
    posts: list[CalendarPost]
    kinds: dict[str, int]
    warnings: list[CalendarWarning]


class Calendar(BaseModel):
    days: list[CalendarDay]
    warnings: list[CalendarWarning]
    settings: SettingsOut


class SettingsIn(BaseModel):
    slots: list[str] = Field(min_length=1, max_length=12, description="HH:MM China time")
    ad_share_percent: int = Field(ge=1, le=100)
    ad_window_days: int = Field(ge=1, le=31)
    ad_days_in_a_row: int = Field(ge=0, le=14, description="0: no streak warning")


class SettingsOut(SettingsIn):
    pass


class Slot(BaseModel):
    at: dt.datetime
    local: str = Field(description="YYYY-MM-DD HH:MM China time")


class Option(BaseModel):
    id: str
    label: str


class Options(BaseModel):
    staff: list[Option]
    departments: list[Option]
    tags: list[Option]


Calendar.model_rebuild()
