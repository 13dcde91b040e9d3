"""The material library's queries; every one is filtered by tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from siyu.db import insert_unless_exists
from siyu.materials.models import Material, MaterialMedia

MEDIA_TTL = dt.timedelta(days=3)


def get(session: Session, tenant_id: int, material_id: int) -> Material | None:
    material = session.get(Material, material_id)
    if material is None or material.tenant_id != tenant_id:
        return None
    return material


def by_ids(session: Session, tenant_id: int, ids: Sequence[int]) -> dict[int, Material]:
    if not ids:
        return {}
    rows = session.scalars(
        select(Material).where(Material.tenant_id == tenant_id, Material.id.in_(set(ids)))
    )
    return {m.id: m for m in rows}


def like_pattern(text: str) -> str:
    """``%text%`` for LIKE with the user's own ``%``, ``_`` and ``\\`` taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def search(
    session: Session,
    tenant_id: int,
    *,
    kind: Sequence[str] | None,
    category: str | None,
    keyword: str,
    archived: bool,
    offset: int,
    limit: int,
) -> tuple[list[Material], int]:
    query = select(Material).where(Material.tenant_id == tenant_id, Material.archived == archived)
    if kind:
        query = query.where(Material.kind.in_(list(kind)))
    if category is not None:
        query = query.where(Material.category == category)
    if keyword.strip():
        pattern = like_pattern(keyword.strip())
        query = query.where(
            or_(
                func.lower(Material.title).like(pattern, escape="\\"),
                func.lower(Material.description).like(pattern, escape="\\"),
                func.lower(Material.keywords).like(pattern, escape="\\"),
                func.lower(Material.file_name).like(pattern, escape="\\"),
            )
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Material.id.desc()).offset(offset).limit(limit))
    return list(rows), int(total)


def categories(session: Session, tenant_id: int) -> list[tuple[str, int]]:
    rows = session.execute(
        select(Material.category, func.count())
        .where(
            Material.tenant_id == tenant_id,
            Material.archived.is_(False),
            Material.category != "",
        )
        .group_by(Material.category)
        .order_by(Material.category)
    )
    return [(str(name), int(count)) for name, count in rows]


def media(session: Session, tenant_id: int, material_id: int, purpose: str) -> MaterialMedia | None:
    return session.scalar(
        select(MaterialMedia).where(
            MaterialMedia.tenant_id == tenant_id,
            MaterialMedia.material_id == material_id,
            MaterialMedia.purpose == purpose,
        )
    )


def record_media(
    session: Session,
    tenant_id: int,
    material_id: int,
    purpose: str,
    media_id: str,
    now: dt.datetime,
) -> None:
    """Keep the newest media id of a material for a purpose (one row per pair)."""
    values = {
        "tenant_id": tenant_id,
        "material_id": material_id,
        "purpose": purpose,
        "media_id": media_id,
        "created_at": now,
        "expires_at": now + MEDIA_TTL,
    }
    if insert_unless_exists(session, MaterialMedia, values, ["material_id", "purpose"]) is None:
        session.execute(
            update(MaterialMedia)
            .where(
                MaterialMedia.tenant_id == tenant_id,
                MaterialMedia.material_id == material_id,
                MaterialMedia.purpose == purpose,
            )
            .values(media_id=media_id, created_at=now, expires_at=now + MEDIA_TTL)
            .execution_options(synchronize_session=False)
        )


def count_use(session: Session, tenant_id: int, ids: Sequence[int], now: dt.datetime) -> None:
    if not ids:
        return
    session.execute(
        update(Material)
        .where(Material.tenant_id == tenant_id, Material.id.in_(set(ids)))
        .values(use_count=Material.use_count + 1, last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def expiring_media(
    session: Session, *, before: dt.datetime, used_since: dt.datetime, limit: int = 500
) -> list[tuple[int, int, str]]:
    """(tenant, material, purpose) of media ids that expire before ``before``, of live
    materials used since ``used_since`` (or covers of such)."""
    rows = session.execute(
        select(MaterialMedia.tenant_id, MaterialMedia.material_id, MaterialMedia.purpose)
        .join(Material, Material.id == MaterialMedia.material_id)
        .where(
            MaterialMedia.expires_at < before,
            Material.archived.is_(False),
            Material.last_used_at >= used_since,
        )
        .order_by(MaterialMedia.tenant_id, MaterialMedia.expires_at)
        .limit(limit)
    )
    return [(int(t), int(m), str(p)) for t, m, p in rows]


def touch(session: Session, tenant_id: int, ids: Sequence[int], now: dt.datetime) -> None:
    """Mark materials used (a card's cover) without counting a use."""
    if not ids:
        return
    session.execute(
        update(Material)
        .where(Material.tenant_id == tenant_id, Material.id.in_(set(ids)))
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
