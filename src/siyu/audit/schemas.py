from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel


class ActorOut(BaseModel):
    id: int | None
    display_name: str


class AuditEventOut(BaseModel):
    id: int
    created_at: dt.datetime
    actor: ActorOut | None
    action: str
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    total: int
    page: int
    page_size: int
