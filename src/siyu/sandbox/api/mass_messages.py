"""Mass messages (企业群发): tasks the staff confirm, with WeCom's per-customer receive limits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.sandbox.api.base import Ctx, Json, Registry, cursor_page, integer, str_list, text, user
from siyu.sandbox.api.messages import log_outgoing, validate_content
from siyu.sandbox.core import WeComError, new_id, receive_limit
from siyu.sandbox.state import (
    Corp,
    Effect,
    Follow,
    GroupChat,
    MassMessage,
    MassSend,
    MassTask,
)

registry = Registry()


def _tag_match(tag_ids: list[str], tag_filter: Json) -> bool:
    groups = tag_filter.get("group_list") or []
    for group in groups:  # AND across groups, OR within one
        wanted = set(group.get("tag_list") or [])
        if wanted and not wanted & set(tag_ids):
            return False
    return True


Recipients = tuple[list[tuple[str, str, str]], list[str]]  # (userid, external_userid, chat_id)


def _single_recipients(ctx: Ctx, sender: str) -> Recipients:
    wanted = str_list(ctx.body, "external_userid")
    if len(wanted) > 10000:
        raise WeComError(40058, "external_userid exceed max size 10000")
    if not wanted and not sender:
        raise WeComError(40058, "external_userid and sender both empty")
    query = select(Follow).where(Follow.corp_id == ctx.corp_id)
    if sender:
        query = query.where(Follow.userid == sender)
    follows = ctx.session.scalars(query.order_by(Follow.createtime.desc(), Follow.id))
    tag_filter = ctx.body.get("tag_filter") or {}
    chosen: dict[str, str] = {}
    for row in follows:
        if wanted and row.external_userid not in wanted:
            continue
        if tag_filter and not _tag_match(row.tag_ids, tag_filter):
            continue
        chosen.setdefault(row.external_userid, row.userid)  # the latest follow wins
    fail_list = [e for e in dict.fromkeys(wanted) if e not in chosen]
    return [(u, e, "") for e, u in chosen.items()], fail_list


def _group_recipients(ctx: Ctx, sender: str) -> Recipients:
    if not sender:
        raise WeComError(40058, "sender missing")
    chat_ids = str_list(ctx.body, "chat_id_list")
    if len(chat_ids) > 2000:
        raise WeComError(40058, "chat_id_list exceed max size 2000")
    owned = list(
        ctx.session.scalars(
            select(GroupChat.chat_id)
            .where(GroupChat.corp_id == ctx.corp_id, GroupChat.owner == sender)
            .where(GroupChat.dismissed.is_(False))
            .order_by(GroupChat.id)
        )
    )
    fail_list = [c for c in chat_ids if c not in owned]
    return [(sender, "", c) for c in (chat_ids or owned) if c in owned], fail_list


@registry.post("externalcontact/add_msg_template")
def add_msg_template(ctx: Ctx) -> Json:
    chat_type = text(ctx.body, "chat_type") or "single"
    if chat_type not in ("single", "group"):
        raise WeComError(40058, "invalid chat_type")
    sender = text(ctx.body, "sender")
    if sender:
        user(ctx, sender)
    content = validate_content(ctx, ctx.body)
    if chat_type == "single":
        sends, fail_list = _single_recipients(ctx, sender)
    else:
        sends, fail_list = _group_recipients(ctx, sender)
    if not sends:
        raise WeComError(41048)
    msgid = new_id("msg", 24, "AAAA")
    ctx.session.add(
        MassMessage(
            corp_id=ctx.corp_id,
            msgid=msgid,
            chat_type=chat_type,
            creator=sender,
            create_type=0,
            create_time=ctx.now,
            content=content,
        )
    )
    for userid in dict.fromkeys(s[0] for s in sends):
        ctx.session.add(MassTask(msgid=msgid, userid=userid))
    ctx.session.add_all(
        MassSend(msgid=msgid, userid=u, external_userid=e, chat_id=c) for u, e, c in sends
    )
    return {"fail_list": fail_list, "msgid": msgid}


def _message(ctx: Ctx) -> MassMessage:
    msgid = text(ctx.body, "msgid")
    if not msgid:
        raise WeComError(41046)
    message = ctx.session.scalar(
        select(MassMessage).where(MassMessage.corp_id == ctx.corp_id, MassMessage.msgid == msgid)
    )
    if message is None:
        raise WeComError(41047)
    return message


@registry.post("externalcontact/get_groupmsg_list_v2")
def get_groupmsg_list_v2(ctx: Ctx) -> Json:
    chat_type = text(ctx.body, "chat_type") or "single"
    start, end = integer(ctx.body, "start_time"), integer(ctx.body, "end_time")
    if end < start or end - start > 31 * 86400:
        raise WeComError(40058, "time range exceed 1 month")
    filter_type = integer(ctx.body, "filter_type", 2)
    query = (
        select(MassMessage)
        .where(
            MassMessage.corp_id == ctx.corp_id,
            MassMessage.chat_type == chat_type,
            MassMessage.create_time >= start,
            MassMessage.create_time <= end,
        )
        .order_by(MassMessage.id)
    )
    creator = text(ctx.body, "creator")
    if creator:
        query = query.where(MassMessage.creator == creator)
    if filter_type in (0, 1):
        query = query.where(MassMessage.create_type == filter_type)
    rows = list(ctx.session.scalars(query))
    page, next_cursor = cursor_page(rows, ctx.body, default=50, maximum=100)
    return {
        "group_msg_list": [
            {
                "msgid": m.msgid,
                "creator": m.creator,
                "create_time": m.create_time,
                "create_type": m.create_type,
            }
            | m.content
            for m in page
        ],
        "next_cursor": next_cursor,
    }


@registry.post("externalcontact/get_groupmsg_task")
def get_groupmsg_task(ctx: Ctx) -> Json:
    message = _message(ctx)
    tasks = list(
        ctx.session.scalars(
            select(MassTask).where(MassTask.msgid == message.msgid).order_by(MassTask.id)
        )
    )
    page, next_cursor = cursor_page(tasks, ctx.body, default=500, maximum=1000)
    return {
        "task_list": [
            {"userid": t.userid, "status": t.status}
            | ({"send_time": t.send_time} if t.status == 2 else {})
            for t in page
        ],
        "next_cursor": next_cursor,
    }


@registry.post("externalcontact/get_groupmsg_send_result")
def get_groupmsg_send_result(ctx: Ctx) -> Json:
    message = _message(ctx)
    userid = text(ctx.body, "userid", required=True)
    sends = list(
        ctx.session.scalars(
            select(MassSend)
            .where(MassSend.msgid == message.msgid, MassSend.userid == userid)
            .order_by(MassSend.id)
        )
    )
    page, next_cursor = cursor_page(sends, ctx.body, default=500, maximum=1000)
    result = []
    for s in page:
        item: Json = {"userid": s.userid, "status": s.status}
        item |= {"chat_id": s.chat_id} if s.chat_id else {"external_userid": s.external_userid}
        if s.status == 1:
            item["send_time"] = s.send_time
        result.append(item)
    return {"send_list": result, "next_cursor": next_cursor}


@registry.post("externalcontact/remind_groupmsg_send")
def remind_groupmsg_send(ctx: Ctx) -> Json:
    message = _message(ctx)
    recent = [t for t in message.reminders if ctx.now - t < 86400]
    if len(recent) >= 3:
        raise WeComError(45009, "remind exceed limit: 3 times per 24 hours")
    message.reminders = [*recent, ctx.now]
    return {}


@registry.post("externalcontact/cancel_groupmsg_send")
def cancel_groupmsg_send(ctx: Ctx) -> Json:
    _message(ctx).cancelled = True
    return {}


def confirm(session: Session, corp: Corp, msgid: str, userid: str, now: int) -> Json:
    """The staff member confirms in the client: deliver within each recipient's receive limit."""
    message = session.scalar(
        select(MassMessage).where(MassMessage.corp_id == corp.corp_id, MassMessage.msgid == msgid)
    )
    if message is None:
        raise WeComError(41047)
    task = session.scalar(
        select(MassTask).where(MassTask.msgid == msgid, MassTask.userid == userid)
    )
    if task is None:
        raise WeComError(40003, f"{userid} has no task in {msgid}")
    if message.cancelled:
        raise WeComError(41047, "mass message cancelled")
    if task.status == 2:
        return {"sent": 0, "already": True}
    limit, window_start = receive_limit(corp.receive_policy, now)
    counts = {1: 0, 2: 0, 3: 0}
    for send in session.scalars(
        select(MassSend).where(
            MassSend.msgid == msgid, MassSend.userid == userid, MassSend.status == 0
        )
    ):
        key = MassSend.chat_id if send.chat_id else MassSend.external_userid
        value = send.chat_id or send.external_userid
        if send.external_userid and (
            session.scalar(
                select(Follow.id).where(
                    Follow.corp_id == corp.corp_id,
                    Follow.userid == userid,
                    Follow.external_userid == send.external_userid,
                )
            )
            is None
        ):
            send.status = 2
        else:
            received = session.scalar(
                select(func.count())
                .select_from(MassSend)
                .join(MassMessage, MassMessage.msgid == MassSend.msgid)
                .where(
                    MassMessage.corp_id == corp.corp_id,
                    key == value,
                    MassSend.status == 1,
                    MassSend.send_time >= window_start,
                )
            )
            send.status = 3 if (received or 0) >= limit else 1
        send.send_time = now
        counts[send.status] += 1
        if send.status == 1:
            if send.external_userid:
                log_outgoing(
                    session, corp.corp_id, userid, send.external_userid, message.content, now
                )
            session.add(
                Effect(
                    corp_id=corp.corp_id,
                    kind="mass_message",
                    at=now,
                    payload={
                        "msgid": msgid,
                        "userid": userid,
                        "external_userid": send.external_userid,
                        "chat_id": send.chat_id,
                    }
                    | message.content,
                )
            )
        session.flush()
    task.status = 2
    task.send_time = now
    return {"sent": counts[1], "not_friend": counts[2], "over_limit": counts[3]}
