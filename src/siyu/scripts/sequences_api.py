"""Sequences (多步话术) over HTTP: day steps, runs for a segment or picked customers with their
progress per day, and the staff tasks the runs make."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import func, select

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.errors import NotFound
from siyu.materials.errors import AttachmentsNotAllowed, MaterialsUnknown
from siyu.scripts import repository, sequences, staff_tasks
from siyu.scripts.errors import (
    BadAudience,
    BadSteps,
    RunNotActive,
    UnknownTaskCustomers,
    UnknownVariables,
)
from siyu.scripts.models import ScriptTask, SequenceRun
from siyu.scripts.schemas import (
    DoneIn,
    RunIn,
    RunOut,
    ScriptTaskOut,
    ScriptTaskPage,
    SequenceIn,
    SequenceOut,
    SequencePatch,
)
from siyu.segments.errors import BadRule, UnknownReferences

router = APIRouter(tags=["scripts"])

Read = Annotated[Principal, Depends(require(Permission.SCRIPTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.SCRIPTS_MANAGE))]
STEP_ERRORS = (BadSteps, UnknownVariables, MaterialsUnknown, AttachmentsNotAllowed)


@router.get("/sequences", operation_id="listSequences", responses=responses(*AUTH))
def list_sequences(session: DbSession, principal: Read) -> list[SequenceOut]:
    counts = repository.run_counts(session, principal.tenant_id)
    return [
        sequences.out(session, s, counts.get(s.id, 0))
        for s in repository.sequences(session, principal.tenant_id)
    ]


@router.post(
    "/sequences",
    operation_id="createSequence",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *STEP_ERRORS),
)
def create_sequence(session: DbSession, principal: Manage, body: SequenceIn) -> SequenceOut:
    created = sequences.create(session, principal.tenant_id, body, principal.user_id)
    audit.record(
        session,
        principal,
        "sequences.create",
        entity_type="sequence",
        entity_id=created.id,
        after={"name": created.name, "days": [s.day for s in body.steps]},
    )
    return sequences.out(session, created, 0)


@router.get(
    "/sequences/{sequence_id}", operation_id="getSequence", responses=responses(*AUTH, NotFound)
)
def get_sequence(session: DbSession, principal: Read, sequence_id: int) -> SequenceOut:
    return sequences.out(session, sequences.sequence(session, principal.tenant_id, sequence_id))


@router.patch(
    "/sequences/{sequence_id}",
    operation_id="updateSequence",
    responses=responses(*AUTH, NotFound, *STEP_ERRORS),
)
def update_sequence(
    session: DbSession, principal: Manage, sequence_id: int, body: SequencePatch
) -> SequenceOut:
    found = sequences.sequence(session, principal.tenant_id, sequence_id)
    sequences.update(session, found, body)
    audit.record(
        session,
        principal,
        "sequences.update",
        entity_type="sequence",
        entity_id=found.id,
        after={"name": found.name},
    )
    return sequences.out(session, found)


@router.post(
    "/sequences/{sequence_id}/runs",
    operation_id="startSequenceRun",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, NotFound, BadAudience, BadRule, UnknownReferences),
)
def start_run(session: DbSession, principal: Manage, sequence_id: int, body: RunIn) -> RunOut:
    """Start the sequence for a saved segment's members (as they are now) or for customers
    picked by hand, from ``start_date`` (day 1, China time)."""
    found = sequences.sequence(session, principal.tenant_id, sequence_id)
    created = sequences.start(session, principal.tenant_id, found, body, principal.user_id)
    audit.record(
        session,
        principal,
        "sequences.start_run",
        entity_type="sequence_run",
        entity_id=created.id,
        after={"sequence_id": found.id, "customers": created.customers},
    )
    return sequences.run_out(session, created)


@router.get("/sequence-runs", operation_id="listSequenceRuns", responses=responses(*AUTH))
def list_runs(session: DbSession, principal: Read, sequence_id: int | None = None) -> list[RunOut]:
    query = select(SequenceRun).where(SequenceRun.tenant_id == principal.tenant_id)
    if sequence_id is not None:
        query = query.where(SequenceRun.sequence_id == sequence_id)
    rows = session.scalars(query.order_by(SequenceRun.id.desc()).limit(200))
    return [sequences.run_out(session, r, days=True) for r in rows]


@router.get(
    "/sequence-runs/{sequence_run_id}",
    operation_id="getSequenceRun",
    responses=responses(*AUTH, NotFound),
)
def get_run(session: DbSession, principal: Read, sequence_run_id: int) -> RunOut:
    """A run with its progress per day: tasks made and done, customers reached."""
    found = sequences.run(session, principal.tenant_id, sequence_run_id)
    return sequences.run_out(session, found, days=True)


@router.post(
    "/sequence-runs/{sequence_run_id}/stop",
    operation_id="stopSequenceRun",
    responses=responses(*AUTH, NotFound, RunNotActive),
)
def stop_run(session: DbSession, principal: Manage, sequence_run_id: int) -> RunOut:
    """No more tasks are made; those made stay with staff."""
    found = sequences.run(session, principal.tenant_id, sequence_run_id)
    sequences.stop(found)
    audit.record(
        session,
        principal,
        "sequences.stop_run",
        entity_type="sequence_run",
        entity_id=found.id,
    )
    return sequences.run_out(session, found, days=True)


@router.get("/script-tasks", operation_id="listScriptTasks", responses=responses(*AUTH))
def list_tasks(
    session: DbSession,
    principal: Read,
    paging: Paging,
    userid: Annotated[str | None, Query(max_length=64)] = None,
    run_id: int | None = None,
    state: Literal["open", "done"] | None = None,
    due_date: dt.date | None = None,
) -> ScriptTaskPage:
    """Staff tasks, newest due first: all for who manages scripts, else those of the accounts
    one operates (and a shop manager's stores)."""
    visible = staff_tasks.visible_userids(session, principal)
    userids: set[str] | None = visible
    if userid is not None:
        userids = {userid} if visible is None else {userid} & visible
    query = repository.tasks_query(
        principal.tenant_id, userids=userids, run_id=run_id, state=state, due_date=due_date
    )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = list(
        session.scalars(
            query.order_by(ScriptTask.due_date.desc(), ScriptTask.id.desc())
            .offset(paging.offset)
            .limit(paging.page_size)
        )
    )
    return ScriptTaskPage(
        items=staff_tasks.outs(session, principal.tenant_id, rows),
        total=int(total),
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/script-tasks/{script_task_id}",
    operation_id="getScriptTask",
    responses=responses(*AUTH, NotFound),
)
def get_task(session: DbSession, principal: Read, script_task_id: int) -> ScriptTaskOut:
    """A task with its customers, each with the text rendered for them."""
    found = staff_tasks.task(session, principal, script_task_id)
    return staff_tasks.outs(session, principal.tenant_id, [found], items=True)[0]


@router.post(
    "/script-tasks/{script_task_id}/done",
    operation_id="markScriptTaskDone",
    responses=responses(*AUTH, NotFound, UnknownTaskCustomers),
)
def mark_done(
    session: DbSession, principal: Read, script_task_id: int, body: DoneIn
) -> ScriptTaskOut:
    """Mark customers of the task done, or the whole task."""
    found = staff_tasks.task(session, principal, script_task_id)
    staff_tasks.mark_done(session, found, body.customer_ids)
    return staff_tasks.outs(session, principal.tenant_id, [found], items=True)[0]
