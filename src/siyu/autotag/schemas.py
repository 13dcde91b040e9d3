"""Keyword rules over the API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from siyu.autotag.keywords import normalise

MAX_KEYWORDS = 1000
MAX_KEYWORD_CHARS = 30
MatchMode = Literal["contains", "exact"]
Side = Literal["customer", "staff", "both"]


def clean_keywords(values: list[str]) -> list[str]:
    """Trimmed, without blanks, and without repeats (two spellings that normalise alike are one
    keyword; the first spelling is kept)."""
    seen: set[str] = set()
    kept = []
    for value in values:
        keyword = value.strip()
        if not keyword:
            continue
        if len(keyword) > MAX_KEYWORD_CHARS:
            raise PydanticCustomError(
                "keyword_too_long",
                "the keyword “{keyword}” is longer than {max} characters",
                {"keyword": keyword[:12] + "…", "max": MAX_KEYWORD_CHARS},
            )
        key = normalise(keyword)
        if key and key not in seen:
            seen.add(key)
            kept.append(keyword)
    if not kept:
        raise PydanticCustomError("keywords_empty", "give at least one keyword")
    return kept


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    keywords: list[str] = Field(
        min_length=1,
        max_length=MAX_KEYWORDS,
        description=f"1–{MAX_KEYWORDS} keywords of at most {MAX_KEYWORD_CHARS} characters",
    )
    match_mode: MatchMode = Field("contains", description="contains: anywhere; exact: the whole")
    side: Side = Field("customer", description="whose messages: the customer's, staff's, both")
    tag_ids: list[int] = Field(min_length=1, max_length=20)
    enabled: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the name is empty")
        return value.strip()

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        return clean_keywords(value)

    @field_validator("tag_ids")
    @classmethod
    def _tags(cls, value: list[int]) -> list[int]:
        return list(dict.fromkeys(value))


class RulePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=60)
    keywords: list[str] | None = Field(None, min_length=1, max_length=MAX_KEYWORDS)
    match_mode: MatchMode | None = None
    side: Side | None = None
    tag_ids: list[int] | None = Field(None, min_length=1, max_length=20)
    enabled: bool | None = None

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_keywords(value)

    @field_validator("tag_ids")
    @classmethod
    def _tags(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else list(dict.fromkeys(value))


class RuleOut(BaseModel):
    id: int
    name: str
    keywords: list[str]
    match_mode: MatchMode
    side: Side
    tag_ids: list[int]
    enabled: bool
    hits: int = Field(description="Messages that hit the rule")
    customers: int = Field(description="Customers it hit (and tagged)")
    last_hit_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class RulePage(BaseModel):
    items: list[RuleOut]
    total: int
    page: int
    page_size: int


class HitOut(BaseModel):
    id: int
    customer_id: int
    customer_name: str
    keyword: str
    side: Side
    excerpt: str
    msgid: str
    at: dt.datetime


class HitPage(BaseModel):
    items: list[HitOut]
    total: int
    page: int
    page_size: int
