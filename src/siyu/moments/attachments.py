"""A post's attachments: material ids of the material library (素材库), checked when a post is
saved and turned into WeCom's attachment JSON when its task is created."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from siyu.db import Database
from siyu.moments import errors
from siyu.wecom.client import WeComClient


def check(session: Session, tenant_id: int, material_ids: Sequence[int]) -> None:
    """Until this deployment has the material library, a post can hold text only."""
    if material_ids:
        raise errors.MaterialsUnavailable()


def for_wecom(
    database: Database, client: WeComClient, tenant_id: int, material_ids: Sequence[int]
) -> list[dict[str, Any]]:
    if material_ids:
        raise errors.MaterialsUnavailable()
    return []
