from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy import func, select

from siyu import jobs
from siyu.api.deps import DbSession, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers.repository import CustomerFilter, filtered
from siyu.errors import InvalidInput, NotFound
from siyu.tags import service
from siyu.tags.errors import DuplicateTagName
from siyu.tags.models import FAILED, PENDING, TaggingRun, TagWrite
from siyu.tags.schemas import (
    GroupCreate,
    Rename,
    TaggingRunIn,
    TaggingRunOut,
    TagGroupOut,
    TagLibrary,
    TagOut,
    TagsCreate,
)

router = APIRouter(tags=["tags"])

Read = Annotated[Principal, Depends(require(Permission.CUSTOMERS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.TAGS_MANAGE))]


def _names(names: list[str]) -> list[str]:
    cleaned = [n.strip() for n in names]
    bad = [n for n in cleaned if not n or len(n) > 30]
    if bad:
        raise InvalidInput(reason="tag names are 1 to 30 characters")
    return cleaned


def _library(session: DbSession, tenant_id: int) -> TagLibrary:
    counts = service.tag_counts(session, tenant_id)
    writes = dict(
        session.execute(
            select(TagWrite.state, func.count())
            .where(TagWrite.tenant_id == tenant_id, TagWrite.state.in_([PENDING, FAILED]))
            .group_by(TagWrite.state)
        ).all()
    )
    last = session.scalar(
        select(func.max(jobs.Job.finished_at)).where(
            jobs.Job.kind == service.SYNC_JOB,
            jobs.Job.tenant_id == tenant_id,
            jobs.Job.state == jobs.DONE,
        )
    )
    return TagLibrary(
        groups=[
            TagGroupOut(
                id=g.id,
                name=g.name,
                order=g.order,
                wecom_id=g.wecom_id,
                sync_state=g.sync_state,
                sync_error=g.sync_error,
                tags=[
                    TagOut(
                        id=t.id,
                        name=t.name,
                        order=t.order,
                        wecom_id=t.wecom_id,
                        sync_state=t.sync_state,
                        sync_error=t.sync_error,
                        customers=counts.get(t.id, 0),
                    )
                    for t in tags
                ],
            )
            for g, tags in service.groups_with_tags(session, tenant_id)
        ],
        pending_writes=writes.get(PENDING, 0),
        failed_writes=writes.get(FAILED, 0),
        last_sync_at=last,
    )


@router.get(
    "/tags", operation_id="getTagLibrary", response_model=TagLibrary, responses=responses(*AUTH)
)
def get_library(session: DbSession, principal: Read) -> TagLibrary:
    return _library(session, principal.tenant_id)


@router.post(
    "/tag-groups",
    operation_id="createTagGroup",
    response_model=TagLibrary,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, DuplicateTagName, InvalidInput),
)
def create_group(session: DbSession, principal: Manage, body: GroupCreate) -> TagLibrary:
    """Make a tag group with its first tags; it reaches WeCom's corp tags in the background."""
    names = _names(body.tags)
    group = service.create_group(session, principal.tenant_id, body.name.strip(), names, body.order)
    audit.record(
        session,
        principal,
        "tags.create_group",
        entity_type="tag_group",
        entity_id=group.id,
        after={"name": group.name, "tags": names},
    )
    return _library(session, principal.tenant_id)


@router.patch(
    "/tag-groups/{group_id}",
    operation_id="editTagGroup",
    response_model=TagLibrary,
    responses=responses(*AUTH, NotFound, DuplicateTagName),
)
def edit_group(session: DbSession, principal: Manage, group_id: int, body: Rename) -> TagLibrary:
    group = service.edit_group(
        session,
        principal.tenant_id,
        group_id,
        name=body.name and body.name.strip(),
        order=body.order,
    )
    audit.record(
        session,
        principal,
        "tags.edit_group",
        entity_type="tag_group",
        entity_id=group.id,
        after=body.model_dump(exclude_unset=True),
    )
    return _library(session, principal.tenant_id)


@router.delete(
    "/tag-groups/{group_id}",
    operation_id="deleteTagGroup",
    response_model=TagLibrary,
    responses=responses(*AUTH, NotFound),
)
def delete_group(session: DbSession, principal: Manage, group_id: int) -> TagLibrary:
    service.delete_group(session, principal.tenant_id, group_id)
    audit.record(
        session, principal, "tags.delete_group", entity_type="tag_group", entity_id=group_id
    )
    return _library(session, principal.tenant_id)


