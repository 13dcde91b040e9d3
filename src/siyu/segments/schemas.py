from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from siyu.customers.schemas import CustomerRow


class RuleIn(BaseModel):
    rule: Any = Field(
        description="A segment rule: {and|or: [...]}, {not: rule} or {field, op, value}"
    )


class Count(BaseModel):
    count: int
    universe: int = Field(description="Customers the rule chooses from (not erased)")
    took_ms: float
    engine: str = Field(description="index (the bitmap index) or sql (the reference query)")


class Preview(Count):
    members: list[CustomerRow]


class SegmentIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    description: str = Field(default="", max_length=300)
    rule: Any


class SegmentPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=60)
    description: str | None = Field(default=None, max_length=300)
    rule: Any = None


class SegmentOut(BaseModel):
    id: int
    name: str
    description: str
    rule: dict[str, Any]
    count: int | None = Field(description="Members now (list: the count when last asked)")
    counted_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class MemberPage(BaseModel):
    items: list[CustomerRow]
    total: int
    page: int
    page_size: int


class IndexStatus(BaseModel):
    held: bool
    customers: int = 0
    bitmaps: int = 0
    memory_bytes: int = 0
    built_at: dt.datetime | None = None
    build_seconds: float | None = None
    changes_applied: int = 0


class Option(BaseModel):
    value: str
    count: int


class Options(BaseModel):
    """Values seen in the tenant's customers, for the rule builder's pickers."""

    city: list[Option]
    level: list[Option]
    channel: list[Option]


class BehaviourRuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=60)
    description: str = Field(default="", max_length=300)
    rule: Any = Field(description="The segment rule that selects who gets the tags")
    tag_ids: list[int] = Field(min_length=1, max_length=20)
    untag: bool = Field(default=True, description="Take the tags off when no longer selected")
    enabled: bool = True


class BehaviourRulePatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=60)
    description: str | None = Field(default=None, max_length=300)
    rule: Any = None
    tag_ids: list[int] | None = Field(default=None, min_length=1, max_length=20)
    untag: bool | None = None
    enabled: bool | None = None


class BehaviourRuleOut(BaseModel):
    id: int
    name: str
    description: str
    rule: dict[str, Any]
    tag_ids: list[int]
    untag: bool
    enabled: bool
    members: int = Field(description="Customers the rule selected at its last full run")
    tagged_now: int = Field(description="Customers holding the tags because of this rule")
    last_run_at: dt.datetime | None
    last_tagged: int
    last_untagged: int
    last_error: str
    running: bool = Field(description="A full run is waiting or under way")
    created_at: dt.datetime
    updated_at: dt.datetime
