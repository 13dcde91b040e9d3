"""Moments (客户朋友圈): tasks the staff publish from the client."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox.api.base import Ctx, Json, Registry, cursor_page, integer, str_list, text
from siyu.sandbox.api.media import media_valid
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.state import Effect, Moment, MomentInteraction, MomentTask, User

# Seconds (sandbox clock) before a moment task's result is ready, as WeCom's is not at once.
MOMENT_TASK_SECONDS = 5

registry = Registry()


def _check_media(ctx: Ctx, attachments: list[Any]) -> None:
    """Moments carry only media ids made by ``upload_attachment`` (attachment_type 1): an image
    and a video need one, a link may have one for its cover."""
    for attachment in attachments:
        kind = attachment["msgtype"]
        detail = attachment.get(kind)
        if not isinstance(detail, dict):
            raise WeComError(40058, f"{kind} missing")
        media_id = str(detail.get("media_id") or "")
        if kind == "link" and not (detail.get("title") and detail.get("url")):
            raise WeComError(40058, "link needs title and url")
        if (kind != "link" or media_id) and not media_valid(ctx, media_id, attachment_type=1):
            raise WeComError(40007, f"invalid media_id: {media_id or '(empty)'}")


def _validate(ctx: Ctx, body: Json) -> Json:
    content: Json = {}
    raw_text = body.get("text")
    if isinstance(raw_text, dict) and raw_text.get("content"):
        content["text"] = {"content": text(raw_text, "content")}
    attachments = body.get("attachments") or []
    if not isinstance(attachments, list):
        raise WeComError(40058, "invalid attachments")
    kinds = [a.get("msgtype") if isinstance(a, dict) else None for a in attachments]
    if any(k not in ("image", "video", "link") for k in kinds):
        raise WeComError(40058, "invalid attachment msgtype")
    if ("video" in kinds or "link" in kinds) and len(kinds) > 1:
        raise WeComError(40058, "a video or a link must be the only attachment")
    if len(kinds) > 9:
        raise WeComError(40058, "attachments exceed max size 9")
    if attachments:
        _check_media(ctx, attachments)
        content["attachments"] = attachments
    if not content:
        raise WeComError(40058, "text and attachments both empty")
    return content


@registry.post("externalcontact/add_moment_task")
def add_moment_task(ctx: Ctx) -> Json:
    content = _validate(ctx, ctx.body)
    visible = ctx.body.get("visible_range") or {}
    senders = visible.get("sender_list") or {} if isinstance(visible, dict) else {}
    wanted = str_list(senders, "user_list")
    departments = {int(d) for d in str_list(senders, "department_list")}
    staff = list(
        ctx.session.scalars(
            select(User)
            .where(User.corp_id == ctx.corp_id, User.customer_contact, User.resigned_at.is_(None))
            .order_by(User.id)
        )
    )
    known = {u.userid for u in staff}
    if wanted or departments:
        chosen = [u.userid for u in staff if u.userid in wanted or departments & set(u.departments)]
    else:
        chosen = [u.userid for u in staff]
    jobid = new_id("", 32)
    moment_id = new_id("mom", 24, "AAAA")
    ctx.session.add(
        Moment(
            corp_id=ctx.corp_id,
            jobid=jobid,
            moment_id=moment_id,
            creator=ctx.app.name,
            create_type=0,
            create_time=ctx.now,
            content=content | {"visible_range": visible},
            invalid_users=[u for u in wanted if u not in known],
        )
    )
    ctx.session.add_all(MomentTask(moment_id=moment_id, userid=u) for u in chosen)
    return {"jobid": jobid}


@registry.get("externalcontact/get_moment_task_result")
def get_moment_task_result(ctx: Ctx) -> Json:
    jobid = text(ctx.query, "jobid", required=True)
    moment = ctx.session.scalar(
        select(Moment).where(Moment.corp_id == ctx.corp_id, Moment.jobid == jobid)
    )
    if moment is None:
        raise WeComError(40058, "invalid jobid")
    # WeCom builds the task asynchronously: started, in progress, then done with the moment id.
    age = ctx.runtime.clock.ts() - moment.create_time
    if age < MOMENT_TASK_SECONDS:
        return {"status": 1 if age < MOMENT_TASK_SECONDS / 2 else 2, "type": "add_moment_task"}
    return {
        "status": 3,
        "type": "add_moment_task",
        "result": {
            "errcode": 0,
            "errmsg": "ok",
            "moment_id": moment.moment_id,
            "invalid_sender_list": {"user_list": moment.invalid_users, "department_list": []},
            "invalid_external_contact_list": {"tag_list": []},
        },
    }


def _find(ctx: Ctx) -> Moment:
    moment_id = text(ctx.body, "moment_id", required=True)
    moment = ctx.session.scalar(
        select(Moment).where(Moment.corp_id == ctx.corp_id, Moment.moment_id == moment_id)
    )
    if moment is None:
        raise WeComError(40058, "invalid moment_id")
    return moment


@registry.post("externalcontact/get_moment_list")
def get_moment_list(ctx: Ctx) -> Json:
    start, end = integer(ctx.body, "start_time"), integer(ctx.body, "end_time")
    if end < start or end - start > 31 * 86400:
        raise WeComError(40058, "time range exceed 1 month")
    query = (
        select(Moment)
        .where(
            Moment.corp_id == ctx.corp_id,
            Moment.create_time >= start,
            Moment.create_time <= end,
            Moment.cancelled.is_(False),
        )
        .order_by(Moment.id)
    )
    filter_type = integer(ctx.body, "filter_type", 2)
    if filter_type in (0, 1):
        query = query.where(Moment.create_type == filter_type)
    creator = text(ctx.body, "creator")
    if creator:
        query = query.where(Moment.creator == creator)
    page, next_cursor = cursor_page(
        list(ctx.session.scalars(query)), ctx.body, default=20, maximum=20
    )
    moments = []
    for m in page:
        item: Json = {
            "moment_id": m.moment_id,
            "creator": m.creator,
            "create_time": m.create_time,
            "create_type": m.create_type,
            "visible_type": 1,
            "text": m.content.get("text", {"content": ""}),
        }
        for attachment in m.content.get("attachments", []):
            kind = attachment["msgtype"]
            if kind == "image":
                item.setdefault("image", []).append(attachment["image"])
            else:
                item[kind] = attachment[kind]
        moments.append(item)
    return {"moment_list": moments, "next_cursor": next_cursor}


@registry.post("externalcontact/get_moment_task")
def get_moment_task(ctx: Ctx) -> Json:
    moment = _find(ctx)
    tasks = list(
        ctx.session.scalars(
            select(MomentTask)
            .where(MomentTask.moment_id == moment.moment_id)
            .order_by(MomentTask.id)
        )
    )
    page, next_cursor = cursor_page(tasks, ctx.body, default=500, maximum=1000)
    return {
        "task_list": [{"userid": t.userid, "publish_status": t.publish_status} for t in page],
        "next_cursor": next_cursor,
    }


@registry.post("externalcontact/get_moment_comments")
def get_moment_comments(ctx: Ctx) -> Json:
    """The likes and comments on one staff member's copy of the moment."""
    moment = _find(ctx)
    userid = text(ctx.body, "userid")
    rows = ctx.session.scalars(
        select(MomentInteraction)
        .where(MomentInteraction.moment_id == moment.moment_id, MomentInteraction.userid == userid)
        .order_by(MomentInteraction.id)
    )
    found: dict[str, list[Json]] = {"comment": [], "like": []}
    for row in rows:
        who = {"external_userid": row.external_userid} if row.external_userid else {}
        who |= {"userid": row.by_userid} if row.by_userid else {}
        found[row.kind].append(who | {"create_time": row.create_time})
    return {"comment_list": found["comment"], "like_list": found["like"]}


