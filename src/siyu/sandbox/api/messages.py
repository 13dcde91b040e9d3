"""Welcome messages, and the message content rules mass messages share."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from siyu.sandbox.api.base import Ctx, Json, Registry, text
from siyu.sandbox.api.media import media_valid
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.state import (
    ChatMessage,
    WelcomeCode,
)

registry = Registry()

ATTACHMENT_FIELDS = {
    "image": ("media_id", "pic_url"),
    "link": ("title", "url"),
    "miniprogram": ("title", "pic_media_id", "appid", "page"),
    "video": ("media_id",),
    "file": ("media_id",),
}
MAX_ATTACHMENTS = 9
MAX_TEXT_BYTES = 4000


def validate_content(ctx: Ctx, body: Json) -> Json:
    """text + ≤9 attachments, each with the fields its msgtype needs and live media ids."""
    content: Json = {}
    raw_text = body.get("text")
    if raw_text is not None:
        if not isinstance(raw_text, dict):
            raise WeComError(40058, "invalid text")
        words = text(raw_text, "content")
        if len(words.encode()) > MAX_TEXT_BYTES:
            raise WeComError(40058, f"text.content exceed {MAX_TEXT_BYTES} bytes")
        content["text"] = {"content": words}
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list):
        raise WeComError(40058, "invalid attachments")
    if len(attachments) > MAX_ATTACHMENTS:
        raise WeComError(40058, f"attachments exceed max size {MAX_ATTACHMENTS}")
    for item in attachments:
        _check_attachment(ctx, item)
    if attachments:
        content["attachments"] = attachments
    if not content.get("text", {}).get("content") and not attachments:
        raise WeComError(40058, "text and attachments both empty")
    return content


def _check_attachment(ctx: Ctx, item: object) -> None:
    msgtype = item.get("msgtype") if isinstance(item, dict) else None
    if not isinstance(item, dict) or msgtype not in ATTACHMENT_FIELDS:
        raise WeComError(40058, "invalid attachment msgtype")
    detail = item.get(msgtype)
    if not isinstance(detail, dict):
        raise WeComError(40058, f"attachment {msgtype} missing")
    needed = ATTACHMENT_FIELDS[msgtype]
    if msgtype == "image":
        if not (detail.get("media_id") or detail.get("pic_url")):
            raise WeComError(40058, "image needs media_id or pic_url")
    elif not all(detail.get(key) for key in needed):
        raise WeComError(40058, f"{msgtype} needs {', '.join(needed)}")
    for key in ("media_id", "pic_media_id"):
        if detail.get(key) and not media_valid(ctx, str(detail[key])):
            raise WeComError(40007)


def log_outgoing(
    session: Session, corp_id: str, userid: str, external_userid: str, content: Json, now: float
) -> None:
    """Delivered text and attachments enter the chat log as separate messages, as in WeCom."""
    parts: list[tuple[str, str]] = []
    if content.get("text", {}).get("content"):
        parts.append(("text", content["text"]["content"]))
    for attachment in content.get("attachments", []):
        msgtype = attachment["msgtype"]
        parts.append((msgtype, json.dumps(attachment[msgtype], ensure_ascii=False)))
    for msgtype, body in parts:
        session.add(
            ChatMessage(
                corp_id=corp_id,
                msgid=new_id("", 20),
                sender=userid,
                receiver=external_userid,
                msgtype=msgtype,
                content=body,
                msgtime=int(now * 1000),
            )
        )


@registry.post("externalcontact/send_welcome_msg")
def send_welcome_msg(ctx: Ctx) -> Json:
    code = text(ctx.body, "welcome_code")
    if not code:
        raise WeComError(41049)
    row = ctx.session.get(WelcomeCode, code)
    if row is None or row.corp_id != ctx.corp_id:
        raise WeComError(41050)
    if row.used_at is not None:
        raise WeComError(41051)
    if ctx.now - row.issued_at > ctx.runtime.welcome_code_ttl:
        raise WeComError(41050)
    content = validate_content(ctx, ctx.body)
    row.used_at = ctx.now
    log_outgoing(
        ctx.session, ctx.corp_id, row.userid, row.external_userid, content, ctx.runtime.clock.now()
    )
    ctx.effect(
        "welcome",
        {"userid": row.userid, "external_userid": row.external_userid, "welcome_code": code}
        | content,
    )
    return {}
