"""Corp tags: ``get_corp_tag_list``, ``add_corp_tag``, ``edit_corp_tag``, ``del_corp_tag``,
``mark_tag``; and the tag operations the admin console shares with them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, func, or_, select
from sqlalchemy.orm import Session

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


def group_json(group: TagGroup, tags: list[Tag]) -> Json:
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


# --- the corp's tags, shared by the API and the admin console (``siyu.sandbox.admin_tags``) --


def groups_of(session: Session, corp_id: str) -> list[TagGroup]:
    return list(
        session.scalars(
            select(TagGroup)
            .where(TagGroup.corp_id == corp_id)
            .order_by(TagGroup.order.desc(), TagGroup.id)
        )
    )


def tags_of(session: Session, corp_id: str, group_id: str) -> list[Tag]:
    return list(
        session.scalars(
            select(Tag).where(Tag.corp_id == corp_id, Tag.group_id == group_id).order_by(Tag.id)
        )
    )


def checked_name(value: str, what: str) -> str:
    if not value.strip():
        raise WeComError(40058, f"{what} empty")
    if len(value) > MAX_NAME:
        raise WeComError(40058, f"{what} exceed max length {MAX_NAME}")
    return value


def wanted_tags(raw_tags: Any) -> list[tuple[str, int]]:
    """``tag: [{name, order}]`` as (name, order) pairs; a repeated name counts once."""
    if not isinstance(raw_tags, list) or not raw_tags:
        raise WeComError(40058, "tag missing")
    wanted: list[tuple[str, int]] = []
    for raw in raw_tags:
        if not isinstance(raw, dict):
            raise WeComError(40058, "invalid tag")
        name = checked_name(text(raw, "name"), "tag name")
        if name not in [w[0] for w in wanted]:
            wanted.append((name, integer(raw, "order", 0)))
    return wanted


@dataclass
class Added:
    group: TagGroup
    tags: list[Tag]  # in the order asked, the existing ones of the same name included
    new_group: bool
    new_tags: list[Tag]


def add_tags(
    session: Session,
    corp_id: str,
    now: int,
    wanted: list[tuple[str, int]],
    *,
    group_id: str = "",
    group_name: str = "",
    group_order: int = 0,
) -> Added:
    """Tags into a group, by id (40068 if absent) or by name (made if absent); a name the group
    has already is the existing tag; 40126 past the corp's 3,000 tags."""
    group: TagGroup | None
    new_group = False
    if group_id:
        group = session.scalar(
            select(TagGroup).where(TagGroup.corp_id == corp_id, TagGroup.group_id == group_id)
        )
        if group is None:
            raise WeComError(40068, "invalid tag group id")
    else:
        group_name = checked_name(group_name, "group_name")
        group = session.scalar(
            select(TagGroup).where(TagGroup.corp_id == corp_id, TagGroup.name == group_name)
        )
        if group is None:
            group = TagGroup(
                corp_id=corp_id,
                group_id=_tag_id(),
                name=group_name,
                order=group_order,
                create_time=now,
            )
            session.add(group)
            new_group = True
    existing = {t.name: t for t in tags_of(session, corp_id, group.group_id)}
    count = session.scalar(select(func.count()).where(Tag.corp_id == corp_id)) or 0
    if count + len([name for name, _ in wanted if name not in existing]) > MAX_CORP_TAGS:
        raise WeComError(40126)
    returned: list[Tag] = []
    created: list[Tag] = []
    for name, order in wanted:
        if name in existing:
            returned.append(existing[name])
            continue
        tag = Tag(
            corp_id=corp_id,
            tag_id=_tag_id(),
            group_id=group.group_id,
            name=name,
            order=order,
            create_time=now,
        )
        session.add(tag)
        returned.append(tag)
        created.append(tag)
    session.flush()
    return Added(group, returned, new_group, created)


def find_item(session: Session, corp_id: str, item_id: str) -> Tag | TagGroup:
    """A tag or a group by its id (they share one id space); 40068 when neither."""
    tag = session.scalar(select(Tag).where(Tag.corp_id == corp_id, Tag.tag_id == item_id))
    if tag is not None:
        return tag
    group = session.scalar(
        select(TagGroup).where(TagGroup.corp_id == corp_id, TagGroup.group_id == item_id)
    )
    if group is None:
        raise WeComError(40068)
    return group


def edit_item(
    session: Session, corp_id: str, item: Tag | TagGroup, name: str | None, order: int | None
) -> None:
    """Rename or reorder a tag or group; a name taken by a sibling is 40071."""
    if isinstance(item, Tag):
        if name is not None:
            siblings = tags_of(session, corp_id, item.group_id)
            if any(t.name == name and t.id != item.id for t in siblings):
                raise WeComError(40071, "tag name already exists")
            item.name = name
    elif name is not None:
        if any(g.name == name and g.id != item.id for g in groups_of(session, corp_id)):
            raise WeComError(40071, "tag group name already exists")
        item.name = name
    if order is not None:
        item.order = order


