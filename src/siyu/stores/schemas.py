from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

StoreStatus = Literal["active", "closed"]
RegionName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
StoreName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
StoreCode = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
City = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)]
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
Order = Annotated[int, Field(ge=0, le=100_000)]
OperatorName = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]


class RegionOut(BaseModel):
    id: int
    name: str
    order: int
    store_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RegionList(BaseModel):
    items: list[RegionOut]


class RegionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RegionName
    order: Order = 0


class RegionEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: RegionName | None = None
    order: Order | None = None


class StoreRow(BaseModel):
    id: int
    name: str
    code: str | None
    region_id: int | None
    region_name: str | None
    city: str
    address: str
    latitude: float | None
    longitude: float | None
    phone: str
    status: StoreStatus
    staff_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class StorePage(BaseModel):
    items: list[StoreRow]
    total: int
    page: int
    page_size: int


class StoreStaffOut(BaseModel):
    id: int
    userid: str
    name: str
    status: Literal["active", "left"]


class StoreManagerOut(BaseModel):
    id: int
    username: str
    display_name: str
    is_active: bool


class StoreDetail(StoreRow):
    staff: list[StoreStaffOut]
    managers: list[StoreManagerOut]


class StoreCreate(BaseModel):
    """A new store; an empty ``code`` means the store has none."""

    model_config = ConfigDict(extra="forbid")

    name: StoreName
    code: StoreCode | None = None
    region_id: int | None = None
    city: City = ""
    address: Address = ""
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    phone: Phone = ""
    status: StoreStatus = "active"


class StoreEdit(BaseModel):
    """A field left out is left as it is; ``null`` clears the code, the region or the place."""

    model_config = ConfigDict(extra="forbid")

    name: StoreName | None = None
    code: StoreCode | None = None
    region_id: int | None = None
    city: City | None = None
    address: Address | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    phone: Phone | None = None
    status: StoreStatus | None = None


class StoreStaffSet(BaseModel):
    """The staff accounts working for the store, in full; accounts of another store move here."""

    model_config = ConfigDict(extra="forbid")

    staff_account_ids: list[int] = Field(max_length=1000)


class StoreManagersSet(BaseModel):
    """The shop managers looking after the store, in full."""

    model_config = ConfigDict(extra="forbid")

    user_ids: list[int] = Field(max_length=100)


class RotationOut(BaseModel):
    id: int
    staff_account_id: int
    operator_name: str
    user_id: int | None
    started_at: dt.datetime
    ended_at: dt.datetime | None


class RotationPage(BaseModel):
    items: list[RotationOut]
    total: int
    page: int
    page_size: int


class RotationCreate(BaseModel):
    """The person who operates the account from ``started_at`` (now when left out) on."""

    model_config = ConfigDict(extra="forbid")

    operator_name: OperatorName
    user_id: int | None = None
    started_at: AwareDatetime | None = None


class OperatorOut(BaseModel):
    staff_account_id: int
    userid: str
    staff_name: str
    rotation_id: int
    operator_name: str
    user_id: int | None
    started_at: dt.datetime
    ended_at: dt.datetime | None


class OperatorsAt(BaseModel):
    at: dt.datetime
    items: list[OperatorOut]
