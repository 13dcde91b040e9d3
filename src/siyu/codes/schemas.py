"""Channel codes over the API: rules and messages in, codes, welcomes and results out."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Routing = Literal["single", "round_robin", "weighted"]
CodeStatus = Literal["creating", "live", "failed", "deleted"]
WelcomeStatus = Literal["pending", "sending", "sent", "unconfirmed", "expired", "skipped", "failed"]
HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
MAX_TEXT_BYTES = 4000  # WeCom: a welcome text is at most 4,000 bytes
MAX_ATTACHMENTS = 9


class Shift(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        min_length=1, description="1 Monday … 7 Sunday"
    )
    start: str = Field(description="HH:MM, China time")
    end: str = Field(description="HH:MM; before start means the shift runs past midnight")

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError("use HH:MM, e.g. 09:30")
        return value


class MemberRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    userid: str = Field(min_length=1, max_length=64)
    weight: int = Field(1, ge=1, le=100, description="Share of new friends under weighted routing")
    daily_cap: int | None = Field(
        None, ge=1, le=5000, description="New friends a day from this code, then others take over"
    )
    backup: bool = Field(False, description="Takes friends only when no regular member may")
    hours: list[Shift] = Field([], max_length=14, description="Empty: always on duty")


class Attachment(BaseModel):
    """One WeCom message attachment, as ``send_welcome_msg`` takes it."""

    model_config = ConfigDict(extra="forbid")

    msgtype: Literal["image", "link", "miniprogram", "video", "file"]
    image: dict[str, str] | None = None
    link: dict[str, str] | None = None
    miniprogram: dict[str, str] | None = None
    video: dict[str, str] | None = None
    file: dict[str, str] | None = None

    @model_validator(mode="after")
    def _body_matches_type(self) -> Attachment:
        body = getattr(self, self.msgtype)
        if not body:
            raise ValueError(f"a {self.msgtype} attachment needs its {self.msgtype} fields")
        needed = {
            "image": (),
            "link": ("title", "url"),
            "miniprogram": ("title", "pic_media_id", "appid", "page"),
            "video": ("media_id",),
            "file": ("media_id",),
        }[self.msgtype]
        missing = [key for key in needed if not body.get(key)]
        if self.msgtype == "image" and not (body.get("media_id") or body.get("pic_url")):
            missing = ["media_id or pic_url"]
        if missing:
            raise ValueError(f"{self.msgtype} needs {', '.join(missing)}")
        return self


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field("", description="Variables: {客户昵称} {员工姓名} (or {customer} {staff})")
    attachments: list[Attachment] = Field([], max_length=MAX_ATTACHMENTS)

    @field_validator("text")
    @classmethod
    def _size(cls, value: str) -> str:
        if len(value.encode()) > MAX_TEXT_BYTES:
            raise ValueError(f"at most {MAX_TEXT_BYTES} bytes (WeCom's limit)")
        return value


class Variant(Message):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError("use HH:MM, e.g. 09:30")
        return value


class Welcome(Message):
    """The message a new friend gets; a variant replaces it at its hours (China time)."""

    enabled: bool = False
    variants: list[Variant] = Field([], max_length=6)

    @model_validator(mode="after")
    def _something_to_send(self) -> Welcome:
        if self.enabled and not (self.text.strip() or self.attachments):
            raise ValueError("an enabled welcome needs text or an attachment")
        return self


class Landing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field("", max_length=40)
    description: str = Field("", max_length=200)


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    folder: str = Field("", max_length=30, description="A grouping such as 门店, 电商, 广告")
    routing: Routing = "round_robin"
    members: list[MemberRule] = Field(min_length=1, max_length=100)
    fallback_userids: list[str] = Field([], max_length=10)
    skip_verify: bool = Field(True, description="Friends are added without the member accepting")
    tag_ids: list[int] = Field([], max_length=50)
    remark_template: str = Field(
        "", max_length=40, description="Variables: {客户昵称} {渠道} {日期}; WeCom keeps 20 chars"
    )
    description_template: str = Field("", max_length=200)
    welcome: Welcome = Welcome()
    landing: Landing = Landing()
    store_id: int | None = Field(None, description="The store this code serves")
    nearest_store: bool = Field(
        False,
        description="The landing page sends each visitor on to the code of the store nearest "
        "to them (stores with coordinates and a code of their own)",
    )

    @model_validator(mode="after")
    def _coherent(self) -> CodeIn:
        userids = [m.userid for m in self.members]
        if len(set(userids)) != len(userids):
            raise ValueError("a member is listed twice")
        if self.routing == "single" and len(self.members) != 1:
            raise ValueError("single routing takes exactly one member")
        if all(m.backup for m in self.members):
            raise ValueError("at least one member must not be a backup")
        return self


class CodePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=60)
    folder: str | None = Field(None, max_length=30)
    routing: Routing | None = None
    members: list[MemberRule] | None = Field(None, min_length=1, max_length=100)
    fallback_userids: list[str] | None = Field(None, max_length=10)
    skip_verify: bool | None = None
    tag_ids: list[int] | None = Field(None, max_length=50)
    remark_template: str | None = Field(None, max_length=40)
    description_template: str | None = Field(None, max_length=200)
    welcome: Welcome | None = None
    landing: Landing | None = None
    store_id: int | None = None
    nearest_store: bool | None = None


class CodeCounts(BaseModel):
    today: int = 0
    total: int = 0
    net: int = Field(0, description="Friends brought in who are still friends")
    greeted: int = 0


class CodeOut(BaseModel):
    id: int
    name: str
    folder: str
    state: str
    status: CodeStatus
    sync_error: str | None
    config_id: str | None
    qr_url: str | None
    landing_url: str
    routing: Routing
    members: list[MemberRule]
    member_names: dict[str, str]
    fallback_userids: list[str]
    skip_verify: bool
    tag_ids: list[int]
    remark_template: str
    description_template: str
    welcome: Welcome
    landing: Landing
    store_id: int | None
    store_name: str | None
    nearest_store: bool
    roster: list[str] = Field(description="The members WeCom hands new friends to right now")
    in_step: bool = Field(description="WeCom holds the latest rules")
    counts: CodeCounts
    created_at: dt.datetime
    updated_at: dt.datetime


class CodePage(BaseModel):
    items: list[CodeOut]
    total: int
    page: int
    page_size: int


class WelcomeOut(BaseModel):
    id: int
    code_id: int | None
    code_name: str | None
    customer_id: int
    customer_name: str
    userid: str
    staff_name: str | None
    status: WelcomeStatus
    reason: str
    errcode: int | None
    added_at: dt.datetime
    sent_at: dt.datetime | None
    text: str


class WelcomePage(BaseModel):
    items: list[WelcomeOut]
    total: int
    page: int
    page_size: int


class DefaultWelcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    welcome: Welcome


class ResultRow(BaseModel):
    key: str = Field(description="A day (YYYY-MM-DD), a code id or a userid")
    label: str
    added: int
    lost_1d: int = Field(description="Deleted within a day of being added")
    lost_7d: int
    lost_30d: int
    lost: int = Field(description="No longer a friend of that member")
    net: int
    greeted: int


class Results(BaseModel):
    date_from: dt.date
    date_to: dt.date
    totals: ResultRow
    by_day: list[ResultRow]
    by_code: list[ResultRow]
    by_staff: list[ResultRow]


class VisitSource(BaseModel):
    utm_source: str
    utm_medium: str
    utm_campaign: str
    visits: int


class Visits(BaseModel):
    days: int
    total: int
    sources: list[VisitSource]
