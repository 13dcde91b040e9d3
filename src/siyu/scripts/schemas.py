"""The script library's API shapes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from siyu.materials.schemas import MaterialSummary

MaterialIds = list[int]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VariableOut(BaseModel):
    key: str
    label: str
    zh: str
    en: str
    scope: str


class CategoryIn(Strict):
    name: str = Field(min_length=1, max_length=30)
    parent_id: int | None = None


class CategoryPatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=30)
    position: int | None = Field(None, ge=0, le=10_000)


class CategoryOut(BaseModel):
    id: int
    name: str
    parent_id: int | None
    position: int
    scripts: int
    children: list[CategoryOut] = []


class ScriptIn(Strict):
    title: str = Field(min_length=1, max_length=100)
    body: str = Field(min_length=1, max_length=2000)
    category_id: int | None = None
    keywords: str = Field("", max_length=300)
    material_ids: MaterialIds = Field([], max_length=9)


class ScriptPatch(Strict):
    title: str | None = Field(None, min_length=1, max_length=100)
    body: str | None = Field(None, min_length=1, max_length=2000)
    category_id: int | None = None
    keywords: str | None = Field(None, max_length=300)
    material_ids: MaterialIds | None = Field(None, max_length=9)


class ScriptOut(BaseModel):
    id: int
    title: str
    body: str
    category_id: int | None
    keywords: str
    material_ids: list[int]
    materials: list[MaterialSummary]
    variables: list[str]
    use_count: int
    created_at: dt.datetime
    updated_at: dt.datetime


class ScriptPage(BaseModel):
    items: list[ScriptOut]
    total: int
    page: int
    page_size: int


class StepIn(Strict):
    day: int = Field(ge=1, le=90)
    script_id: int | None = None
    text: str = Field("", max_length=2000)
    material_ids: MaterialIds = Field([], max_length=9)


class SequenceIn(Strict):
    name: str = Field(min_length=1, max_length=60)
    description: str = Field("", max_length=300)
    steps: list[StepIn] = Field(min_length=1, max_length=90)


class SequencePatch(Strict):
    name: str | None = Field(None, min_length=1, max_length=60)
    description: str | None = Field(None, max_length=300)
    steps: list[StepIn] | None = Field(None, min_length=1, max_length=90)


class StepOut(BaseModel):
    day: int
    script_id: int | None
    script_title: str | None
    text: str
    material_ids: list[int]


class SequenceOut(BaseModel):
    id: int
    name: str
    description: str
    steps: list[StepOut]
    days: int
    runs: int
    created_at: dt.datetime
    updated_at: dt.datetime


class RunIn(Strict):
    segment_id: int | None = None
    customer_ids: list[int] = Field([], max_length=10_000)
    start_date: dt.date | None = Field(None, description="Day 1 (China time); today if left out")


class DayProgress(BaseModel):
    day: int
    due_date: dt.date
    tasks: int
    tasks_done: int
    customers: int
    customers_done: int


class RunOut(BaseModel):
    id: int
    sequence_id: int
    sequence_name: str
    segment_id: int | None
    start_date: dt.date
    state: str
    customers: int
    without_owner: int
    created_at: dt.datetime
    days: list[DayProgress] = []


class ScriptTaskCustomer(BaseModel):
    customer_id: int
    name: str
    text: str
    done: bool


class ScriptTaskOut(BaseModel):
    id: int
    run_id: int
    sequence_name: str
    day: int
    userid: str
    due_date: dt.date
    title: str
    text: str
    materials: list[MaterialSummary]
    state: str
    customers: int
    done_customers: int
    created_at: dt.datetime
    done_at: dt.datetime | None
    items: list[ScriptTaskCustomer] | None = None


class ScriptTaskPage(BaseModel):
    items: list[ScriptTaskOut]
    total: int
    page: int
    page_size: int


class DoneIn(Strict):
    customer_ids: list[int] | None = Field(
        None, max_length=10_000, description="These customers only; the whole task if left out"
    )