@dataclass
class Deleted:
    tag_ids: list[str]  # every tag gone, those of deleted groups included
    group_ids: list[str]  # the groups asked for
    emptied_group_ids: list[str]  # groups that went because their last tag did


def delete_items(
    session: Session, corp_id: str, tag_ids: list[str], group_ids: list[str]
) -> Deleted:
    """Delete tags and groups (a group with its tags; a group left empty goes too) and take
    the tags off every customer; an unknown id is 40068 and deletes nothing."""
    tags = list(session.scalars(select(Tag).where(Tag.corp_id == corp_id, Tag.tag_id.in_(tag_ids))))
    groups = list(
        session.scalars(
            select(TagGroup).where(TagGroup.corp_id == corp_id, TagGroup.group_id.in_(group_ids))
        )
    )
    if len(tags) != len(set(tag_ids)) or len(groups) != len(set(group_ids)):
        raise WeComError(40068)
    doomed = {t.tag_id: t for t in tags}
    touched = [g for g in dict.fromkeys(t.group_id for t in tags) if g not in group_ids]
    for group in groups:
        doomed |= {t.tag_id: t for t in tags_of(session, corp_id, group.group_id)}
    for tag in doomed.values():
        session.delete(tag)
    for group in groups:
        session.delete(group)
    session.flush()
    emptied: list[str] = []
    for group_id in touched:
        if tags_of(session, corp_id, group_id):
            continue
        empty = session.scalar(
            select(TagGroup).where(TagGroup.corp_id == corp_id, TagGroup.group_id == group_id)
        )
        if empty is not None:
            session.delete(empty)
            emptied.append(group_id)
    _untag_customers(session, corp_id, set(doomed))
    return Deleted(sorted(doomed), list(group_ids), emptied)


def _untag_customers(session: Session, corp_id: str, deleted: set[str]) -> None:
    if not deleted:
        return
    # Only follows whose stored tag list may name a deleted id are loaded (a text match on the
    # JSON, checked exactly here): a corp of a million customers is not read whole. Past a few
    # dozen ids one OR per id costs more than loading every tagged follow.
    as_text = cast(Follow.tag_ids, Text)
    if len(deleted) <= 50:
        candidates = or_(*[as_text.contains(json.dumps(t), autoescape=True) for t in deleted])
    else:
        candidates = as_text != "[]"
    for follow in session.scalars(select(Follow).where(Follow.corp_id == corp_id, candidates)):
        if deleted & set(follow.tag_ids):
            follow.tag_ids = [t for t in follow.tag_ids if t not in deleted]


# --- the API -------------------------------------------------------------------------------


@registry.post("externalcontact/get_corp_tag_list")
def get_corp_tag_list(ctx: Ctx) -> Json:
    tag_ids = set(str_list(ctx.body, "tag_id"))
    group_ids = set(str_list(ctx.body, "group_id"))
    result = []
    for group in groups_of(ctx.session, ctx.corp_id):
        tags = tags_of(ctx.session, ctx.corp_id, group.group_id)
        if tag_ids:  # tag_id takes precedence over group_id
            tags = [t for t in tags if t.tag_id in tag_ids]
            if not tags:
                continue
        elif group_ids and group.group_id not in group_ids:
            continue
        result.append(group_json(group, tags))
    return {"tag_group": result}


@registry.post("externalcontact/add_corp_tag")
def add_corp_tag(ctx: Ctx) -> Json:
    wanted = wanted_tags(ctx.body.get("tag"))
    added = add_tags(
        ctx.session,
        ctx.corp_id,
        ctx.now,
        wanted,
        group_id=text(ctx.body, "group_id"),
        group_name=text(ctx.body, "group_name"),
        group_order=integer(ctx.body, "order", 0),
    )
    ctx.effect(
        "corp_tag",
        {
            "action": "add",
            "group_id": added.group.group_id,
            "tags": [t.tag_id for t in added.tags],
        },
    )
    body = group_json(added.group, added.tags)
    for tag in body["tag"]:
        tag.pop("deleted")
    body.pop("deleted")
    return {"tag_group": body}


@registry.post("externalcontact/edit_corp_tag")
def edit_corp_tag(ctx: Ctx) -> Json:
    item_id = text(ctx.body, "id", required=True)
    item = find_item(ctx.session, ctx.corp_id, item_id)
    name = checked_name(text(ctx.body, "name"), "name") if "name" in ctx.body else None
    order = integer(ctx.body, "order") if "order" in ctx.body else None
    edit_item(ctx.session, ctx.corp_id, item, name, order)
    ctx.effect("corp_tag", {"action": "edit", "id": item_id, "name": name})
    return {}


@registry.post("externalcontact/del_corp_tag")
def del_corp_tag(ctx: Ctx) -> Json:
    tag_ids = str_list(ctx.body, "tag_id")
    group_ids = str_list(ctx.body, "group_id")
    if not tag_ids and not group_ids:
        raise WeComError(40058, "tag_id and group_id both empty")
    deleted = delete_items(ctx.session, ctx.corp_id, tag_ids, group_ids)
    ctx.effect("corp_tag", {"action": "delete", "tag_id": deleted.tag_ids, "group_id": group_ids})
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
