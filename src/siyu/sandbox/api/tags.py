"""Corp tags: ``get_corp_tag_list``, ``add_corp_tag``, ``edit_corp_tag``, ``del_corp_tag``,
``mark_tag``."""

from __future__ import annotations

from sqlalchemy import func, select

from siyu.sandbox.api.base import (
    Ctx,
    Json,
    Registry,
    contact,
    integer,
    required_follow,
    str_list,
    text,
    user,
)
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.state import Follow, Tag, TagGroup

registry = Registry()

MAX_CORP_TAGS = 3000
MAX_NAME = 30


def _tag_id() -> str:
    return new_id("et", 26, "AAAA")


def _group_json(group: TagGroup, tags: list[Tag]) -> Json:
    return {
        "group_id": group.group_id,
        "group_name": group.name,
        "create_time": group.create_time,
        "order": group.order,
        "deleted": False,
        "tag": [
            {
                "id": t.tag_id,
                "name": t.name,
                "create_time": t.create_time,
                "order": t.order,
                "deleted": False,
            }
            for t in sorted(tags, key=lambda t: (-t.order, t.id))
        ],
    }


def _groups(ctx: Ctx) -> list[TagGroup]:
    return list(
        ctx.session.scalars(
            select(TagGroup)
            .where(TagGroup.corp_id == ctx.corp_id)
            .order_by(TagGroup.order.desc(), TagGroup.id)
        )
    )


def _tags_of(ctx: Ctx, group_id: str) -> list[Tag]:
    return list(
        ctx.session.scalars(
            select(Tag).where(Tag.corp_id == ctx.corp_id, Tag.group_id == group_id).order_by(Tag.id)
        )
    )


@registry.post("externalcontact/get_corp_tag_list")
def get_corp_tag_list(ctx: Ctx) -> Json:
    tag_ids = set(str_list(ctx.body, "tag_id"))
    group_ids = set(str_list(ctx.body, "group_id"))
    result = []
    for group in _groups(ctx):
        tags = _tags_of(ctx, group.group_id)
        if tag_ids:  # tag_id takes precedence over group_id
            tags = [t for t in tags if t.tag_id in tag_ids]
            if not tags:
                continue
        elif group_ids and group.group_id not in group_ids:
            continue
        result.append(_group_json(group, tags))
    return {"tag_group": result}


def _name(value: str, what: str) -> str:
    if not value.strip():
        raise WeComError(40058, f"{what} empty")
    if len(value) > MAX_NAME:
        raise WeComError(40058, f"{what} exceed max length {MAX_NAME}")
    return value


@registry.post("externalcontact/add_corp_tag")
def add_corp_tag(ctx: Ctx) -> Json:
    raw_tags = ctx.body.get("tag")
    if not isinstance(raw_tags, list) or not raw_tags:
        raise WeComError(40058, "tag missing")
    wanted: list[tuple[str, int]] = []
    for raw in raw_tags:
        if not isinstance(raw, dict):
            raise WeComError(40058, "invalid tag")
        name = _name(text(raw, "name"), "tag name")
        if name not in [w[0] for w in wanted]:  # duplicate names collapse into one
            wanted.append((name, integer(raw, "order", 0)))
    group_id = text(ctx.body, "group_id")
    group: TagGroup | None
    if group_id:
        group = ctx.session.scalar(
            select(TagGroup).where(TagGroup.corp_id == ctx.corp_id, TagGroup.group_id == group_id)
        )
        if group is None:
            raise WeComError(40068, "invalid tag group id")
    else:
        group_name = _name(text(ctx.body, "group_name"), "group_name")
        group = ctx.session.scalar(
            select(TagGroup).where(TagGroup.corp_id == ctx.corp_id, TagGroup.name == group_name)
        )
        if group is None:
            group = TagGroup(
                corp_id=ctx.corp_id,
                group_id=_tag_id(),
                name=group_name,
                order=integer(ctx.body, "order", 0),
                create_time=ctx.now,
            )
            ctx.session.add(group)
    existing = {t.name: t for t in _tags_of(ctx, group.group_id)}
    count = ctx.session.scalar(select(func.count()).where(Tag.corp_id == ctx.corp_id)) or 0
    new = [(name, order) for name, order in wanted if name not in existing]
    if count + len(new) > MAX_CORP_TAGS:
        raise WeComError(40126)
    returned: list[Tag] = []
    for name, order in wanted:
        if name in existing:
            returned.append(existing[name])
            continue
        tag = Tag(
            corp_id=ctx.corp_id,
            tag_id=_tag_id(),
            group_id=group.group_id,
            name=name,
            order=order,
            create_time=ctx.now,
        )
        ctx.session.add(tag)
        returned.append(tag)
    ctx.session.flush()
    ctx.effect(
        "corp_tag",
        {"action": "add", "group_id": group.group_id, "tags": [t.tag_id for t in returned]},
    )
    body = _group_json(group, returned)
    for tag in body["tag"]:
        tag.pop("deleted")
    body.pop("deleted")
    return {"tag_group": body}


