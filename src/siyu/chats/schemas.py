"""The chat archive's status and settings over the API."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Source = Literal["sandbox", "finance_sdk"]


class ArchiveStatus(BaseModel):
    source: Source
    enabled: bool
    configured: bool = Field(description="Everything the source needs is set")
    problem: str | None = Field(description="What is missing, in the caller's language")
    secret_set: bool
    private_key_versions: list[int]
    cursor_seq: int = Field(description="The last seq applied")
    last_pull_at: dt.datetime | None
    last_message_at: dt.datetime | None
    messages_read: int
    skipped_group: int = Field(description="Messages of groups that are not customer groups")
    skipped_unknown: int = Field(description="Messages between people who are not customers")
    skipped_other: int = Field(description="Recalls and switches")
    errors: int
    last_error: str | None
    last_error_at: dt.datetime | None
    pulling: bool = Field(description="A pull is waiting or under way")


class ArchiveSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: Source
    enabled: bool = True
    secret: str = Field("", max_length=200, description="会话存档 Secret; empty keeps the old")
    private_keys: dict[str, str] = Field(
        {},
        max_length=20,
        description="RSA private keys (PEM) by publickey_ver; empty keeps the old",
    )


class PullStarted(BaseModel):
    job_id: int
