"""在职/离职继承: transferring customers between staff, with WeCom's 24 h wait and 90-day cap."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.sandbox.api.base import Ctx, Json, Registry, cursor_page, follow, str_list, text, user
from siyu.sandbox.core import WeComError
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import Corp, Follow, Transfer, User

registry = Registry()

MAX_PER_CALL = 100
WINDOW = 90 * 86400
MAX_IN_WINDOW = 2


def settle(session: Session, runtime: Runtime, corp_id: str) -> None:
    """Waiting transfers older than 24 h complete: the takeover member becomes the follower."""
    now = runtime.clock.ts()
    due = session.scalars(
        select(Transfer).where(
            Transfer.corp_id == corp_id,
            Transfer.status == 2,
            Transfer.started_at <= now - runtime.transfer_wait,
        )
    )
    for row in due:
        complete(session, runtime, row, row.started_at + runtime.transfer_wait)


def complete(session: Session, runtime: Runtime, row: Transfer, when: int) -> None:
    """The takeover member becomes the follower. As WeCom does: ``add_external_contact`` to
    the new member unless already a friend, and ``del_external_contact`` with ``Source`` =
    ``DELETE_BY_TRANSFER`` for the old one — not a staff member deleting a customer."""
    from siyu.sandbox import callbacks

    row.status = 1
    row.takeover_time = when
    corp = session.get(Corp, row.corp_id)
    old = follow(session, row.corp_id, row.handover_userid, row.external_userid)
    if follow(session, row.corp_id, row.takeover_userid, row.external_userid) is None:
        session.add(
            Follow(
                corp_id=row.corp_id,
                userid=row.takeover_userid,
                external_userid=row.external_userid,
                remark=old.remark if old else "",
                description=old.description if old else "",
                createtime=when,
                add_way=202,
                tag_ids=list(old.tag_ids) if old else [],
            )
        )
        if corp is not None:
            callbacks.emit(
                session,
                runtime,
                corp,
                "change_external_contact",
                {
                    "ChangeType": "add_external_contact",
                    "UserID": row.takeover_userid,
                    "ExternalUserID": row.external_userid,
                },
            )
    if old is not None:
        session.delete(old)
        if corp is not None:
            callbacks.emit(
                session,
                runtime,
                corp,
                "change_external_contact",
                {
                    "ChangeType": "del_external_contact",
                    "UserID": row.handover_userid,
                    "ExternalUserID": row.external_userid,
                    "Source": "DELETE_BY_TRANSFER",
                },
            )


def _start(ctx: Ctx, *, resigned: bool) -> Json:
    handover = text(ctx.body, "handover_userid", required=True)
    takeover = text(ctx.body, "takeover_userid", required=True)
    external_ids = str_list(ctx.body, "external_userid")
    if not external_ids:
        raise WeComError(41035)
    if len(external_ids) > MAX_PER_CALL:
        raise WeComError(40058, f"external_userid exceed max size {MAX_PER_CALL}")
    if len(text(ctx.body, "transfer_success_msg")) > 200:
        raise WeComError(40058, "transfer_success_msg exceed max length 200")
    handover_user = user(ctx, handover)
    user(ctx, takeover)
    if resigned and handover_user.resigned_at is None:
        raise WeComError(40097)
    settle(ctx.session, ctx.runtime, ctx.corp_id)
    results = []
    for external_userid in external_ids:
        results.append(
            {
                "external_userid": external_userid,
                "errcode": _one(ctx, handover, takeover, external_userid, resigned=resigned),
            }
        )
    return {"customer": results}


def _one(ctx: Ctx, handover: str, takeover: str, external_userid: str, *, resigned: bool) -> int:
    if handover == takeover:
        return 40130
    if follow(ctx.session, ctx.corp_id, handover, external_userid) is None:
        return 40131
    base = select(func.count()).where(
        Transfer.corp_id == ctx.corp_id, Transfer.external_userid == external_userid
    )
    if ctx.session.scalar(base.where(Transfer.status == 2)):
        return 40129
    recent = ctx.session.scalar(
        base.where(Transfer.status.in_((1, 2)), Transfer.started_at > ctx.now - WINDOW)
    )
    if (recent or 0) >= MAX_IN_WINDOW:
        return 40128
    ctx.session.add(
        Transfer(
            corp_id=ctx.corp_id,
            resigned=resigned,
            handover_userid=handover,
            takeover_userid=takeover,
            external_userid=external_userid,
            started_at=ctx.now,
        )
    )
    ctx.session.flush()
    return 0


def _result(ctx: Ctx, *, resigned: bool) -> Json:
    handover = text(ctx.body, "handover_userid", required=True)
    takeover = text(ctx.body, "takeover_userid", required=True)
    settle(ctx.session, ctx.runtime, ctx.corp_id)
    rows = list(
        ctx.session.scalars(
            select(Transfer)
            .where(
                Transfer.corp_id == ctx.corp_id,
                Transfer.resigned.is_(resigned),
                Transfer.handover_userid == handover,
                Transfer.takeover_userid == takeover,
            )
            .order_by(Transfer.id)
        )
    )
    page, next_cursor = cursor_page(rows, ctx.body, default=1000, maximum=1000)
    return {
        "customer": [
            {
                "external_userid": r.external_userid,
                "status": r.status,
                "takeover_time": r.takeover_time,
            }
            for r in page
        ],
        "next_cursor": next_cursor,
    }


@registry.post("externalcontact/transfer_customer")
def transfer_customer(ctx: Ctx) -> Json:
    return _start(ctx, resigned=False)


@registry.post("externalcontact/transfer_result")
def transfer_result(ctx: Ctx) -> Json:
    return _result(ctx, resigned=False)


@registry.post("externalcontact/resigned/transfer_customer")
def resigned_transfer_customer(ctx: Ctx) -> Json:
    return _start(ctx, resigned=True)


@registry.post("externalcontact/resigned/transfer_result")
def resigned_transfer_result(ctx: Ctx) -> Json:
    return _result(ctx, resigned=True)


@registry.post("externalcontact/get_unassigned_list")
def get_unassigned_list(ctx: Ctx) -> Json:
    resigned = {
        u.userid: u.resigned_at or 0
        for u in ctx.session.scalars(
            select(User).where(User.corp_id == ctx.corp_id, User.resigned_at.is_not(None))
        )
    }
    pending = set(
        ctx.session.scalars(
            select(Transfer.external_userid).where(
                Transfer.corp_id == ctx.corp_id, Transfer.status == 2
            )
        )
    )
    follows = [
        f
        for f in ctx.session.scalars(
            select(Follow)
            .where(Follow.corp_id == ctx.corp_id, Follow.userid.in_(list(resigned)))
            .order_by(Follow.id)
        )
        if f.external_userid not in pending
    ]
    page_size = int(ctx.body.get("page_size") or ctx.body.get("limit") or 1000)
    page, next_cursor = cursor_page(
        follows, {"cursor": ctx.body.get("cursor"), "limit": page_size}, default=1000, maximum=1000
    )
    return {
        "info": [
            {
                "handover_userid": f.userid,
                "external_userid": f.external_userid,
                "dimission_time": resigned[f.userid],
            }
            for f in page
        ],
        "is_last": not next_cursor,
        "next_cursor": next_cursor,
    }
