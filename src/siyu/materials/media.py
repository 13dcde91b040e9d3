"""Materials on WeCom: a material is uploaded when a message or a post uses it, not when it is
saved. A media id lasts three days; one with less than 12 hours left is made again. A link's
cover gets a permanent URL (``media/uploadimg``) once. Moments take only ids made by
``media/upload_attachment``, kept apart (purpose ``moment``) from message ids (``message``).

WeCom is called with no transaction open; each upload is recorded in a short one of its own."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import update

from siyu.db import Database, utcnow
from siyu.materials import repository, storage
from siyu.materials.errors import MaterialFileMissing
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
from siyu.wecom.client import WeComClient
from siyu.wecom.client_media import AttachmentType, MediaType

log = logging.getLogger("siyu.materials")

# Made again when less than this is left of a media id's three days.
REFRESH_MARGIN = dt.timedelta(hours=12)
DESC_BYTES = 512  # a link card's desc


@dataclass(frozen=True)
class Card:
    """What an attachment needs of a material, read in a short session and used outside it."""

    id: int
    tenant_id: int
    kind: str
    title: str
    description: str
    file_name: str
    file_path: str
    content_type: str
    url: str
    appid: str
    page: str
    cover_id: int | None
    image_url: str

    @classmethod
    def of(cls, m: Material) -> Card:
        return cls(
            m.id,
            m.tenant_id,
            m.kind,
            m.title,
            m.description,
            m.file_name,
            m.file_path,
            m.content_type,
            m.url,
            m.appid,
            m.page,
            m.cover_id,
            m.image_url,
        )


def _content(card: Card) -> bytes:
    try:
        return storage.load(card.file_path)
    except FileNotFoundError:
        raise MaterialFileMissing({"material_id": card.id}, title=card.title) from None


def fresh_media_id(
    database: Database, card: Card, purpose: str, now: dt.datetime | None = None
) -> str | None:
    """The card's media id for the purpose if it has more than 12 hours left."""
    now = now or utcnow()
    with database.factory() as session:
        row = repository.media(session, card.tenant_id, card.id, purpose)
        if row is None or row.expires_at - now < REFRESH_MARGIN:
            return None
        return row.media_id


def upload(database: Database, client: WeComClient, card: Card, purpose: str) -> str:
    """Upload the card's file for a purpose and record the new media id."""
    content = _content(card)
    if purpose == MOMENT:
        answer = client.upload_attachment(
            cast(AttachmentType, card.kind), card.file_name, content, card.content_type
        )
    else:
        answer = client.upload_media(
            cast(MediaType, card.kind), card.file_name, content, card.content_type
        )
    with database.transaction() as session:
        repository.record_media(
            session, card.tenant_id, card.id, purpose, answer.media_id, utcnow()
        )
    return answer.media_id


def media_id(database: Database, client: WeComClient, card: Card, purpose: str) -> str:
    return fresh_media_id(database, card, purpose) or upload(database, client, card, purpose)


def image_url(database: Database, client: WeComClient, cover: Card) -> str:
    """A permanent URL of an image (a link's cover), made once and kept."""
    if cover.image_url:
        return cover.image_url
    url = client.upload_image(cover.file_name, _content(cover), cover.content_type)
    with database.transaction() as session:
        session.execute(
            update(Material)
            .where(Material.tenant_id == cover.tenant_id, Material.id == cover.id)
            .values(image_url=url)
            .execution_options(synchronize_session=False)
        )
    return url


def _desc(text: str) -> str:
    return text.encode()[:DESC_BYTES].decode(errors="ignore")


def message_attachment(
    database: Database, client: WeComClient, card: Card, cover: Card | None
) -> dict[str, Any]:
    """One attachment as ``add_msg_template`` and ``send_welcome_msg`` take it."""
    if card.kind in (IMAGE, VIDEO, FILE):
        return {
            "msgtype": card.kind,
            card.kind: {"media_id": media_id(database, client, card, MESSAGE)},
        }
    if card.kind == LINK:
        link = {"title": card.title, "url": card.url, "desc": _desc(card.description)}
        if cover is not None:
            link["picurl"] = image_url(database, client, cover)
        return {"msgtype": LINK, LINK: link}
    if card.kind == MINIPROGRAM and cover is not None:
        return {
            "msgtype": MINIPROGRAM,
            MINIPROGRAM: {
                "title": card.title,
                "pic_media_id": media_id(database, client, cover, MESSAGE),
                "appid": card.appid,
                "page": card.page,
            },
        }
    raise ValueError(f"material {card.id} ({card.kind}) cannot be a message attachment")


def moment_attachment(
    database: Database, client: WeComClient, card: Card, cover: Card | None
) -> dict[str, Any]:
    """One attachment as ``add_moment_task`` takes it (image, video or link)."""
    if card.kind in (IMAGE, VIDEO):
        return {
            "msgtype": card.kind,
            card.kind: {"media_id": media_id(database, client, card, MOMENT)},
        }
    if card.kind == LINK:
        link = {"title": card.title, "url": card.url}
        if cover is not None:
            link["media_id"] = media_id(database, client, cover, MOMENT)
        return {"msgtype": LINK, LINK: link}
    raise ValueError(f"material {card.id} ({card.kind}) cannot be a Moments attachment")


def refresh_expiring(
    database: Database,
    clients: Any,
    *,
    now: dt.datetime | None = None,
    used_within: dt.timedelta = dt.timedelta(days=7),
) -> int:
    """Upload again the media ids of materials used lately that expire within 12 hours, so a
    send does not wait for the upload. ``clients(tenant_id)`` gives a tenant's client (or None
    when it is not connected). Returns how many were made."""
    now = now or utcnow()
    with database.factory() as session:
        due = repository.expiring_media(
            session, before=now + REFRESH_MARGIN, used_since=now - used_within
        )
        cards = {
            material_id: Card.of(m)
            for _t, material_id, _p in due
            if (m := session.get(Material, material_id)) is not None
        }
    made = 0
    by_tenant: dict[int, WeComClient | None] = {}
    for tenant_id, material_id, purpose in due:
        if tenant_id not in by_tenant:
            by_tenant[tenant_id] = clients(tenant_id)
        client = by_tenant[tenant_id]
        card = cards.get(material_id)
        if client is None or card is None or not card.file_path:
            continue
        try:
            upload(database, client, card, purpose)
            made += 1
        except Exception:  # one bad file must not keep the others from being refreshed
            log.exception("material %s: media for %s could not be made again", card.id, purpose)
    return made
