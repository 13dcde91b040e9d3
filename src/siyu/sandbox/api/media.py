"""Temporary media (3-day media_id), Moments attachments (``upload_attachment``, also 3 days) and
permanent images (``uploadimg``)."""

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


# ``upload_attachment``: what each attachment type takes (WeCom doc 95098: Moments take JPG/PNG
# images and MP4 videos of ≤10 MB; the product album takes images only [M]).
ATTACHMENT_KINDS = {1: ("image", "video"), 2: ("image",)}
ATTACHMENT_SUFFIXES = {"image": (".jpg", ".jpeg", ".png"), "video": (".mp4",)}


@registry.post("media/upload_attachment")
def upload_attachment(ctx: Ctx) -> Json:
    kind = text(ctx.query, "media_type")
    attachment_type = text(ctx.query, "attachment_type")
    if not attachment_type.isdigit() or int(attachment_type) not in ATTACHMENT_KINDS:
        raise WeComError(40058, "invalid attachment_type")
    if kind not in ATTACHMENT_KINDS[int(attachment_type)]:
        raise WeComError(40004)
    filename, content = _file(ctx)
    if not filename.lower().endswith(ATTACHMENT_SUFFIXES[kind]):
        raise WeComError(40004, f"{kind} attachments must be {'/'.join(ATTACHMENT_SUFFIXES[kind])}")
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
            attachment_type=int(attachment_type),
        )
    )
    return {"type": kind, "media_id": media_id, "created_at": str(ctx.now)}


@registry.post("media/uploadimg")
def uploadimg(ctx: Ctx) -> Json:
    _, content = _file(ctx)
    if len(content) > 2 << 20:
        raise WeComError(45001)
    return {"url": f"https://wework.qpic.cn/wwpic/{new_id('', 20)}/0"}


def media_valid(ctx: Ctx, media_id: str, *, attachment_type: int = 0) -> bool:
    """A live media id of this corp, made by ``media/upload`` (``attachment_type`` 0) or by
    ``media/upload_attachment`` with that attachment type."""
    row = ctx.session.get(Media, media_id)
    return (
        row is not None
        and row.corp_id == ctx.corp_id
        and row.attachment_type == attachment_type
        and ctx.now - row.created_at < ctx.runtime.media_ttl
    )
