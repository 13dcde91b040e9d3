from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict


class StaffOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    userid: str
    name: str
    position: str
    department_ids: list[int]
    main_department: int | None
    customer_contact: bool
    status: Literal["active", "left"]
    synced_at: dt.datetime
    left_at: dt.datetime | None


class StaffPage(BaseModel):
    items: list[StaffOut]
    total: int
    page: int
    page_size: int


class DepartmentOut(BaseModel):
    id: int
    name: str
    parent_id: int
    order: int
    staff_count: int


class DepartmentList(BaseModel):
    items: list[DepartmentOut]


class SyncState(BaseModel):
    state: Literal["never", "pending", "running", "done", "dead"]
    requested_at: dt.datetime | None
    finished_at: dt.datetime | None
    last_error: str | None
    active: int
    left: int
    departments: int
