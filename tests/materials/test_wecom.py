"""Materials on WeCom (the sandbox): uploaded when used, once while the media id is fresh,
again when it nears its end; the shapes messages and Moments take."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.materials import media, service
from siyu.materials.errors import AttachmentsNotAllowed
from siyu.materials.models import MESSAGE, MOMENT, Material, MaterialMedia
from siyu.tenants.models import Tenant
from siyu.wecom import schemas
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from tests.conftest import World
from tests.materials.factories import (
    make_file,
    make_image,
    make_link,
    make_miniprogram,
    make_video,
)


def _calls(world: World, path: str) -> int:
    counters: Any = world.sandbox_admin("GET", "/inspect/counters")
    return int(counters["api_calls"].get(path, 0))


def _setup(world: World, session: Session, database: Database) -> tuple[Tenant, WeComClient]:
    tenant = session.get(Tenant, world.connection.tenant_id)
    assert tenant is not None
    client = wecom.client_for_tenant(database, tenant.id)
    assert client is not None
    return tenant, client


def _media(session: Session, material_id: int, purpose: str) -> MaterialMedia:
    session.expire_all()
    row = session.scalar(
        select(MaterialMedia).where(
            MaterialMedia.material_id == material_id, MaterialMedia.purpose == purpose
        )
    )
    assert row is not None
    return row


def test_an_image_is_uploaded_once_and_its_media_id_reused(
    world: World, session: Session, database: Database
) -> None:
    tenant, client = _setup(world, session, database)
    image = make_image(session, tenant)
    session.commit()
    first = service.wecom_attachments(database, client, tenant.id, [image.id])
    second = service.wecom_attachments(database, client, tenant.id, [image.id])
    assert first == second
    assert first[0]["msgtype"] == "image"
    assert first[0]["image"]["media_id"] == _media(session, image.id, MESSAGE).media_id
    assert _calls(world, "media/upload") == 1
    session.refresh(image)
    assert image.use_count == 2
    assert image.last_used_at is not None


def test_a_media_id_with_less_than_12_hours_left_is_made_again(
    world: World, session: Session, database: Database
) -> None:
    tenant, client = _setup(world, session, database)
    image = make_image(session, tenant)
    session.commit()
    old = service.wecom_attachments(database, client, tenant.id, [image.id])[0]
    row = _media(session, image.id, MESSAGE)
    row.created_at = utcnow() - dt.timedelta(days=2, hours=13)
    row.expires_at = row.created_at + dt.timedelta(days=3)
    session.commit()
    new = service.wecom_attachments(database, client, tenant.id, [image.id])[0]
    assert new["image"]["media_id"] != old["image"]["media_id"]
    assert _calls(world, "media/upload") == 2
    assert _media(session, image.id, MESSAGE).expires_at > utcnow() + dt.timedelta(days=2)


def test_message_attachments_are_what_wecom_accepts(
    world: World, session: Session, database: Database
) -> None:
    tenant, client = _setup(world, session, database)
    ids = [
        make_image(session, tenant).id,
        make_video(session, tenant).id,
        make_file(session, tenant).id,
        make_link(session, tenant).id,
        make_miniprogram(session, tenant).id,
    ]
    session.commit()
    attachments = service.wecom_attachments(database, client, tenant.id, ids)
    assert [a["msgtype"] for a in attachments] == ["image", "video", "file", "link", "miniprogram"]
    link, mini = attachments[3]["link"], attachments[4]["miniprogram"]
    assert link["url"] == "https://example.com/vip"
    assert link["picurl"].startswith("https://")
    assert mini["appid"] == "wx0123456789abcdef"
    assert mini["pic_media_id"]
    # WeCom's mass message takes them as they are (an unknown media id would be 40007).
    sent = client.post(
        "/cgi-bin/externalcontact/add_msg_template",
        schemas.Reply,
        {
            "chat_type": "single",
            "sender": "wangfang",
            "text": {"content": "新品到店"},
            "attachments": attachments,
        },
    )
    assert sent.errcode == 0
    # The link's cover URL is permanent: made once.
    service.wecom_attachments(database, client, tenant.id, [ids[3]])
    assert _calls(world, "media/uploadimg") == 1


def test_moment_attachments_use_upload_attachment(
    world: World, session: Session, database: Database
) -> None:
    tenant, client = _setup(world, session, database)
    images = [make_image(session, tenant, f"图{i}").id for i in range(2)]
    video, link = make_video(session, tenant).id, make_link(session, tenant).id
    doc = make_file(session, tenant).id
    session.commit()
    for ids, kinds in ((images, ["image", "image"]), ([video], ["video"]), ([link], ["link"])):
        attachments = service.wecom_attachments(database, client, tenant.id, ids, moment=True)
        assert [a["msgtype"] for a in attachments] == kinds
        posted = client.post(
            "/cgi-bin/externalcontact/add_moment_task",
            schemas.Reply,
            {"text": {"content": "朋友圈"}, "attachments": attachments},
        )
        assert posted.errcode == 0
    assert _calls(world, "media/upload_attachment") == 4  # two images, the video, the cover
    assert _calls(world, "media/upload") == 0
    link_cover = session.get(Material, link)
    assert link_cover is not None
    assert link_cover.cover_id is not None
    assert _media(session, link_cover.cover_id, MOMENT).media_id
    with pytest.raises(AttachmentsNotAllowed):
        service.wecom_attachments(database, client, tenant.id, [video, images[0]], moment=True)
    with pytest.raises(AttachmentsNotAllowed):
        service.wecom_attachments(database, client, tenant.id, [doc], moment=True)


def test_the_refresh_job_remakes_media_of_recently_used_materials(
    world: World, session: Session, database: Database
) -> None:
    tenant, client = _setup(world, session, database)
    used, idle = make_image(session, tenant, "常用"), make_image(session, tenant, "不常用")
    session.commit()
    service.wecom_attachments(database, client, tenant.id, [used.id, idle.id])
    soon = utcnow() + dt.timedelta(hours=3)
    for row in session.scalars(select(MaterialMedia)):
        row.expires_at = soon
    idle_row = session.get(Material, idle.id)
    assert idle_row is not None
    idle_row.last_used_at = utcnow() - dt.timedelta(days=30)
    session.commit()
    made = media.refresh_expiring(database, lambda t: client if t == tenant.id else None)
    assert made == 1
    assert _media(session, used.id, MESSAGE).expires_at > utcnow() + dt.timedelta(days=2)
    assert _media(session, idle.id, MESSAGE).expires_at == soon
    assert media.refresh_expiring(database, lambda t: client) == 0


def test_a_material_whose_file_is_gone_says_so(
    world: World, session: Session, database: Database
) -> None:
    from siyu.materials import storage
    from siyu.materials.errors import MaterialFileMissing

    tenant, client = _setup(world, session, database)
    image = make_image(session, tenant, "丢失的图片")
    session.commit()
    path = storage.path_of(image.file_path)
    assert path is not None
    path.unlink()
    with pytest.raises(MaterialFileMissing) as missing:
        service.wecom_attachments(database, client, tenant.id, [image.id])
    assert "丢失的图片" in missing.value.message("zh-CN")
    assert _calls(world, "media/upload") == 0
