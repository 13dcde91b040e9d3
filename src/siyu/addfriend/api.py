"""Add-friend routes: lists (upload, mapping with a preview, hand-out, start, progress, rejected
rows, cancel), their tasks, reassigning an account's tasks, and the staff side: today's tasks of
the accounts one operates, marked sent or skipped with a reason.

Phone numbers: the console's task table shows them in full only to roles holding
``customers:phones``; the staff side shows them in full for the accounts the member operates
(staff must dial or paste the number), which bounds what one member sees to a day's tasks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy import and_, or_

from siyu.addfriend import imports, repository, service
from siyu.addfriend.errors import (
    ListClosed,
    ListStarted,
    NoStaff,
    NotYourTask,
    SkipNoteRequired,
    TaskClosed,
    UnknownStaff,
)
from siyu.addfriend.models import (
    DONE,
    DRAFT,
    PENDING,
    SENT,
    SKIPPED,
    AddFriendList,
    AddFriendTask,
)
from siyu.addfriend.schemas import (
    Counts,
    FieldOut,
    ListDetail,
    ListEdit,
    ListOut,
    ListPage,
    MappingIn,
    ReassignIn,
    ReassignOut,
    SkipIn,
    StaffProgress,
    TaskOut,
    TaskPage,
    TaskState,
    TodayOut,
)
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.api.files import download, save_upload, temp_path
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers import phones
from siyu.customers.imports_api import MAPPING_ERRORS, SHEET_ERRORS
from siyu.customers.repository import staff_names
from siyu.errors import NotFound
from siyu.sheets import RequiredFieldUnmapped
from siyu.stores.service import scope_userids
from siyu.tenants.models import Tenant

router = APIRouter(tags=["add-friend"])

Read = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_READ))]
Manage = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_MANAGE))]
Work = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_WORK))]
TODAY_LIMIT = 500
SENT_SHOWN_DAYS = 7


def _list(session: DbSession, principal: Principal, list_id: int) -> AddFriendList:
    found = repository.get_list(session, principal.tenant_id, list_id)
    if found is None:
        raise NotFound("add_friend_list")
    return found


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


def _task_outs(
    session: DbSession,
    principal: Principal,
    tasks: Sequence[AddFriendTask],
    *,
    full_for: set[str] | None = None,
) -> list[TaskOut]:
    """``full_for``: accounts whose numbers are shown in full (None: by the role)."""
    lists = repository.list_names(session, {t.list_id for t in tasks})
    greetings = repository.list_greetings(session, {t.list_id for t in tasks})
    names = staff_names(session, principal.tenant_id, {t.userid for t in tasks})
    tenant = session.get(Tenant, principal.tenant_id)
    brand = tenant.name if tenant else ""
    may_see = principal.can(Permission.CUSTOMERS_PHONES)
    outs = []
    for t in tasks:
        full = may_see or (full_for is not None and t.userid in full_for)
        outs.append(
            TaskOut(
                id=t.id,
                list_id=t.list_id,
                list_name=lists.get(t.list_id, ""),
                row=t.row,
                phone=phones.unseal(t.sealed) if full else t.masked,
                phone_masked=not full,
                name=t.name,
                note=t.note,
                source=t.source,
                userid=t.userid,
                staff_name=names.get(t.userid),
                due_day=t.due_day,
                state=t.state,
                skip_reason=t.skip_reason,
                skip_note=t.skip_note,
                customer_id=t.customer_id,
                completed_userid=t.completed_userid,
                by_other=t.state == DONE and t.completed_userid not in (None, t.userid),
                greeting=service.render_greeting(
                    greetings.get(t.list_id, ""),
                    brand=brand,
                    staff=names.get(t.userid, t.userid),
                    name=t.name,
                ),
                sent_at=t.sent_at,
                finished_at=t.finished_at,
            )
        )
    return outs


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


# --- tasks ------------------------------------------------------------------------------------


@router.get(
    "/add-friend-tasks",
    operation_id="listAddFriendTasks",
    response_model=TaskPage,
    responses=responses(*AUTH),
)
def list_tasks(
    session: DbSession,
    principal: Read,
    paging: Paging,
    list_id: int | None = None,
    userid: Annotated[str | None, Query(max_length=64)] = None,
    state: TaskState | None = None,
    day: dt.date | None = None,
) -> TaskPage:
    """Tasks filtered by list, staff account, state and due day (a shop manager sees the
    accounts of their stores)."""
    visible = scope_userids(session, principal)
    userids: set[str] | None = visible
    if userid is not None:
        userids = {userid} if visible is None else {userid} & visible
    query = repository.tasks_query(
        principal.tenant_id,
        list_id=list_id,
        userids=userids,
        states=[state] if state else None,
        day=day,
    )
    rows, total = repository.task_page(session, query, offset=paging.offset, limit=paging.page_size)
    return TaskPage(
        items=_task_outs(session, principal, rows),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/add-friend-tasks/reassign",
    operation_id="reassignAddFriendTasks",
    response_model=ReassignOut,
    responses=responses(*AUTH, NoStaff, UnknownStaff),
)
def reassign(session: DbSession, principal: Manage, body: ReassignIn) -> ReassignOut:
    """Hand a staff account's open tasks (e.g. of someone who left) to others, evenly."""
    if body.list_id is not None:
        _list(session, principal, body.list_id)
    moved = service.reassign(
        session, principal.tenant_id, body.from_userid, body.to_userids, list_id=body.list_id
    )
    audit.record(
        session,
        principal,
        "add_friend.reassign",
        entity_type="staff_account",
        entity_id=body.from_userid,
        after={"to": body.to_userids, "list_id": body.list_id, "moved": moved},
    )
    return ReassignOut(moved=moved)


