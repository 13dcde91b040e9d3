"""Add-friend list routes: upload, mapping with a preview, hand-out, start, progress (per staff
account too), rejected rows, cancel. The tasks' routes are in :mod:`siyu.addfriend.work_api`."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile, status
from fastapi.responses import FileResponse

from siyu.addfriend import imports, repository, service
from siyu.addfriend.errors import (
    ListClosed,
    ListStarted,
    NoStaff,
    UnknownStaff,
)
from siyu.addfriend.models import (
    DRAFT,
    AddFriendList,
)
from siyu.addfriend.schemas import (
    Counts,
    FieldOut,
    ListDetail,
    ListEdit,
    ListOut,
    ListPage,
    MappingIn,
    StaffProgress,
)
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.api.files import download, save_upload, temp_path
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers.imports_api import MAPPING_ERRORS, SHEET_ERRORS
from siyu.customers.repository import staff_names
from siyu.errors import NotFound
from siyu.sheets import RequiredFieldUnmapped
from siyu.stores.service import scope_userids

router = APIRouter(tags=["add-friend"])

Read = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_READ))]
Manage = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_MANAGE))]


def _list(session: DbSession, principal: Principal, list_id: int) -> AddFriendList:
    return service.get_list(session, principal.tenant_id, list_id)


def _counts(by_bucket: dict[str, int]) -> Counts:
    return Counts(**by_bucket, total=sum(by_bucket.values()))


def _outs(
    session: DbSession, principal: Principal, lists: Sequence[AddFriendList]
) -> list[ListOut]:
    progress = repository.progress(session, principal.tenant_id, [x.id for x in lists])
    return [
        ListOut.model_validate(x).model_copy(update={"counts": _counts(progress[x.id])})
        for x in lists
    ]


def _detail(session: DbSession, principal: Principal, target: AddFriendList) -> ListDetail:
    out = _outs(session, principal, [target])[0]
    # The preview reads the file: only while the mapping is being chosen.
    shown = (
        imports.preview(session, target, principal.locale)
        if target.state == DRAFT and "phone" in target.mapping.values()
        else []
    )
    visible = scope_userids(session, principal)
    by_staff = repository.progress_by_staff(session, principal.tenant_id, target.id, visible)
    today = service.today()
    due = repository.due_by_staff(session, principal.tenant_id, target.id, today)
    userids = set(by_staff) | {u for u in target.userids if visible is None or u in visible}
    names = staff_names(session, principal.tenant_id, userids)
    statuses = repository.staff_statuses(session, principal.tenant_id)
    staff = [
        StaffProgress(
            userid=u,
            name=names.get(u),
            left=statuses.get(u) == "left",
            counts=_counts(by_staff.get(u, {})),
            due_today=due.get(u, 0),
        )
        for u in sorted(userids, key=lambda u: (names.get(u) or u, u))
    ]
    pending = max((s.counts.pending for s in staff), default=0)
    return ListDetail(
        **out.model_dump(),
        fields=[
            FieldOut(name=k, aliases=v, required=k == "phone") for k, v in imports.FIELDS.items()
        ],
        preview=shown,
        by_staff=staff,
        today=today,
        days_left=math.ceil(pending / target.daily_limit) if target.state != DRAFT else None,
    )


# --- lists ------------------------------------------------------------------------------------


@router.get(
    "/add-friend-lists",
    operation_id="listAddFriendLists",
    response_model=ListPage,
    responses=responses(*AUTH),
)
def list_lists(session: DbSession, principal: Read, paging: Paging) -> ListPage:
    rows, total = repository.list_page(
        session, principal.tenant_id, offset=paging.offset, limit=paging.page_size
    )
    return ListPage(
        items=_outs(session, principal, rows),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/add-friend-lists",
    operation_id="uploadAddFriendList",
    response_model=ListDetail,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *SHEET_ERRORS),
)
def upload(
    session: DbSession, principal: Manage, file: Annotated[UploadFile, File()]
) -> ListDetail:
    """Upload an .xlsx or .csv of phone numbers (UTF-8 or GBK): a draft list with its columns,
    a suggested mapping and a preview. Nothing becomes a task until the list is started."""
    filename, stored = save_upload(file, principal.tenant_id)
    try:
        target = imports.create(
            session,
            principal.tenant_id,
            filename=filename,
            stored=stored,
            member_id=principal.user_id,
            locale=principal.locale,
        )
    except Exception:
        stored.unlink(missing_ok=True)
        raise
    audit.record(
        session,
        principal,
        "add_friend.list_upload",
        entity_type="add_friend_list",
        entity_id=target.id,
        after={"filename": filename},
    )
    return _detail(session, principal, target)


@router.get(
    "/add-friend-lists/{list_id}",
    operation_id="getAddFriendList",
    response_model=ListDetail,
    responses=responses(*AUTH, NotFound),
)
def get_list(session: DbSession, principal: Read, list_id: int) -> ListDetail:
    """A list with its progress, per staff account too (a shop manager sees their stores')."""
    return _detail(session, principal, _list(session, principal, list_id))


@router.patch(
    "/add-friend-lists/{list_id}",
    operation_id="editAddFriendList",
    response_model=ListDetail,
    responses=responses(*AUTH, NotFound, ListStarted, ListClosed, UnknownStaff),
)
def edit_list(session: DbSession, principal: Manage, list_id: int, body: ListEdit) -> ListDetail:
    """Name, greeting and daily limit at any time (the days ahead are planned again under a new
    limit); the staff accounts, stores and first day only before the list starts."""
    target = _list(session, principal, list_id)
    before = {"name": target.name, "daily_limit": target.daily_limit, "userids": target.userids}
    if body.userids is not None or body.store_ids is not None or body.start_day is not None:
        imports.set_handout(
            session,
            target,
            userids=body.userids,
            store_ids=body.store_ids,
            start_day=body.start_day,
        )
    service.edit_list(
        session, target, name=body.name, greeting=body.greeting, daily_limit=body.daily_limit
    )
    audit.record(
        session,
        principal,
        "add_friend.list_edit",
        entity_type="add_friend_list",
        entity_id=target.id,
        before=before,
        after=body.model_dump(exclude_none=True, mode="json"),
    )
    return _detail(session, principal, target)


@router.put(
    "/add-friend-lists/{list_id}/mapping",
    operation_id="mapAddFriendList",
    response_model=ListDetail,
    responses=responses(*AUTH, NotFound, ListStarted, RequiredFieldUnmapped, *MAPPING_ERRORS),
)
def set_mapping(session: DbSession, principal: Manage, list_id: int, body: MappingIn) -> ListDetail:
    """Confirm which column feeds which field (the phone is required); answers the preview."""
    target = _list(session, principal, list_id)
    imports.set_mapping(target, body.mapping)
    return _detail(session, principal, target)


@router.post(
    "/add-friend-lists/{list_id}/start",
    operation_id="startAddFriendList",
    response_model=ListDetail,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound, ListStarted, RequiredFieldUnmapped, NoStaff, UnknownStaff),
)
def start_list(session: DbSession, principal: Manage, list_id: int) -> ListDetail:
    """Read the file into tasks, handed out evenly to the chosen accounts (and the staff of the
    chosen stores) and planned day by day under the daily limit."""
    target = _list(session, principal, list_id)
    imports.start(session, target)
    audit.record(
        session,
        principal,
        "add_friend.list_start",
        entity_type="add_friend_list",
        entity_id=target.id,
        after={"mapping": target.mapping, "userids": target.userids},
    )
    return _detail(session, principal, target)


