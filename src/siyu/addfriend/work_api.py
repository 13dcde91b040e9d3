"""Add-friend task routes: the tasks of lists by staff account, state and day; reassigning an
account's tasks; and the staff side: today's tasks of the accounts one operates, marked sent or
skipped with a reason.

Phone numbers: the console's task table shows them in full only to roles holding
``customers:phones``; the staff side shows them in full for the accounts the member operates
(staff must dial or paste the number), which bounds what one member sees to a day's tasks.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import and_, or_

from siyu.addfriend import repository, service
from siyu.addfriend.errors import (
    NoStaff,
    NotYourTask,
    SkipNoteRequired,
    TaskClosed,
    UnknownStaff,
)
from siyu.addfriend.models import (
    DONE,
    PENDING,
    SENT,
    SKIPPED,
    AddFriendTask,
)
from siyu.addfriend.schemas import (
    ReassignIn,
    ReassignOut,
    SkipIn,
    TaskOut,
    TaskPage,
    TaskState,
    TodayOut,
)
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers import phones
from siyu.customers.repository import staff_names
from siyu.errors import NotFound
from siyu.stores.service import scope_userids
from siyu.tenants.models import Tenant

router = APIRouter(tags=["add-friend"])

Read = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_READ))]
Manage = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_MANAGE))]
Work = Annotated[Principal, Depends(require(Permission.ADD_FRIEND_WORK))]
TODAY_LIMIT = 500
SENT_SHOWN_DAYS = 7


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
        service.get_list(session, principal.tenant_id, body.list_id)
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
