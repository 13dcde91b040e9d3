"""Group welcome templates (入群欢迎语素材): ``group_welcome_template/add|edit|get|del``.

A template is text (``%NICKNAME%`` stands for the newcomer's name) and at most one attachment.
WeCom keeps at most 100 per corp (41055). The API only manages the library: which template greets
a group's newcomers is chosen by the group owner in the WeCom client (群设置 → 入群欢迎语), so
nothing here sends a message.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import func, select

from siyu.sandbox.api.base import Ctx, Json, Registry, text
from siyu.sandbox.core import WeComError
from siyu.sandbox.state import GroupWelcomeTemplate

registry = Registry()

MAX_TEMPLATES = 100
ATTACHMENTS = ("image", "link", "miniprogram", "file", "video")
# Byte limits WeCom states for the template's fields (UTF-8).
LIMITS = {
    ("text", "content"): 3000,
    ("link", "title"): 128,
    ("link", "desc"): 512,
    ("miniprogram", "title"): 64,
}
REQUIRED = {
    "link": ("title", "url"),
    "miniprogram": ("title", "pic_media_id", "appid", "page"),
    "file": ("media_id",),
    "video": ("media_id",),
}


def _part(body: Json, kind: str) -> dict[str, str] | None:
    value = body.get(kind)
    if value is None or value == {}:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str | int) for v in value.values()):
        raise WeComError(40058, f"invalid {kind}")
    part = {str(k): str(v) for k, v in value.items()}
    for (limit_kind, key), limit in LIMITS.items():
        if limit_kind == kind and len(part.get(key, "").encode()) > limit:
            raise WeComError(40058, f"{kind}.{key} exceed max length {limit} bytes")
    for key in REQUIRED.get(kind, ()):
        if not part.get(key):
            raise WeComError(40058, f"{kind}.{key} missing")
    if kind == "image" and not (part.get("media_id") or part.get("pic_url")):
        raise WeComError(40058, "image.media_id or image.pic_url missing")
    return part


def _content(body: Json) -> dict[str, Any]:
    content: dict[str, Any] = {}
    for kind in ("text", *ATTACHMENTS):
        part = _part(body, kind)
        if part is not None:
            content[kind] = part
    if len([k for k in content if k != "text"]) > 1:
        raise WeComError(40058, "only one attachment is allowed")
    if not content:
        raise WeComError(40058, "text and attachment both empty")
    return content


def _find(ctx: Ctx) -> GroupWelcomeTemplate:
    template_id = text(ctx.body, "template_id", required=True)
    found = ctx.session.scalar(
        select(GroupWelcomeTemplate).where(
            GroupWelcomeTemplate.corp_id == ctx.corp_id,
            GroupWelcomeTemplate.template_id == template_id,
        )
    )
    if found is None:
        raise WeComError(40058, "invalid template_id")
    return found


@registry.post("externalcontact/group_welcome_template/add")
def add(ctx: Ctx) -> Json:
    content = _content(ctx.body)
    count = ctx.session.scalar(
        select(func.count())
        .select_from(GroupWelcomeTemplate)
        .where(GroupWelcomeTemplate.corp_id == ctx.corp_id)
    )
    if (count or 0) >= MAX_TEMPLATES:
        raise WeComError(41055)
    template_id = "msg" + secrets.token_urlsafe(24)
    ctx.session.add(
        GroupWelcomeTemplate(
            corp_id=ctx.corp_id, template_id=template_id, content=content, create_time=ctx.now
        )
    )
    return {"template_id": template_id}


@registry.post("externalcontact/group_welcome_template/edit")
def edit(ctx: Ctx) -> Json:
    template = _find(ctx)
    template.content = _content(ctx.body)  # the given parts replace the template's
    return {}


@registry.post("externalcontact/group_welcome_template/get")
def get(ctx: Ctx) -> Json:
    return dict(_find(ctx).content)


@registry.post("externalcontact/group_welcome_template/del")
def delete(ctx: Ctx) -> Json:
    ctx.session.delete(_find(ctx))
    return {}