@router.post(
    "/add-friend-lists/{list_id}/cancel",
    operation_id="cancelAddFriendList",
    response_model=ListDetail,
    responses=responses(*AUTH, NotFound),
)
def cancel_list(session: DbSession, principal: Manage, list_id: int) -> ListDetail:
    """Stop a list: open tasks are cancelled, what was done stays done."""
    target = _list(session, principal, list_id)
    cancelled = service.cancel(session, target)
    audit.record(
        session,
        principal,
        "add_friend.list_cancel",
        entity_type="add_friend_list",
        entity_id=target.id,
        after={"tasks_cancelled": cancelled},
    )
    return _detail(session, principal, target)


@router.delete(
    "/add-friend-lists/{list_id}",
    operation_id="deleteAddFriendList",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound, ListStarted),
)
def delete_list(session: DbSession, principal: Manage, list_id: int) -> None:
    """Delete a draft list and its file (a started list is cancelled instead, for the record)."""
    target = _list(session, principal, list_id)
    if target.state != DRAFT:
        raise ListStarted
    stored, name = target.stored_path, target.name
    session.delete(target)
    session.flush()
    audit.record(
        session,
        principal,
        "add_friend.list_delete",
        entity_type="add_friend_list",
        entity_id=list_id,
        before={"name": name},
    )
    if stored:
        Path(stored).unlink(missing_ok=True)


@router.get(
    "/add-friend-lists/{list_id}/rejects.xlsx",
    operation_id="downloadAddFriendRejects",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound),
)
def download_rejects(session: DbSession, principal: Read, list_id: int) -> FileResponse:
    """The rejected rows (row number, column, value, reason) as .xlsx."""
    target = _list(session, principal, list_id)
    path = temp_path(".xlsx")
    imports.write_report(session, target.id, path, principal.locale)
    return download(path, f"add-friend-rejected-rows-{target.id}.xlsx")