def _operated(session: DbSession, principal: Principal) -> list[str]:
    if principal.user_id is None:
        return []
    return repository.operated_userids(session, principal.tenant_id, principal.user_id)


def _may_work(session: DbSession, principal: Principal, userid: str, operated: list[str]) -> bool:
    """One's own accounts; any account for who manages lists; a shop manager's stores'."""
    if userid in operated or principal.can(Permission.ADD_FRIEND_MANAGE):
        return True
    visible = scope_userids(session, principal)
    return principal.can(Permission.ADD_FRIEND_READ) and visible is not None and userid in visible


@router.get(
    "/add-friend/today",
    operation_id="getAddFriendToday",
    response_model=TodayOut,
    responses=responses(*AUTH, NotYourTask),
)
def today_tasks(
    session: DbSession,
    principal: Work,
    userid: Annotated[str | None, Query(max_length=64)] = None,
) -> TodayOut:
    """Today's tasks of the staff accounts you operate (or of ``userid``, for who may look
    after it): pending ones due today or before, requests sent in the past week still waiting
    for the customer, and what was finished today. Numbers in full for your own accounts."""
    operated = _operated(session, principal)
    if userid is not None and not _may_work(session, principal, userid, operated):
        raise NotYourTask
    shown = [userid] if userid is not None else operated
    today = service.today()
    day_start = dt.datetime.combine(today, dt.time(), service.TZ)
    query = repository.tasks_query(principal.tenant_id, userids=shown).where(
        or_(
            and_(AddFriendTask.state == PENDING, AddFriendTask.due_day <= today),
            and_(
                AddFriendTask.state == SENT,
                AddFriendTask.sent_at >= day_start - dt.timedelta(days=SENT_SHOWN_DAYS),
            ),
            and_(
                AddFriendTask.state.in_([DONE, SKIPPED]),
                AddFriendTask.finished_at >= day_start,
            ),
        )
    )
    rows = session.scalars(
        query.order_by(AddFriendTask.due_day, AddFriendTask.id).limit(TODAY_LIMIT)
    ).all()
    limits = [
        x.daily_limit
        for x in session.scalars(
            repository.lists_of(principal.tenant_id, {t.list_id for t in rows})
        )
    ]
    return TodayOut(
        today=today,
        userids=shown,
        operated=operated,
        daily_limit=min(limits, default=0),
        tasks=_task_outs(session, principal, rows, full_for=set(operated)),
    )


def _workable(session: DbSession, principal: Principal, task_id: int) -> AddFriendTask:
    task = repository.get_task(session, principal.tenant_id, task_id)
    if task is None:
        raise NotFound("add_friend_task")
    if not _may_work(session, principal, task.userid, _operated(session, principal)):
        raise NotYourTask
    return task


@router.post(
    "/add-friend-tasks/{task_id}/sent",
    operation_id="markAddFriendTaskSent",
    response_model=TaskOut,
    responses=responses(*AUTH, NotFound, NotYourTask, TaskClosed),
)
def mark_sent(session: DbSession, principal: Work, task_id: int) -> TaskOut:
    """The request was sent in WeCom: the task waits for the customer to accept (and completes
    itself when they do)."""
    task = _workable(session, principal, task_id)
    service.mark_sent(task)
    operated = set(_operated(session, principal))
    return _task_outs(session, principal, [task], full_for=operated)[0]


@router.post(
    "/add-friend-tasks/{task_id}/skip",
    operation_id="skipAddFriendTask",
    response_model=TaskOut,
    responses=responses(*AUTH, NotFound, NotYourTask, TaskClosed, SkipNoteRequired),
)
def skip_task(session: DbSession, principal: Work, task_id: int, body: SkipIn) -> TaskOut:
    """Give up a task with a reason: 号码不存在, 对方拒绝, 已添加, or 其他 with a note."""
    task = _workable(session, principal, task_id)
    service.skip(task, body.reason, body.note)
    operated = set(_operated(session, principal))
    return _task_outs(session, principal, [task], full_for=operated)[0]
