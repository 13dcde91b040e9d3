"""The material library's rules, and the public API other domains (broadcasts, Moments,
welcome messages) call: :func:`check`, :func:`check_attachments`, :func:`summaries` and
:func:`wecom_attachments`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import IO, Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.errors import NotFound
from siyu.materials import media, repository, storage
from siyu.materials.errors import (
    AttachmentsNotAllowed,
    BadAppid,
    BadCover,
    BadUrl,
    MaterialsUnknown,
    TitleRequired,
    TitleTooLong,
    WrongKind,
)
from siyu.materials.models import (
    FILE,
    IMAGE,
    LINK,
    MESSAGE,
    MINIPROGRAM,
    MOMENT,
    VIDEO,
    Material,
)
from siyu.materials.schemas import (
    LinkIn,
    MaterialOut,
    MaterialPatch,
    MaterialSummary,
    MiniprogramIn,
)
from siyu.wecom.client import WeComClient

MAX_MESSAGE_ATTACHMENTS = 9  # add_msg_template and send_welcome_msg take at most nine
MAX_MOMENT_IMAGES = 9  # Moments: up to nine images, or one video, or one link
APPID = re.compile(r"wx[0-9a-f]{16}")
# WeCom counts card titles in bytes: a mini-program's ≤64, a link's ≤128.
TITLE_BYTES = {MINIPROGRAM: 64, LINK: 128}
API_FILES = "/api/v1/materials/{id}/file"


# --- the public API ------------------------------------------------------------------------


def check(session: Session, tenant_id: int, material_ids: Sequence[int]) -> None:
    """Raise :class:`MaterialsUnknown` (422, listing the ids) unless every id is a live (not
    archived) material of the tenant."""
    found = repository.by_ids(session, tenant_id, material_ids)
    missing = sorted({i for i in material_ids if i not in found or found[i].archived})
    if missing:
        raise MaterialsUnknown({"ids": missing}, ids=", ".join(map(str, missing)))


def check_attachments(
    session: Session, tenant_id: int, material_ids: Sequence[int], *, moment: bool
) -> None:
    """Raise a 422 unless WeCom takes these materials together: a message carries at most
    nine of any kind; a Moments post up to nine images, or one video, or one link."""
    check(session, tenant_id, material_ids)
    if len(set(material_ids)) != len(material_ids):
        _refuse("同一素材不能重复添加", "a material is listed twice")
    if not moment:
        if len(material_ids) > MAX_MESSAGE_ATTACHMENTS:
            _refuse("消息最多 9 个附件", "a message carries at most 9 attachments")
        return
    kinds = [m.kind for m in _ordered(session, tenant_id, material_ids)]
    if any(k not in (IMAGE, VIDEO, LINK) for k in kinds):
        _refuse("朋友圈只能发图片、视频或链接", "Moments take only images, a video or a link")
    if (VIDEO in kinds or LINK in kinds) and len(kinds) > 1:
        _refuse(
            "朋友圈的视频或链接只能单独发（1 个）",
            "a video or a link must be the only attachment of a Moments post",
        )
    if len(kinds) > MAX_MOMENT_IMAGES:
        _refuse("朋友圈最多 9 张图片", "a Moments post carries at most 9 images")


def summaries(
    session: Session, tenant_id: int, material_ids: Sequence[int]
) -> list[MaterialSummary]:
    """id, kind, title and a preview URL (console) of each material, in the given order; ids
    that are not the tenant's are left out."""
    found = repository.by_ids(session, tenant_id, material_ids)
    return [
        MaterialSummary(id=m.id, kind=m.kind, title=m.title, preview_url=preview_url(m))
        for m in (found[i] for i in material_ids if i in found)
    ]


