from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

TransferKind = Literal["active", "resigned"]
TransferState = Literal["sending", "waiting", "done"]
ItemStatus = Literal["queued", "sending", "waiting", "accepted", "refused", "failed"]


class TransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TransferKind = Field(
        description="active: 在职继承, the handover is on the staff and each customer may refuse "
        "within 24 hours; resigned: 离职继承, the handover has left the corp"
    )
    handover_userid: str = Field(min_length=1, max_length=64)
    takeover_userid: str = Field(min_length=1, max_length=64)
    customer_ids: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=5000,
        description="Default: every current customer of the handover account",
    )
    message: str | None = Field(
        default=None,
        max_length=200,
        description="For active transfers: what the customer reads (WeCom's default text if left "
        "out)",
    )


class StatusCounts(BaseModel):
    queued: int = 0
    sending: int = 0
    waiting: int = 0
    accepted: int = 0
    refused: int = 0
    failed: int = 0
    total: int = 0


class TransferOut(BaseModel):
    id: int
    kind: TransferKind
    handover_userid: str
    handover_name: str | None
    takeover_userid: str
    takeover_name: str | None
    message: str
    state: TransferState
    counts: StatusCounts
    created_by: int | None
    created_by_label: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class TransferPage(BaseModel):
    items: list[TransferOut]
    total: int
    page: int
    page_size: int


class TransferItemOut(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    external_userid: str
    status: ItemStatus
    reason: str = Field(description="A stable code, e.g. customer_refused, too_frequent")
    reason_text: str = Field(description="What happened and what can be done, in your language")
    errcode: int | None
    requested_at: dt.datetime | None
    settled_at: dt.datetime | None


class TransferDetail(TransferOut):
    items: list[TransferItemOut]
    items_total: int
    page: int
    page_size: int


class UnassignedOut(BaseModel):
    handover_userid: str
    handover_name: str | None
    external_userid: str
    customer_id: int | None = Field(description="None when Siyu has not synced this customer")
    customer_name: str | None
    dimission_time: dt.datetime | None


class UnassignedPage(BaseModel):
    items: list[UnassignedOut]
    next_cursor: str = Field(description="Pass back as cursor for the next page; empty at the end")
