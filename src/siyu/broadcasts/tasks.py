"""Broadcast jobs.

- ``broadcasts.plan`` (due time is the job's ``run_after``): writes recipients and tasks in one
  transaction, makes the next occurrence of a repeat, and starts the dispatch.
- ``broadcasts.dispatch``: creates the WeCom tasks (see :mod:`siyu.broadcasts.dispatch`).
- ``broadcasts.sync``: reads confirmations and results; ``broadcasts.sync_all`` every 10 minutes
  for the broadcasts still waiting on staff.
- ``broadcasts.remind`` / ``broadcasts.cancel``: remind the staff who have not sent; withdraw the
  tasks of a cancelled broadcast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

from huey import crontab
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.broadcasts import demo as _demo  # noqa: F401 - registers the demo job
from siyu.broadcasts import dispatch, planning, service, sync
from siyu.broadcasts.models import (
    FAILED,
    PLANNING,
    SCHEDULED,
    SENDING,
    SENT,
    T_SENDING,
    Broadcast,
    BroadcastTask,
)
from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job, renew
from siyu.materials import service as materials
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient

log = logging.getLogger("siyu.broadcasts")

SYNC_SOON = dt.timedelta(seconds=30)
MAX_LANES, TASKS_PER_LANE = 4, 500


class StillSending(Exception):
    """A task is being created right now: withdraw it once it has its msgid."""


@job(service.PLAN_JOB, max_attempts=5, lease_seconds=1800)
def plan(session: Session, job_row: Job) -> None:
    broadcast = session.get(Broadcast, int(job_row.payload["broadcast_id"]))
    if broadcast is None or broadcast.state != SCHEDULED:
        return
    now = utcnow()
    due = service.out_of_quiet_hours(now, service.settings_of(session, broadcast.tenant_id))
    if due > now + dt.timedelta(minutes=1):  # the quiet hours moved since it was scheduled
        broadcast.due_at = due
        service.schedule(session, broadcast)
        return
    broadcast.state = PLANNING
    counts = planning.plan(session, broadcast, now)
    broadcast.planned_at = now
    broadcast.state = SENDING
    service.spawn_next(session, broadcast)
    tasks = (
        session.scalar(select(func.count()).where(BroadcastTask.broadcast_id == broadcast.id)) or 0
    )
    # Big broadcasts are sent by several workers at once; claims keep them apart.
    for lane in range(min(MAX_LANES, 1 + tasks // TASKS_PER_LANE)):
        jobs.submit(
            session,
            service.DISPATCH_JOB,
            {"broadcast_id": broadcast.id},
            tenant_id=broadcast.tenant_id,
            key=f"broadcast-dispatch:{broadcast.id}" + (f":{lane}" if lane else ""),
        )
    log.info("broadcast %s planned: %s", broadcast.id, counts)


def _message(database: Database, broadcast_id: int) -> tuple[dispatch.Message, str] | None:
    with database.factory() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is None:
            return None
        return (
            dispatch.Message(
                broadcast.id,
                broadcast.tenant_id,
                broadcast.chat_type,
                broadcast.text,
                [],
                tuple(broadcast.material_ids or ()),
            ),
            broadcast.state,
        )


@io_job(service.DISPATCH_JOB, max_attempts=60, lease_seconds=600)
def dispatch_tasks(database: Database, job_row: Job) -> None:
    broadcast_id = int(job_row.payload["broadcast_id"])
    found = _message(database, broadcast_id)
    if found is None or found[1] != SENDING:
        return
    message = found[0]
    client = wecom.client_for_tenant(database, message.tenant_id)
    if client is None:
        with database.transaction() as session:
            hold_lease(session, job_row)
            broadcast = session.get(Broadcast, broadcast_id)
            assert broadcast is not None
            broadcast.state, broadcast.error = FAILED, "WeCom is not connected"
        return
    dispatch_all(database, job_row, client, message)


def dispatch_all(
    database: Database,
    job_row: Job,
    client: WeComClient,
    message: dispatch.Message,
    *,
    quiet_hours: bool = True,
) -> None:
    """Create every planned task of the broadcast, then mark it sent. With ``quiet_hours``
    (always, but for the demo's history) the work waits for the end of the quiet hours."""
    broadcast_id = message.broadcast_id
    if message.material_ids and not message.attachments:
        # Uploaded (or their media ids renewed) once per attempt, before any task is claimed.
        attachments = materials.wecom_attachments(
            database, client, message.tenant_id, list(message.material_ids)
        )
        message = dataclasses.replace(message, attachments=attachments)
    with database.factory() as session:
        texts = service.sender_texts(session, broadcast_id, message.tenant_id, message.text)
    mine = f"{job_row.id}:{job_row.attempts}"
    dispatch.recover(database, job_row, client, message, mine)
    while True:
        with database.transaction() as session:
            hold_lease(session, job_row)
            broadcast = session.get(Broadcast, broadcast_id)
            if broadcast is None or broadcast.state != SENDING:
                return
            now = utcnow()
            settings = service.settings_of(session, message.tenant_id)
            later = service.out_of_quiet_hours(now, settings) if quiet_hours else now
            if later > now:
                jobs.submit(
                    session,
                    service.DISPATCH_JOB,
                    {"broadcast_id": broadcast_id},
                    tenant_id=message.tenant_id,
                    key=f"broadcast-dispatch:{broadcast_id}:{later.isoformat()}",
                    run_after=later,
                )
                return
            claimed = dispatch.claim(session, broadcast_id, mine, now)
        if not claimed:
            break
        with database.factory() as session:
            to = dispatch.addresses_of(session, [t.id for t in claimed], message.chat_type)
        renew(database, job_row)
        for position, task in enumerate(claimed):
            text = texts.get(task.sender, message.text)
            try:
                dispatch.send(database, job_row, client, message, task, text, to.get(task.id, []))
            except Exception:
                with database.transaction() as session:
                    unsent = [t.id for t in claimed[position + 1 :]]
                    dispatch.release_unsent(session, unsent, mine)
                raise
    with database.transaction() as session:
        hold_lease(session, job_row)
        broadcast = session.get(Broadcast, broadcast_id)
        assert broadcast is not None
        if dispatch.settle(session, broadcast) and broadcast.state == SENT:
            submit_sync(session, broadcast, utcnow() + SYNC_SOON)


def submit_sync(
    session: Session, broadcast: Broadcast, when: dt.datetime, *, asked: bool = False
) -> int:
    """A sync of the broadcast's results: one per minute slot, or (``asked`` by an operator)
    one more now."""
    slot = when.strftime("%Y-%m-%dT%H:%M")
    return jobs.submit(
        session,
        service.SYNC_JOB,
        {"broadcast_id": broadcast.id},
        tenant_id=broadcast.tenant_id,
        key=None if asked else f"broadcast-sync:{broadcast.id}:{slot}",
        run_after=when,
    )


@io_job(service.SYNC_JOB, max_attempts=5, lease_seconds=900)
def sync_results(database: Database, job_row: Job) -> None:
    found = _message(database, int(job_row.payload["broadcast_id"]))
    if found is None or found[1] != SENT:
        return
    client = wecom.client_for_tenant(database, found[0].tenant_id)
    if client is not None:
        sync.sync(database, job_row, client, found[0])


@job("broadcasts.sync_all", max_attempts=2)
def sync_all(session: Session, job_row: Job) -> None:
    """Every broadcast still waiting on staff gets a sync job."""
    now = utcnow()
    for broadcast in session.scalars(select(Broadcast).where(Broadcast.state == SENT)):
        submit_sync(session, broadcast, now)


every(crontab(minute="*/10"), "broadcasts.sync_all")


@io_job(service.REMIND_JOB, max_attempts=3)
def remind(database: Database, job_row: Job) -> None:
    broadcast_id = int(job_row.payload["broadcast_id"])
    found = _message(database, broadcast_id)
    if found is None:
        return
    client = wecom.client_for_tenant(database, found[0].tenant_id)
    if client is not None:
        sync.remind(database, job_row, client, broadcast_id)


@io_job(service.CANCEL_JOB, max_attempts=20)
def cancel(database: Database, job_row: Job) -> None:
    broadcast_id = int(job_row.payload["broadcast_id"])
    found = _message(database, broadcast_id)
    if found is None:
        return
    with database.factory() as session:
        in_flight = session.scalar(
            select(BroadcastTask.id)
            .where(BroadcastTask.broadcast_id == broadcast_id, BroadcastTask.state == T_SENDING)
            .limit(1)
        )
    if in_flight is not None:
        raise StillSending(f"broadcast {broadcast_id} has a task being created")
    client = wecom.client_for_tenant(database, found[0].tenant_id)
    if client is not None:
        sync.withdraw(database, job_row, client, broadcast_id)