def wecom_attachments(
    database: Database,
    client: WeComClient,
    tenant_id: int,
    material_ids: Sequence[int],
    *,
    moment: bool = False,
) -> list[dict[str, Any]]:
    """The WeCom ``attachments`` JSON for these materials, in order: as ``add_msg_template``
    and ``send_welcome_msg`` take them, or (``moment``) as ``add_moment_task`` does. Media ids
    missing or with less than 12 hours left are uploaded first, each recorded in a short
    transaction of its own; no transaction is held while WeCom is called. Counts a use."""
    with database.factory() as session:
        check_attachments(session, tenant_id, material_ids, moment=moment)
        cards = [media.Card.of(m) for m in _ordered(session, tenant_id, material_ids)]
        covers = {
            c.cover_id: media.Card.of(m)
            for c in cards
            if c.cover_id is not None
            and (m := repository.get(session, tenant_id, c.cover_id)) is not None
        }
    attachments = []
    for card in cards:
        cover = covers.get(card.cover_id) if card.cover_id is not None else None
        if moment:
            attachments.append(media.moment_attachment(database, client, card, cover))
        else:
            attachments.append(media.message_attachment(database, client, card, cover))
    with database.transaction() as session:
        now = utcnow()
        repository.count_use(session, tenant_id, material_ids, now)
        repository.touch(session, tenant_id, [c.id for c in covers.values()], now)
    return attachments


# --- the library ---------------------------------------------------------------------------


def preview_url(material: Material) -> str | None:
    if material.kind in (IMAGE, VIDEO):
        return API_FILES.format(id=material.id)
    if material.kind in (LINK, MINIPROGRAM) and material.cover_id is not None:
        return API_FILES.format(id=material.cover_id)
    return None


def out(material: Material) -> MaterialOut:
    return MaterialOut(
        id=material.id,
        kind=material.kind,
        title=material.title,
        description=material.description,
        category=material.category,
        keywords=material.keywords,
        file_name=material.file_name,
        content_type=material.content_type,
        size=material.size,
        sha256=material.sha256,
        url=material.url,
        appid=material.appid,
        page=material.page,
        cover_id=material.cover_id,
        preview_url=preview_url(material),
        use_count=material.use_count,
        last_used_at=material.last_used_at,
        archived=material.archived,
        created_at=material.created_at,
        updated_at=material.updated_at,
    )


def get(session: Session, tenant_id: int, material_id: int) -> Material:
    material = repository.get(session, tenant_id, material_id)
    if material is None:
        raise NotFound("material")
    return material


