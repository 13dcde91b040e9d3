"""Temporary media (3-day media_id) and permanent images (``uploadimg``)."""

from __future__ import annotations

from siyu.sandbox.api.base import Ctx, Json, Registry, text
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.state import Media

registry = Registry()

# WeCom's size limits per type (bytes).
LIMITS = {"image": 10 << 20, "voice": 2 << 20, "video": 10 << 20, "file": 20 << 20}


def _file(ctx: Ctx) -> tuple[str, bytes]:
    upload = ctx.files.get("media")
    if upload is None or not upload[1]:
        raise WeComError(44001)
    return upload


@registry.post("media/upload")
def upload(ctx: Ctx) -> Json:
    kind = text(ctx.query, "type")
    if kind not in LIMITS:
        raise WeComError(40004)
    filename, content = _file(ctx)
    if len(content) > LIMITS[kind]:
        raise WeComError(45001)
    media_id = new_id("3", 60)
    ctx.session.add(
        Media(
            media_id=media_id,
            corp_id=ctx.corp_id,
            type=kind,
            filename=filename,
            size=len(content),
            created_at=ctx.now,
        )
    )
    return {"type": kind, "media_id": media_id, "created_at": str(ctx.now)}


@registry.post("media/uploadimg")
def uploadimg(ctx: Ctx) -> Json:
    _, content = _file(ctx)
    if len(content) > 2 << 20:
        raise WeComError(45001)
    return {"url": f"https://wework.qpic.cn/wwpic/{new_id('', 20)}/0"}


def media_valid(ctx: Ctx, media_id: str) -> bool:
    row = ctx.session.get(Media, media_id)
    return (
        row is not None
        and row.corp_id == ctx.corp_id
        and ctx.now - row.created_at < ctx.runtime.media_ttl
    )
