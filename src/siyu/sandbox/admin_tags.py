"""Corp tags edited in WeCom's admin console, and the ``change_external_tag`` events WeCom sends.

Siyu mirrors corp tags both ways; these endpoints play an administrator who creates, renames,
reorders or deletes tags in WeCom's own console. They write the same rows as the API
(``siyu.sandbox.api.tags``) and queue the callback WeCom sends for each change. Changes made
through the API send none: the app that made them knows.

Events (``Event`` ``change_external_tag``, fields in WeCom's order):

- a new group (with its first tags): one ``create`` for the group (``TagType`` ``tag_group``);
  new tags in an existing group: one ``create`` per tag (``TagType`` ``tag``);
- a rename: ``update`` with the tag's or group's id;
- a new order: ``shuffle``, whose ``Id`` is the group whose tags were reordered, or empty when
  the groups themselves were (no ``TagType``, as WeCom sends it);
- deleting a group: one ``delete`` for the group, none for its tags; deleting a tag: ``delete``
  for the tag, and one for its group when that was its last tag (the group goes with it).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from siyu.sandbox import callbacks
from siyu.sandbox.api.tags import (
    add_tags,
    checked_name,
    delete_items,
    edit_item,
    find_item,
    group_json,
    groups_of,
    tags_of,
    wanted_tags,
)
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.simulate import Wait, corp_of, finish, runtime_of
from siyu.sandbox.state import Corp, Tag

router = APIRouter(prefix="/sandbox", tags=["sandbox"])
Json = dict[str, Any]
EVENT = "change_external_tag"


def _event(
    session: Session,
    runtime: Runtime,
    corp: Corp,
    change_type: str,
    item_id: str,
    tag_type: str | None,
) -> Json:
    """Queue one ``change_external_tag`` (nothing is queued while the corp has no callback URL);
    returns the event's fields, for the caller's answer."""
    fields: dict[str, callbacks.FieldValue] = {"Id": item_id}
    if tag_type is not None:
        fields["TagType"] = tag_type
    fields["ChangeType"] = change_type
    callbacks.emit(session, runtime, corp, EVENT, fields)
    return {str(k): v for k, v in fields.items()}


@router.get("/corps/{corp_id}/tags")
def list_tags(request: Request, corp_id: str) -> Json:
    """The corp's tag groups and tags, as ``get_corp_tag_list`` tells them."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        return {
            "tag_group": [
                group_json(group, tags_of(session, corp.corp_id, group.group_id))
                for group in groups_of(session, corp.corp_id)
            ]
        }


class NewTag(BaseModel):
    name: str
    order: int = 0


class TagsCreate(BaseModel):
    """``add_corp_tag``'s body: the group by id, or by name (made when missing)."""

    group_id: str = ""
    group_name: str = ""
    order: int = Field(0, description="the group's order, when it is made")
    tag: list[NewTag] = Field(min_length=1)


@router.post("/corps/{corp_id}/tags")
def create_tags(request: Request, corp_id: str, body: TagsCreate, wait: Wait = False) -> Json:
    """An administrator adds tags to a group (by id or by name, making the group if missing)."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        added = add_tags(
            session,
            corp.corp_id,
            runtime.clock.ts(),
            wanted_tags([t.model_dump() for t in body.tag]),
            group_id=body.group_id,
            group_name=body.group_name,
            group_order=body.order,
        )
        if added.new_group:
            events = [_event(session, runtime, corp, "create", added.group.group_id, "tag_group")]
        else:
            events = [
                _event(session, runtime, corp, "create", t.tag_id, "tag") for t in added.new_tags
            ]
        new = {t.tag_id for t in added.new_tags}
        result: Json = {
            "group_id": added.group.group_id,
            "group_name": added.group.name,
            "created_group": added.new_group,
            "tag": [
                {"id": t.tag_id, "name": t.name, "order": t.order, "created": t.tag_id in new}
                for t in added.tags
            ],
            "events": events,
        }
    return finish(runtime, result, wait)


class TagEdit(BaseModel):
    name: str | None = None
    order: int | None = None


@router.patch("/corps/{corp_id}/tags/{item_id}")
def edit_tag(
    request: Request, corp_id: str, item_id: str, body: TagEdit, wait: Wait = False
) -> Json:
    """An administrator renames or reorders a tag or a group (the id tells which)."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        item = find_item(session, corp.corp_id, item_id)
        name = checked_name(body.name, "name") if body.name is not None else None
        renamed = name is not None and name != item.name
        reordered = body.order is not None and body.order != item.order
        edit_item(session, corp.corp_id, item, name, body.order)
        is_tag = isinstance(item, Tag)
        events = []
        if renamed:
            events.append(
                _event(session, runtime, corp, "update", item_id, "tag" if is_tag else "tag_group")
            )
        if reordered:
            shuffled = item.group_id if isinstance(item, Tag) else ""
            events.append(_event(session, runtime, corp, "shuffle", shuffled, None))
        result: Json = {
            "id": item_id,
            "tag_type": "tag" if is_tag else "tag_group",
            "name": item.name,
            "order": item.order,
            "events": events,
        }
    return finish(runtime, result, wait)


@router.delete("/corps/{corp_id}/tags/{item_id}")
def delete_tag(request: Request, corp_id: str, item_id: str, wait: Wait = False) -> Json:
    """An administrator deletes a tag, or a group with all its tags; customers lose them."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        item = find_item(session, corp.corp_id, item_id)
        if isinstance(item, Tag):
            deleted = delete_items(session, corp.corp_id, [item_id], [])
            events = [_event(session, runtime, corp, "delete", item_id, "tag")]
        else:
            deleted = delete_items(session, corp.corp_id, [], [item_id])
            events = []
        events += [
            _event(session, runtime, corp, "delete", group_id, "tag_group")
            for group_id in deleted.group_ids + deleted.emptied_group_ids
        ]
        result: Json = {
            "deleted_tags": deleted.tag_ids,
            "deleted_groups": deleted.group_ids + deleted.emptied_group_ids,
            "events": events,
        }
    return finish(runtime, result, wait)
