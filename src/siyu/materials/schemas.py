"""The material library's API shapes."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["image", "video", "file", "link", "miniprogram"]
FileKind = Literal["image", "video", "file"]


class MaterialSummary(BaseModel):
    """A material as a message shows its attachments."""

    id: int
    kind: str
    title: str
    preview_url: str | None = None


class MaterialOut(BaseModel):
    id: int
    kind: str
    title: str
    description: str
    category: str
    keywords: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    url: str
    appid: str
    page: str
    cover_id: int | None
    preview_url: str | None
    use_count: int
    last_used_at: dt.datetime | None
    archived: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class MaterialPage(BaseModel):
    items: list[MaterialOut]
    total: int
    page: int
    page_size: int


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str = Field("", max_length=500)
    category: str = Field("", max_length=30)
    keywords: str = Field("", max_length=300)


class LinkIn(_Common):
    title: str = Field(min_length=1, max_length=100)
    url: str = Field(min_length=1, max_length=1000)
    cover_id: int | None = Field(None, description="An image material shown as the card's cover")


class MiniprogramIn(_Common):
    title: str = Field(min_length=1, max_length=64)
    appid: str = Field(min_length=1, max_length=32)
    page: str = Field(min_length=1, max_length=500)
    cover_id: int = Field(description="An image material: WeCom requires the card's picture")


class MaterialPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=100)
    description: str | None = Field(None, max_length=500)
    category: str | None = Field(None, max_length=30)
    keywords: str | None = Field(None, max_length=300)
    url: str | None = Field(None, min_length=1, max_length=1000)
    appid: str | None = Field(None, min_length=1, max_length=32)
    page: str | None = Field(None, min_length=1, max_length=500)
    cover_id: int | None = None


class CategoryCount(BaseModel):
    name: str
    count: int
