"""Customer groups: ``groupchat/list``, ``groupchat/get`` and group join ways (群活码)."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from siyu.sandbox.api.base import Ctx, Json, Registry, cursor_page, integer, str_list, text
from siyu.sandbox.core import WeComError
from siyu.sandbox.state import GroupChat, GroupMember, JoinWay, User

registry = Registry()

MAX_JOIN_WAY_CHATS = 5


@registry.post("externalcontact/groupchat/list")
def groupchat_list(ctx: Ctx) -> Json:
    if "limit" not in ctx.body:
        raise WeComError(40058, "limit missing")
    limit = integer(ctx.body, "limit")
    if not 1 <= limit <= 1000:
        raise WeComError(40058, "limit must be in [1, 1000]")
    status_filter = integer(ctx.body, "status_filter", 0)
    owner_filter = ctx.body.get("owner_filter") or {}
    owners = str_list(owner_filter, "userid_list") if isinstance(owner_filter, dict) else []
    query = (
        select(GroupChat)
        .where(GroupChat.corp_id == ctx.corp_id, GroupChat.dismissed.is_(False))
        .order_by(GroupChat.id)
    )
    if owners:
        query = query.where(GroupChat.owner.in_(owners))
    else:
        visible = len(list(ctx.session.scalars(select(User.id).where(User.corp_id == ctx.corp_id))))
        if visible > 1000:
            raise WeComError(81017)
    if status_filter:
        query = query.where(GroupChat.status == status_filter)
    chats = list(ctx.session.scalars(query))
    page, next_cursor = cursor_page(chats, ctx.body, default=limit, maximum=1000)
    return {
        "group_chat_list": [{"chat_id": c.chat_id, "status": c.status} for c in page],
        "next_cursor": next_cursor,
    }


def find_chat(ctx: Ctx, chat_id: str) -> GroupChat:
    chat = ctx.session.scalar(
        select(GroupChat).where(GroupChat.corp_id == ctx.corp_id, GroupChat.chat_id == chat_id)
    )
    if chat is None:
        raise WeComError(90501)
    if chat.dismissed:
        raise WeComError(49008, "chat has been dismissed")
    return chat


@registry.post("externalcontact/groupchat/get")
def groupchat_get(ctx: Ctx) -> Json:
    chat = find_chat(ctx, text(ctx.body, "chat_id", required=True))
    need_name = integer(ctx.body, "need_name", 0) == 1
    members = list(
        ctx.session.scalars(
            select(GroupMember).where(GroupMember.chat_id == chat.chat_id).order_by(GroupMember.id)
        )
    )
    member_list = []
    for m in members:
        item: Json = {
            "userid": m.userid,
            "type": m.type,
            "join_time": m.join_time,
            "join_scene": m.join_scene,
            "group_nickname": m.group_nickname,
        }
        if m.invitor:
            item["invitor"] = {"userid": m.invitor}
        if need_name:
            item["name"] = m.name
        if m.state:
            item["state"] = m.state
        member_list.append(item)
    return {
        "group_chat": {
            "chat_id": chat.chat_id,
            "name": chat.name,
            "owner": chat.owner,
            "create_time": chat.create_time,
            "notice": chat.notice,
            "member_list": member_list,
            "admin_list": [{"userid": u} for u in chat.admin_list],
            "member_version": chat.member_version,
        }
    }


def _join_way_data(ctx: Ctx, data: Json, config_id: str) -> Json:
    scene = integer(data, "scene")
    if scene not in (1, 2):
        raise WeComError(40058, "invalid scene")
    chat_ids = str_list(data, "chat_id_list")
    if not chat_ids:
        raise WeComError(40058, "chat_id_list missing")
    if len(chat_ids) > MAX_JOIN_WAY_CHATS:
        raise WeComError(40058, f"chat_id_list exceed max size {MAX_JOIN_WAY_CHATS}")
    for chat_id in chat_ids:
        find_chat(ctx, chat_id)
    auto_create = integer(data, "auto_create_room", 1)
    result: Json = {
        "config_id": config_id,
        "scene": scene,
        "remark": text(data, "remark")[:30],
        "auto_create_room": auto_create,
        "chat_id_list": chat_ids,
        "state": text(data, "state", max_len=30),
    }
    if auto_create == 1:
        result["room_base_name"] = text(data, "room_base_name", max_len=40)
        result["room_base_id"] = integer(data, "room_base_id", 1)
    if scene == 2:
        result["qr_code"] = f"{ctx.runtime.public_url}/sandbox/qr/{config_id}"
    return result


@registry.post("externalcontact/groupchat/add_join_way")
def add_join_way(ctx: Ctx) -> Json:
    config_id = secrets.token_hex(16)
    data = _join_way_data(ctx, ctx.body, config_id)
    ctx.session.add(JoinWay(corp_id=ctx.corp_id, config_id=config_id, data=data))
    return {"config_id": config_id}


def _find_join_way(ctx: Ctx) -> JoinWay:
    config_id = text(ctx.body, "config_id", required=True)
    way = ctx.session.scalar(
        select(JoinWay).where(JoinWay.corp_id == ctx.corp_id, JoinWay.config_id == config_id)
    )
    if way is None:
        raise WeComError(41044, "invalid config_id")
    return way


@registry.post("externalcontact/groupchat/get_join_way")
def get_join_way(ctx: Ctx) -> Json:
    return {"join_way": _find_join_way(ctx).data}


@registry.post("externalcontact/groupchat/update_join_way")
def update_join_way(ctx: Ctx) -> Json:
    way = _find_join_way(ctx)
    way.data = _join_way_data(ctx, ctx.body, way.config_id)
    return {}


@registry.post("externalcontact/groupchat/del_join_way")
def del_join_way(ctx: Ctx) -> Json:
    ctx.session.delete(_find_join_way(ctx))
    return {}
