"""Customers: follow users, ``list``, ``get``, ``batch/get_by_user``, ``remark``."""

from __future__ import annotations

from sqlalchemy import select

from siyu.sandbox.api.base import (
    Ctx,
    Json,
    Registry,
    contact,
    keyset_page,
    required_follow,
    str_list,
    text,
    user,
)
from siyu.sandbox.core import WeComError
from siyu.sandbox.state import ExternalContact, Follow, Tag, TagGroup, User

registry = Registry()


def contact_json(customer: ExternalContact) -> Json:
    data: Json = {
        "external_userid": customer.external_userid,
        "name": customer.name,
        "type": customer.type,
        "avatar": customer.avatar,
        "gender": customer.gender,
    }
    if customer.unionid:
        data["unionid"] = customer.unionid
    if customer.type == 2:
        data.update(
            position=customer.position,
            corp_name=customer.corp_name,
            corp_full_name=customer.corp_full_name,
            external_profile={"external_attr": []},
        )
    return data


def _follow_common(row: Follow) -> Json:
    data: Json = {
        "userid": row.userid,
        "remark": row.remark,
        "description": row.description,
        "createtime": row.createtime,
        "remark_corp_name": row.remark_corp_name,
        "remark_mobiles": row.remark_mobiles,
        "add_way": row.add_way,
        "oper_userid": row.oper_userid or row.external_userid,
    }
    if row.state:
        data["state"] = row.state
    return data


def _tags(ctx: Ctx, follows: list[Follow]) -> dict[int, list[Json]]:
    """Each follow's corp tags as ``get`` shows them (two queries for the whole page)."""
    wanted = {t for f in follows for t in f.tag_ids}
    if not wanted:
        return {f.id: [] for f in follows}
    tags = {
        t.tag_id: t
        for t in ctx.session.scalars(
            select(Tag).where(Tag.corp_id == ctx.corp_id, Tag.tag_id.in_(wanted))
        )
    }
    groups = {
        g.group_id: g.name
        for g in ctx.session.scalars(select(TagGroup).where(TagGroup.corp_id == ctx.corp_id))
    }
    return {
        f.id: [
            {
                "group_name": groups.get(tags[t].group_id, ""),
                "tag_name": tags[t].name,
                "type": 1,
                "tag_id": t,
            }
            for t in f.tag_ids
            if t in tags
        ]
        for f in follows
    }


@registry.get("externalcontact/get_follow_user_list")
def get_follow_user_list(ctx: Ctx) -> Json:
    users = ctx.session.scalars(
        select(User.userid)
        .where(User.corp_id == ctx.corp_id, User.customer_contact, User.resigned_at.is_(None))
        .order_by(User.id)
    )
    return {"follow_user": list(users)}


@registry.get("externalcontact/list")
def list_contacts(ctx: Ctx) -> Json:
    userid = text(ctx.query, "userid", required=True)
    user(ctx, userid)
    ids = list(
        ctx.session.scalars(
            select(Follow.external_userid)
            .where(Follow.corp_id == ctx.corp_id, Follow.userid == userid)
            .order_by(Follow.id)
        )
    )
    if not ids:
        raise WeComError(84061)
    return {"external_userid": ids}


@registry.get("externalcontact/get")
def get_contact(ctx: Ctx) -> Json:
    customer = contact(ctx, text(ctx.query, "external_userid"))
    page, next_cursor = keyset_page(
        ctx.session,
        Follow,
        Follow.id,
        [Follow.corp_id == ctx.corp_id, Follow.external_userid == customer.external_userid],
        {"cursor": ctx.query.get("cursor", "")},
        default=500,
        maximum=500,
    )
    if not page and not ctx.query.get("cursor"):
        raise WeComError(84061)
    tags = _tags(ctx, page)
    return {
        "external_contact": contact_json(customer),
        "follow_user": [_follow_common(f) | {"tags": tags[f.id]} for f in page],
        "next_cursor": next_cursor,
    }


@registry.post("externalcontact/batch/get_by_user")
def batch_get_by_user(ctx: Ctx) -> Json:
    userids = str_list(ctx.body, "userid_list")
    if not userids and ctx.body.get("userid"):
        userids = [text(ctx.body, "userid")]
    if not userids:
        raise WeComError(40058, "userid_list missing")
    if len(userids) > 100:
        raise WeComError(40058, "userid_list exceed max size 100")
    known = set(
        ctx.session.scalars(
            select(User.userid).where(User.corp_id == ctx.corp_id, User.userid.in_(userids))
        )
    )
    for userid in userids:
        if userid not in known:
            raise WeComError(60111, f"userid not found: {userid}" if userid else None)
    # Keyset paging over ix_sb_follow_corp_userid_id: each page reads its own rows, not all
    # the rows before it.
    page, next_cursor = keyset_page(
        ctx.session,
        Follow,
        Follow.id,
        [Follow.corp_id == ctx.corp_id, Follow.userid.in_(set(userids))],
        ctx.body,
        default=50,
        maximum=100,
    )
    customers = {
        c.external_userid: c
        for c in ctx.session.scalars(
            select(ExternalContact).where(
                ExternalContact.external_userid.in_({f.external_userid for f in page})
            )
        )
    }
    return {
        "external_contact_list": [
            {
                "external_contact": contact_json(customers[f.external_userid]),
                "follow_info": _follow_common(f) | {"tag_id": f.tag_ids},
            }
            for f in page
        ],
        "next_cursor": next_cursor,
    }


@registry.post("externalcontact/remark")
def remark(ctx: Ctx) -> Json:
    userid = text(ctx.body, "userid", required=True)
    external_userid = text(ctx.body, "external_userid", required=True)
    user(ctx, userid)
    contact(ctx, external_userid)
    row = required_follow(ctx, userid, external_userid)
    changes: Json = {}
    if "remark" in ctx.body:
        row.remark = changes["remark"] = text(ctx.body, "remark", max_len=20)
    if "description" in ctx.body:
        row.description = changes["description"] = text(ctx.body, "description", max_len=150)
    if "remark_company" in ctx.body:
        row.remark_corp_name = changes["remark_company"] = text(
            ctx.body, "remark_company", max_len=20
        )
    if "remark_mobiles" in ctx.body:
        mobiles = str_list(ctx.body, "remark_mobiles")
        if len(mobiles) > 5:
            raise WeComError(40058, "remark_mobiles exceed max size 5")
        row.remark_mobiles = changes["remark_mobiles"] = mobiles
    if "remark_pic_mediaid" in ctx.body:
        changes["remark_pic_mediaid"] = text(ctx.body, "remark_pic_mediaid")
    ctx.effect("remark", {"userid": userid, "external_userid": external_userid, **changes})
    return {}
