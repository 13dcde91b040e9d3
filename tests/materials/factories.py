"""Materials for tests."""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from siyu.materials import samples, service
from siyu.materials.models import Material
from siyu.materials.schemas import LinkIn, MiniprogramIn
from siyu.tenants.models import Tenant

# An MP4's first box (ftyp, isom): enough for the type check; the sandbox keeps only the size.
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 64


def make_image(session: Session, tenant: Tenant, title: str = "新品海报") -> Material:
    return service.create_file(
        session,
        tenant.id,
        kind="image",
        stream=io.BytesIO(samples.png(label="poster")),
        filename="poster.png",
        title=title,
        category="海报",
        keywords="新品 秋冬",
    )


def make_video(session: Session, tenant: Tenant, title: str = "门店视频") -> Material:
    stream = io.BytesIO(MP4)
    return service.create_file(
        session, tenant.id, kind="video", stream=stream, filename="shop.mp4", title=title
    )


def make_file(session: Session, tenant: Tenant, title: str = "价目表") -> Material:
    stream = io.BytesIO(samples.pdf("Price list"))
    return service.create_file(
        session, tenant.id, kind="file", stream=stream, filename="prices.pdf", title=title
    )


def make_link(session: Session, tenant: Tenant, title: str = "会员日") -> Material:
    cover = make_image(session, tenant, f"{title}封面")
    body = LinkIn(title=title, url="https://example.com/vip", cover_id=cover.id)
    return service.create_link(session, tenant.id, body)


def make_miniprogram(session: Session, tenant: Tenant, title: str = "商城") -> Material:
    cover = make_image(session, tenant, f"{title}封面")
    body = MiniprogramIn(
        title=title, appid="wx0123456789abcdef", page="pages/index", cover_id=cover.id
    )
    return service.create_miniprogram(session, tenant.id, body)