@registry.post("externalcontact/edit_corp_tag")
def edit_corp_tag(ctx: Ctx) -> Json:
    item_id = text(ctx.body, "id", required=True)
    tag = ctx.session.scalar(select(Tag).where(Tag.corp_id == ctx.corp_id, Tag.tag_id == item_id))
    group = ctx.session.scalar(
        select(TagGroup).where(TagGroup.corp_id == ctx.corp_id, TagGroup.group_id == item_id)
    )
    if tag is None and group is None:
        raise WeComError(40068)
    name = _name(text(ctx.body, "name"), "name") if "name" in ctx.body else None
    if tag is not None:
        if name is not None:
            if any(t.name == name and t.id != tag.id for t in _tags_of(ctx, tag.group_id)):
                raise WeComError(40071, "tag name already exists")
            tag.name = name
        if "order" in ctx.body:
            tag.order = integer(ctx.body, "order")
    elif group is not None:
        if name is not None:
            if any(g.name == name and g.id != group.id for g in _groups(ctx)):
                raise WeComError(40071, "tag group name already exists")
            group.name = name
        if "order" in ctx.body:
            group.order = integer(ctx.body, "order")
    ctx.effect("corp_tag", {"action": "edit", "id": item_id, "name": name})
    return {}


@registry.post("externalcontact/del_corp_tag")
def del_corp_tag(ctx: Ctx) -> Json:
    tag_ids = str_list(ctx.body, "tag_id")
    group_ids = str_list(ctx.body, "group_id")
    if not tag_ids and not group_ids:
        raise WeComError(40058, "tag_id and group_id both empty")
    tags = list(
        ctx.session.scalars(select(Tag).where(Tag.corp_id == ctx.corp_id, Tag.tag_id.in_(tag_ids)))
    )
    groups = list(
        ctx.session.scalars(
            select(TagGroup).where(
                TagGroup.corp_id == ctx.corp_id, TagGroup.group_id.in_(group_ids)
            )
        )
    )
    if len(tags) != len(set(tag_ids)) or len(groups) != len(set(group_ids)):
        raise WeComError(40068)
    deleted = {t.tag_id for t in tags}
    touched_groups = {t.group_id for t in tags}
    for group in groups:
        deleted |= {t.tag_id for t in _tags_of(ctx, group.group_id)}
    for tag_id in deleted:
        row = ctx.session.scalar(select(Tag).where(Tag.tag_id == tag_id))
        if row is not None:
            ctx.session.delete(row)
    for group in groups:
        ctx.session.delete(group)
    ctx.session.flush()
    for group_id in touched_groups - set(group_ids):  # a group left empty goes too
        if not _tags_of(ctx, group_id):
            empty = ctx.session.scalar(select(TagGroup).where(TagGroup.group_id == group_id))
            if empty is not None:
                ctx.session.delete(empty)
    for follow in ctx.session.scalars(select(Follow).where(Follow.corp_id == ctx.corp_id)):
        if deleted & set(follow.tag_ids):
            follow.tag_ids = [t for t in follow.tag_ids if t not in deleted]
    ctx.effect("corp_tag", {"action": "delete", "tag_id": sorted(deleted), "group_id": group_ids})
    return {}


@registry.post("externalcontact/mark_tag")
def mark_tag(ctx: Ctx) -> Json:
    userid = text(ctx.body, "userid", required=True)
    external_userid = text(ctx.body, "external_userid", required=True)
    add = str_list(ctx.body, "add_tag")
    remove = str_list(ctx.body, "remove_tag")
    if not add and not remove:
        raise WeComError(40058, "add_tag and remove_tag both empty")
    user(ctx, userid)
    contact(ctx, external_userid)
    row = required_follow(ctx, userid, external_userid)
    known = set(
        ctx.session.scalars(
            select(Tag.tag_id).where(Tag.corp_id == ctx.corp_id, Tag.tag_id.in_(add + remove))
        )
    )
    if set(add + remove) - known:
        raise WeComError(40068)
    tags = [t for t in row.tag_ids if t not in remove]
    tags += [t for t in add if t not in tags]
    row.tag_ids = tags
    ctx.effect(
        "mark_tag",
        {
            "userid": userid,
            "external_userid": external_userid,
            "add_tag": add,
            "remove_tag": remove,
        },
    )
    return {}