def create_file(
    session: Session,
    tenant_id: int,
    *,
    kind: str,
    stream: IO[bytes],
    filename: str,
    title: str,
    description: str = "",
    category: str = "",
    keywords: str = "",
    created_by: int | None = None,
) -> Material:
    """An image, video or file from an upload, checked against WeCom's types and limits."""
    content, content_type, name = storage.read_checked(kind, stream, filename)
    stored = storage.save(tenant_id, content, content_type, name)
    now = utcnow()
    material = Material(
        tenant_id=tenant_id,
        kind=kind,
        title=(title.strip() or name)[:100],
        description=description.strip(),
        category=category.strip(),
        keywords=_words(keywords),
        file_name=stored.file_name,
        file_path=stored.file_path,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(material)
    session.flush()
    return material


def create_link(
    session: Session, tenant_id: int, body: LinkIn, created_by: int | None = None
) -> Material:
    material = _card(session, tenant_id, LINK, body.title, created_by)
    material.url = _url(body.url)
    material.cover_id = _cover(session, tenant_id, body.cover_id, LINK)
    _describe(material, body.description, body.category, body.keywords)
    session.flush()
    return material


def create_miniprogram(
    session: Session, tenant_id: int, body: MiniprogramIn, created_by: int | None = None
) -> Material:
    material = _card(session, tenant_id, MINIPROGRAM, body.title, created_by)
    material.appid = _appid(body.appid)
    material.page = body.page.strip()
    material.cover_id = _cover(session, tenant_id, body.cover_id, MINIPROGRAM)
    _describe(material, body.description, body.category, body.keywords)
    session.flush()
    return material


def update(session: Session, material: Material, body: MaterialPatch) -> Material:
    fields = body.model_dump(exclude_unset=True)
    tenant_id = material.tenant_id
    allowed = {
        LINK: {"url", "cover_id"},
        MINIPROGRAM: {"appid", "page", "cover_id"},
    }.get(material.kind, set())
    for field in ("url", "appid", "page", "cover_id"):
        if field in fields and field not in allowed:
            zh, en = storage.KIND_LABELS[material.kind]
            raise WrongKind(field=field, kind_zh=zh, kind_en=en)
    if fields.get("title") is not None:
        material.title = _title(material.kind, fields["title"])
    if "url" in fields and fields["url"] is not None:
        material.url = _url(fields["url"])
    if "appid" in fields and fields["appid"] is not None:
        material.appid = _appid(fields["appid"])
    if "page" in fields and fields["page"] is not None:
        material.page = fields["page"].strip()
    if "cover_id" in fields:
        if fields["cover_id"] == material.id:
            raise BadCover(reason_zh="不能用自己做封面", reason_en="it cannot be its own cover")
        material.cover_id = _cover(session, tenant_id, fields["cover_id"], material.kind)
    _describe(material, fields.get("description"), fields.get("category"), fields.get("keywords"))
    material.updated_at = utcnow()
    session.flush()
    return material


def set_archived(material: Material, archived: bool) -> Material:
    material.archived = archived
    material.updated_at = utcnow()
    return material


# --- helpers -------------------------------------------------------------------------------


def _refuse(zh: str, en: str) -> None:
    raise AttachmentsNotAllowed(reason_zh=zh, reason_en=en)


def _ordered(session: Session, tenant_id: int, ids: Sequence[int]) -> list[Material]:
    found = repository.by_ids(session, tenant_id, ids)
    return [found[i] for i in ids if i in found]


def _words(keywords: str) -> str:
    return " ".join(w for w in re.split(r"[\s,，;；]+", keywords) if w)[:300]


def _title(kind: str, title: str) -> str:
    title = title.strip()
    limit = TITLE_BYTES.get(kind)
    if not title:
        raise TitleRequired
    if limit is not None and len(title.encode()) > limit:
        zh, en = storage.KIND_LABELS[kind]
        raise TitleTooLong(limit=limit, chars=limit // 3, kind_zh=zh, kind_en=en)
    return title


def _card(
    session: Session, tenant_id: int, kind: str, title: str, created_by: int | None
) -> Material:
    now = utcnow()
    material = Material(
        tenant_id=tenant_id,
        kind=kind,
        title=_title(kind, title),
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(material)
    return material


def _describe(
    material: Material, description: str | None, category: str | None, keywords: str | None
) -> None:
    if description is not None:
        material.description = description.strip()
    if category is not None:
        material.category = category.strip()
    if keywords is not None:
        material.keywords = _words(keywords)


def _url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        raise BadUrl(url=url[:100]) from None
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
        raise BadUrl(url=url[:100])
    return url


def _appid(appid: str) -> str:
    appid = appid.strip()
    if not APPID.fullmatch(appid.lower()) or not appid.startswith("wx"):
        raise BadAppid(appid=appid[:40])
    return appid.lower()


def _cover(session: Session, tenant_id: int, cover_id: int | None, kind: str) -> int | None:
    if cover_id is None:
        if kind == MINIPROGRAM:
            raise BadCover(reason_zh="小程序卡片必须有封面", reason_en="a mini-program needs one")
        return None
    cover = repository.get(session, tenant_id, cover_id)
    if cover is None or cover.archived or cover.kind != IMAGE:
        raise BadCover(
            {"cover_id": cover_id},
            reason_zh=f"{cover_id} 不是可用的图片素材",
            reason_en=f"{cover_id} is not a live image material",
        )
    if kind == LINK and cover.size > storage.COVER_URL_LIMIT:
        raise BadCover(
            {"cover_id": cover_id},
            reason_zh="链接封面不能超过 2 MB",
            reason_en="a link's cover may be at most 2 MB",
        )
    return cover.id


__all__ = [
    "FILE",
    "MESSAGE",
    "MOMENT",
    "check",
    "check_attachments",
    "summaries",
    "wecom_attachments",
]
