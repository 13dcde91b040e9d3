"""Group welcome templates (入群欢迎语素材) kept in WeCom's library. Never commits.

What the API can and cannot do: it keeps the library (``group_welcome_template/add|edit|get|del``,
at most 100 per corp). Which template greets a group's newcomers is chosen by the group owner in
the WeCom client (群聊 → 群设置 → 入群欢迎语); no API attaches a template to a group or to a join
way, and WeCom sends it itself. A group code therefore names its welcome for the operator's
reference: the owners of its groups pick that template in their clients.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.auth.principal import Principal
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.groups.errors import WelcomeInUse
from siyu.groups.models import DELETED, GroupCode, GroupWelcome
from siyu.groups.schemas import WelcomeAttachment, WelcomeIn


def get(session: Session, tenant_id: int, welcome_id: int) -> GroupWelcome:
    welcome = session.scalar(
        select(GroupWelcome).where(
            GroupWelcome.tenant_id == tenant_id, GroupWelcome.id == welcome_id
        )
    )
    if welcome is None:
        raise NotFound("group_welcome")
    return welcome


def content(data: WelcomeIn) -> dict[str, Any]:
    """The template as WeCom's ``add``/``edit`` take it."""
    body: dict[str, Any] = {"notify": 1 if data.notify else 0}
    if data.text.strip():
        body["text"] = {"content": data.text}
    a = data.attachment
    if a is not None and a.msgtype == "image":
        body["image"] = {"pic_url": a.pic_url}
    elif a is not None and a.msgtype == "link":
        body["link"] = {"title": a.title, "picurl": a.pic_url, "desc": a.desc, "url": a.url}
    elif a is not None:
        body["miniprogram"] = {
            "title": a.title,
            "pic_media_id": a.pic_media_id,
            "appid": a.appid,
            "page": a.page,
        }
    return body


def _snapshot(welcome: GroupWelcome) -> dict[str, Any]:
    return {
        "name": welcome.name,
        "template_id": welcome.template_id,
        "text": welcome.text,
        "attachment": welcome.attachment,
        "notify": welcome.notify,
    }


def _fill(welcome: GroupWelcome, data: WelcomeIn) -> None:
    welcome.name = data.name
    welcome.text = data.text
    welcome.attachment = data.attachment.model_dump() if data.attachment else {}
    welcome.notify = data.notify
    welcome.updated_at = utcnow()


def new(session: Session, actor: Principal, data: WelcomeIn) -> GroupWelcome:
    """The row, before WeCom is asked (``template_id`` empty until it answers)."""
    welcome = GroupWelcome(tenant_id=actor.tenant_id, created_by=actor.user_id)
    _fill(welcome, data)
    session.add(welcome)
    session.flush()
    audit.record(
        session,
        actor,
        "group_welcome.create",
        entity_type="group_welcome",
        entity_id=welcome.id,
        after=_snapshot(welcome),
    )
    return welcome


def edit(session: Session, actor: Principal, welcome: GroupWelcome, data: WelcomeIn) -> None:
    before = _snapshot(welcome)
    _fill(welcome, data)
    audit.record(
        session,
        actor,
        "group_welcome.update",
        entity_type="group_welcome",
        entity_id=welcome.id,
        before=before,
        after=_snapshot(welcome),
    )


def used_by(session: Session, tenant_id: int) -> dict[int, int]:
    return {
        welcome_id: count
        for welcome_id, count in session.execute(
            select(GroupCode.welcome_id, func.count())
            .where(
                GroupCode.tenant_id == tenant_id,
                GroupCode.welcome_id.is_not(None),
                GroupCode.status != DELETED,
            )
            .group_by(GroupCode.welcome_id)
        ).all()
        if welcome_id is not None
    }


def check_deletable(session: Session, welcome: GroupWelcome) -> None:
    count = used_by(session, welcome.tenant_id).get(welcome.id, 0)
    if count:
        raise WelcomeInUse(count=count)


def remove(session: Session, actor: Principal, welcome: GroupWelcome) -> None:
    audit.record(
        session,
        actor,
        "group_welcome.delete",
        entity_type="group_welcome",
        entity_id=welcome.id,
        before=_snapshot(welcome),
    )
    session.delete(welcome)


def attachment_of(welcome: GroupWelcome) -> WelcomeAttachment | None:
    return WelcomeAttachment.model_validate(welcome.attachment) if welcome.attachment else None
