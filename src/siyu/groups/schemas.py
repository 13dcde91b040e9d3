from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from siyu.groups.models import QR_JOIN_LIMIT


class GroupRow(BaseModel):
    id: int
    chat_id: str
    name: str
    owner_userid: str
    owner_name: str | None = None
    member_count: int
    customer_count: int
    limit: int = QR_JOIN_LIMIT
    status: Literal["active", "dismissed"]
    wecom_status: int
    created_at: dt.datetime | None
    dismissed_at: dt.datetime | None
    read_at: dt.datetime | None
    # A callback said it changed and WeCom has not been read for it yet.
    refreshing: bool
    codes: list[str] = []


class GroupPage(BaseModel):
    items: list[GroupRow]
    total: int
    page: int
    page_size: int


class DayCount(BaseModel):
    """One China day of a group."""

    day: dt.date
    joins: int
    leaves: int
    messages: int = Field(description="Said in the group, from the chat archive")


class GroupDetail(GroupRow):
    notice: str
    admin_userids: list[str]
    member_version: str
    days: list[DayCount]


class MemberOut(BaseModel):
    id: int
    userid: str
    member_type: Literal["staff", "customer"]
    name: str
    group_nickname: str
    customer_id: int | None
    joined_at: dt.datetime
    join_scene: int
    invitor_userid: str
    state: str
    code_name: str | None = None
    left_at: dt.datetime | None
    quit_scene: int | None


class MemberPage(BaseModel):
    items: list[MemberOut]
    total: int
    page: int
    page_size: int


class GroupSyncOut(BaseModel):
    id: int | None = None
    state: Literal["never", "running", "done", "failed"]
    phase: str = ""
    listed: int = 0
    read: int = 0
    dismissed: int = 0
    resumed: int = 0
    error: str = ""
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    groups_total: int = 0


STATE_PATTERN = r"^[A-Za-z0-9_\-]{1,30}$"


class GroupCodeEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    group_ids: list[int] = Field(min_length=1, max_length=5, description="in routing order")
    auto_create: bool = True
    room_base_name: str = Field("", max_length=40)
    room_base_id: int = Field(1, ge=1, le=1_000_000)
    welcome_id: int | None = None

    @field_validator("name", "room_base_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @model_validator(mode="after")
    def _checks(self) -> GroupCodeEdit:
        if len(set(self.group_ids)) != len(self.group_ids):
            raise ValueError("group_ids lists a group twice")
        if self.auto_create and not self.room_base_name:
            raise ValueError("room_base_name is required when auto_create is on")
        return self


class GroupCodeIn(GroupCodeEdit):
    state: str | None = Field(
        None, pattern=STATE_PATTERN, description="made up when absent; fixed once created"
    )


class ListedGroup(BaseModel):
    id: int
    chat_id: str
    name: str
    member_count: int
    limit: int = QR_JOIN_LIMIT
    full: bool
    status: Literal["active", "dismissed"]


class GroupCodeOut(BaseModel):
    id: int
    name: str
    state: str
    config_id: str | None
    qr_code: str
    auto_create: bool
    room_base_name: str
    room_base_id: int
    welcome_id: int | None
    welcome_name: str | None = None
    status: Literal["creating", "active", "failed", "deleted"]
    alert: str
    alert_at: dt.datetime | None
    swapped_at: dt.datetime | None
    last_error: str
    groups: list[ListedGroup]
    joins_total: int
    joins_today: int
    created_at: dt.datetime
    updated_at: dt.datetime


class GroupCodePage(BaseModel):
    items: list[GroupCodeOut]
    total: int
    page: int
    page_size: int


class WelcomeAttachment(BaseModel):
    """One attachment: an image by URL, a link card, or a mini-program card."""

    model_config = ConfigDict(extra="forbid")

    msgtype: Literal["image", "link", "miniprogram"]
    pic_url: str = Field("", max_length=500)
    title: str = Field("", max_length=64)
    url: str = Field("", max_length=500)
    desc: str = Field("", max_length=170)
    appid: str = Field("", max_length=64)
    page: str = Field("", max_length=500)
    pic_media_id: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _required(self) -> WelcomeAttachment:
        needed = {
            "image": ("pic_url",),
            "link": ("title", "url"),
            "miniprogram": ("title", "appid", "page", "pic_media_id"),
        }[self.msgtype]
        missing = [name for name in needed if not getattr(self, name)]
        if missing:
            raise ValueError(f"a {self.msgtype} attachment needs {', '.join(missing)}")
        return self


class WelcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    text: str = Field("", description="%NICKNAME% stands for the newcomer's name")
    attachment: WelcomeAttachment | None = None
    notify: bool = True

    @model_validator(mode="after")
    def _content(self) -> WelcomeIn:
        if len(self.text.encode()) > 3000:
            raise ValueError("text is longer than WeCom's 3000 bytes")
        if not self.text.strip() and self.attachment is None:
            raise ValueError("a welcome needs text or an attachment")
        return self


class WelcomeOut(BaseModel):
    id: int
    name: str
    template_id: str | None
    text: str
    attachment: WelcomeAttachment | None
    notify: bool
    used_by: int
    created_at: dt.datetime
    updated_at: dt.datetime


class WelcomeList(BaseModel):
    items: list[WelcomeOut]
    limit: int = 100