@router.post(
    "/tag-groups/{group_id}/tags",
    operation_id="addTags",
    response_model=TagLibrary,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, NotFound, DuplicateTagName, InvalidInput),
)
def add_tags(session: DbSession, principal: Manage, group_id: int, body: TagsCreate) -> TagLibrary:
    names = _names(body.names)
    service.add_tags(session, principal.tenant_id, group_id, names)
    audit.record(
        session,
        principal,
        "tags.add",
        entity_type="tag_group",
        entity_id=group_id,
        after={"tags": names},
    )
    return _library(session, principal.tenant_id)


@router.patch(
    "/tags/{tag_id}",
    operation_id="editTag",
    response_model=TagLibrary,
    responses=responses(*AUTH, NotFound, DuplicateTagName),
)
def edit_tag(session: DbSession, principal: Manage, tag_id: int, body: Rename) -> TagLibrary:
    service.edit_tag(
        session, principal.tenant_id, tag_id, name=body.name and body.name.strip(), order=body.order
    )
    audit.record(
        session,
        principal,
        "tags.edit",
        entity_type="tag",
        entity_id=tag_id,
        after=body.model_dump(exclude_unset=True),
    )
    return _library(session, principal.tenant_id)


@router.delete(
    "/tags/{tag_id}",
    operation_id="deleteTag",
    response_model=TagLibrary,
    responses=responses(*AUTH, NotFound),
)
def delete_tag(session: DbSession, principal: Manage, tag_id: int) -> TagLibrary:
    service.delete_tag(session, principal.tenant_id, tag_id)
    audit.record(session, principal, "tags.delete", entity_type="tag", entity_id=tag_id)
    return _library(session, principal.tenant_id)


@router.post(
    "/tags/sync",
    operation_id="syncTags",
    response_model=TagLibrary,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH),
)
def sync_tags(session: DbSession, principal: Manage) -> TagLibrary:
    """Push what is pending and pull WeCom's corp tags now (it also runs nightly)."""
    service.request_sync(session, principal.tenant_id, "console")
    return _library(session, principal.tenant_id)


@router.post(
    "/tagging-runs",
    operation_id="startTaggingRun",
    response_model=TaggingRunOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound, InvalidInput),
)
def start_tagging_run(session: DbSession, principal: Manage, body: TaggingRunIn) -> TaggingRunOut:
    """Tag every customer the filter selects (all pages of the list, thousands at once), in the
    background with progress; each tag reaches WeCom on every friendship through the outbox."""
    if not (body.add or body.remove):
        raise InvalidInput(reason="choose tags to add or remove")
    f = CustomerFilter(
        q=body.filter.q,
        tag_ids=tuple(body.filter.tag_ids),
        owner_userid=body.filter.owner_userid,
        status=body.filter.status,
        channel=body.filter.channel,
        added_from=body.filter.added_from,
        added_to=body.filter.added_to,
    )
    total = (
        session.scalar(
            select(func.count()).select_from(filtered(principal.tenant_id, f).subquery())
        )
        or 0
    )
    run = service.start_bulk(
        session,
        principal.tenant_id,
        filter_=service.filter_to_json(f),
        add=body.add,
        remove=body.remove,
        actor=principal.label[:64],
        total=total,
    )
    audit.record(
        session,
        principal,
        "tags.bulk",
        entity_type="tagging_run",
        entity_id=run.id,
        after={"filter": run.filter, "add": body.add, "remove": body.remove, "customers": total},
    )
    return TaggingRunOut.model_validate(run)


@router.get(
    "/tagging-runs/{run_id}",
    operation_id="getTaggingRun",
    response_model=TaggingRunOut,
    responses=responses(*AUTH, NotFound),
)
def get_tagging_run(session: DbSession, principal: Read, run_id: int) -> TaggingRunOut:
    run = session.get(TaggingRun, run_id)
    if run is None or run.tenant_id != principal.tenant_id:
        raise NotFound("tagging_run")
    return TaggingRunOut.model_validate(run)
