"""「联系我」 contact ways: add, get, update, delete, list."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox.api.base import Ctx, Json, Registry, cursor_page, integer, str_list, text, user
from siyu.sandbox.core import WeComError
from siyu.sandbox.state import ContactWay, Department, User

registry = Registry()

MAX_STATE = 30
MAX_MEMBERS = 100


def members_of(session: Session, corp_id: str, users: list[str], parties: list[int]) -> list[str]:
    """The staff a contact way spreads over: its users, then its departments' members."""
    result = list(dict.fromkeys(users))
    if parties:
        known = set(
            session.scalars(select(Department.dept_id).where(Department.corp_id == corp_id))
        )
        if set(parties) - known:
            raise WeComError(60123, "invalid party id")
        for member in session.scalars(
            select(User)
            .where(User.corp_id == corp_id, User.resigned_at.is_(None))
            .order_by(User.id)
        ):
            if set(member.departments) & set(parties) and member.userid not in result:
                result.append(member.userid)
    return result


def _validate(ctx: Ctx, data: Json, way_type: int) -> tuple[list[str], list[int]]:
    users = str_list(data, "user")
    try:
        parties = [int(p) for p in str_list(data, "party")]
    except ValueError:
        raise WeComError(40058, "invalid party") from None
    for userid in users:
        member = user(ctx, userid)
        if not member.customer_contact:
            raise WeComError(610004, "userid not in customer contact range")
    if way_type == 1 and (len(users) != 1 or parties):
        raise WeComError(40058, "type 1 contact way needs exactly one user")
    if not users and not parties:
        raise WeComError(40058, "user and party both empty")
    if len(members_of(ctx.session, ctx.corp_id, users, parties)) > MAX_MEMBERS:
        raise WeComError(41041)
    return users, parties


def _state(data: Json) -> str:
    value = text(data, "state")
    if len(value) > MAX_STATE:
        raise WeComError(40058, f"state exceed max length {MAX_STATE}")
    return value


@registry.post("externalcontact/add_contact_way")
def add_contact_way(ctx: Ctx) -> Json:
    way_type = integer(ctx.body, "type")
    scene = integer(ctx.body, "scene")
    if way_type not in (1, 2) or scene not in (1, 2):
        raise WeComError(40058, "invalid type or scene")
    users, parties = _validate(ctx, ctx.body, way_type)
    config_id = secrets.token_hex(16)
    data: Json = {
        "config_id": config_id,
        "type": way_type,
        "scene": scene,
        "style": integer(ctx.body, "style", 1),
        "remark": text(ctx.body, "remark", max_len=30),
        "skip_verify": bool(ctx.body.get("skip_verify", True)),
        "state": _state(ctx.body),
        "user": users,
        "party": parties,
        "is_temp": bool(ctx.body.get("is_temp", False)),
        "expires_in": integer(ctx.body, "expires_in", 7 * 86400),
        "chat_expires_in": integer(ctx.body, "chat_expires_in", 86400),
        "unionid": text(ctx.body, "unionid"),
        "is_exclusive": bool(ctx.body.get("is_exclusive", False)),
        "conclusions": ctx.body.get("conclusions") or {},
    }
    if scene == 2:
        data["qr_code"] = f"{ctx.runtime.public_url}/sandbox/qr/{config_id}"
    ctx.session.add(
        ContactWay(corp_id=ctx.corp_id, config_id=config_id, create_time=ctx.now, data=data)
    )
    result: Json = {"config_id": config_id}
    if scene == 2:
        result["qr_code"] = data["qr_code"]
    return result


def find_way(ctx: Ctx, config_id: str) -> ContactWay:
    way = ctx.session.scalar(
        select(ContactWay).where(
            ContactWay.corp_id == ctx.corp_id, ContactWay.config_id == config_id
        )
    )
    if way is None:
        raise WeComError(41044, "invalid config_id")
    return way


@registry.post("externalcontact/get_contact_way")
def get_contact_way(ctx: Ctx) -> Json:
    way = find_way(ctx, text(ctx.body, "config_id", required=True))
    return {"contact_way": way.data}


@registry.post("externalcontact/update_contact_way")
def update_contact_way(ctx: Ctx) -> Json:
    way = find_way(ctx, text(ctx.body, "config_id", required=True))
    data = dict(way.data)
    if "user" in ctx.body or "party" in ctx.body:  # the lists overwrite, as WeCom's do
        merged = {"user": ctx.body.get("user", []), "party": ctx.body.get("party", [])}
        data["user"], data["party"] = _validate(ctx, merged, int(data["type"]))
    if "state" in ctx.body:
        data["state"] = _state(ctx.body)
    if "remark" in ctx.body:
        data["remark"] = text(ctx.body, "remark", max_len=30)
    for key in ("skip_verify", "is_exclusive"):
        if key in ctx.body:
            data[key] = bool(ctx.body[key])
    for key in ("style", "expires_in", "chat_expires_in"):
        if key in ctx.body:
            data[key] = integer(ctx.body, key)
    if "unionid" in ctx.body:
        data["unionid"] = text(ctx.body, "unionid")
    if "conclusions" in ctx.body:
        data["conclusions"] = ctx.body["conclusions"] or {}
    way.data = data
    return {}


@registry.post("externalcontact/del_contact_way")
def del_contact_way(ctx: Ctx) -> Json:
    ctx.session.delete(find_way(ctx, text(ctx.body, "config_id", required=True)))
    return {}


@registry.post("externalcontact/list_contact_way")
def list_contact_way(ctx: Ctx) -> Json:
    end = integer(ctx.body, "end_time", ctx.now)
    start = integer(ctx.body, "start_time", end - 90 * 86400)
    if end - start > 90 * 86400:
        raise WeComError(40058, "time range exceed 90 days")
    ways = list(
        ctx.session.scalars(
            select(ContactWay.config_id)
            .where(
                ContactWay.corp_id == ctx.corp_id,
                ContactWay.create_time >= start,
                ContactWay.create_time <= end,
            )
            .order_by(ContactWay.id)
        )
    )
    page, next_cursor = cursor_page(ways, ctx.body, default=100, maximum=1000)
    return {"contact_way": [{"config_id": c} for c in page], "next_cursor": next_cursor}