def interact(
    session: Session,
    corp_id: str,
    moment_id: str,
    userid: str,
    external_userid: str,
    kind: str,
    now: int,
) -> Json:
    """A customer likes or comments on the moment a staff member published."""
    moment = session.scalar(
        select(Moment).where(Moment.corp_id == corp_id, Moment.moment_id == moment_id)
    )
    if moment is None or moment.cancelled:
        raise WeComError(40058, "invalid moment_id")
    task = session.scalar(
        select(MomentTask).where(MomentTask.moment_id == moment_id, MomentTask.userid == userid)
    )
    if task is None or task.publish_status != 1:
        raise WeComError(40058, f"{userid} has not published {moment_id}")
    session.add(
        MomentInteraction(
            moment_id=moment_id,
            userid=userid,
            kind=kind,
            external_userid=external_userid,
            create_time=now,
        )
    )
    return {"ok": True}


@registry.post("externalcontact/cancel_moment_task")
def cancel_moment_task(ctx: Ctx) -> Json:
    _find(ctx).cancelled = True
    return {}


def publish(session: Session, corp_id: str, moment_id: str, userid: str, now: int) -> Json:
    """A staff member publishes the moment from the client."""
    moment = session.scalar(
        select(Moment).where(Moment.corp_id == corp_id, Moment.moment_id == moment_id)
    )
    if moment is None or moment.cancelled:
        raise WeComError(40058, "invalid moment_id")
    task = session.scalar(
        select(MomentTask).where(MomentTask.moment_id == moment_id, MomentTask.userid == userid)
    )
    if task is None:
        raise WeComError(40003, f"{userid} has no task in {moment_id}")
    if task.publish_status == 1:
        return {"published": False}
    task.publish_status = 1
    session.add(
        Effect(
            corp_id=corp_id,
            kind="moment",
            at=now,
            payload={"moment_id": moment_id, "userid": userid} | moment.content,
        )
    )
    return {"published": True}
