"""A post's attachments: material ids of the material library (素材库), checked when a post is
saved (≤9 images, or 1 video, or 1 link) and turned into ``add_moment_task``'s attachment JSON
when its task is created (uploading to WeCom as needed, outside any transaction)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from siyu.db import Database
from siyu.materials import service as materials
from siyu.materials.schemas import MaterialSummary
from siyu.wecom.client import WeComClient


def check(session: Session, tenant_id: int, material_ids: Sequence[int]) -> None:
    """422 ``materials_unknown`` or a refusal of the mix, as WeCom would refuse it."""
    materials.check_attachments(session, tenant_id, list(material_ids), moment=True)


def summaries(
    session: Session, tenant_id: int, material_ids: Sequence[int]
) -> list[MaterialSummary]:
    return materials.summaries(session, tenant_id, list(material_ids))


def for_wecom(
    database: Database, client: WeComClient, tenant_id: int, material_ids: Sequence[int]
) -> list[dict[str, Any]]:
    return materials.wecom_attachments(database, client, tenant_id, list(material_ids), moment=True)
