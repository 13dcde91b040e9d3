"""Creating a broadcast's WeCom tasks, each exactly once. No transaction is held while WeCom is
called; every step is a short transaction fenced by the job's lease.

1. A batch of planned tasks is claimed (``sending``, stamped with this attempt) and committed.
2. ``add_msg_template`` is called for each; its msgid is recorded in the next transaction.
3. A rate limit (45009) gives the task back to ``planned`` and ends the attempt: the job runs
   again after its backoff. WeCom refusing a task (any other error) fails that task only.
4. A timeout, a 5xx or a crash leaves the task ``sending``: whether WeCom made it is unknown.
   The next attempt first looks for it among the sender's mass messages of that time, matched by
   recipients, and adopts its msgid; only a task WeCom has no record of is created again.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.broadcasts import service
from siyu.broadcasts.models import (
    CANCELLED,
    GROUP,
    R_FAILED,
    R_NOT_FRIEND,
    R_PLANNED,
    SENDING,
    SENT,
    T_CREATED,
    T_FAILED,
    T_PLANNED,
    T_SENDING,
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
)
from siyu.customers.models import Customer
from siyu.db import Database, utcnow
from siyu.groups.models import Group
from siyu.jobs import Job, hold_lease
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import RateLimited, WeComError

log = logging.getLogger("siyu.broadcasts")

CLAIM_BATCH = 100
LOOKBACK = dt.timedelta(minutes=2)
MAX_LIST_PAGES = 200

# Tests stop an attempt right after WeCom answered, as a crash would.
after_call: Callable[[BroadcastTask], None] | None = None


@dataclass(frozen=True)
class Message:
    """What every task of a broadcast carries, read once per attempt."""

    broadcast_id: int
    tenant_id: int
    chat_type: str
    text: str
    attachments: list[dict[str, Any]]
    material_ids: tuple[int, ...] = ()


def claim(session: Session, broadcast_id: int, mine: str, now: dt.datetime) -> list[BroadcastTask]:
    tasks = list(
        session.scalars(
            select(BroadcastTask)
            .where(BroadcastTask.broadcast_id == broadcast_id, BroadcastTask.state == T_PLANNED)
            .order_by(BroadcastTask.id)
            .limit(CLAIM_BATCH)
            .with_for_update(skip_locked=True)
        )
    )
    for task in tasks:
        task.state, task.claim, task.claimed_at = T_SENDING, mine, now
    session.flush()
    for task in tasks:
        session.expunge(task)
    return tasks


def addresses(session: Session, task: BroadcastTask, chat_type: str) -> list[str]:
    """The external_userids (or chat ids) of the task's recipients still to send."""
    return addresses_of(session, [task.id], chat_type).get(task.id, [])


def addresses_of(session: Session, task_ids: list[int], chat_type: str) -> dict[int, list[str]]:
    """:func:`addresses` for several tasks in one query."""
    if chat_type == GROUP:
        query: Any = select(BroadcastRecipient.task_id, Group.chat_id).join(
            Group, BroadcastRecipient.group_id == Group.id
        )
    else:
        query = select(BroadcastRecipient.task_id, Customer.external_userid).join(
            Customer, BroadcastRecipient.customer_id == Customer.id
        )
    rows = session.execute(
        query.where(
            BroadcastRecipient.task_id.in_(task_ids), BroadcastRecipient.status == R_PLANNED
        )
    )
    found: dict[int, list[str]] = {}
    for task_id, address in rows:
        if address:
            found.setdefault(int(task_id), []).append(address)
    return found


def request_body(message: Message, sender: str, to: list[str], text: str) -> dict[str, Any]:
    body: dict[str, Any] = {"chat_type": message.chat_type, "sender": sender}
    body["chat_id_list" if message.chat_type == GROUP else "external_userid"] = to
    if text:
        body["text"] = {"content": text}
    if message.attachments:
        body["attachments"] = message.attachments
    return body


def send(
    database: Database,
    job_row: Job,
    client: WeComClient,
    message: Message,
    task: BroadcastTask,
    text: str,
    to: list[str] | None = None,
) -> None:
    """Create one claimed task in WeCom and record what happened. ``to``: its addresses, when
    the caller read them already."""
    if to is None:
        with database.factory() as session:
            to = addresses(session, task, message.chat_type)
    if not to:  # every recipient left meanwhile (erased): nothing to create
        with database.transaction() as session:
            hold_lease(session, job_row)
            _finish(session, task.id, T_FAILED, error="no recipients left")
        return
    try:
        answer = client.add_msg_template(request_body(message, task.sender, to, text))
    except RateLimited:
        with database.transaction() as session:
            hold_lease(session, job_row)
            session.execute(
                update(BroadcastTask)
                .where(BroadcastTask.id == task.id, BroadcastTask.state == T_SENDING)
                .values(
                    state=T_PLANNED,
                    claim="",
                    rate_limited=BroadcastTask.rate_limited + 1,
                    error="45009",
                )
            )
        raise
    except WeComError as exc:
        # WeCom answered: it made nothing for this call.
        with database.transaction() as session:
            hold_lease(session, job_row)
            _finish(session, task.id, T_FAILED, error=f"{exc.errcode} {exc.errmsg}".strip())
            _mark(session, task.id, R_PLANNED, R_FAILED)
        log.warning(
            "broadcast %s: WeCom refused the task of %s: %s", message.broadcast_id, task.sender, exc
        )
        return
    if after_call is not None:
        after_call(task)
    with database.transaction() as session:
        # Fenced by the task's claim rather than the job's lease: a commit per task, no more.
        record(
            session,
            message,
            task.id,
            answer.msgid,
            answer.fail_list,
            claim=task.claim,
        )


def record(
    session: Session,
    message: Message,
    task_id: int,
    msgid: str,
    fail_list: list[str],
    *,
    claim: str | None = None,
) -> None:
    """A task WeCom made: its msgid (its recipients, still ``planned``, now wait for the
    sender); those WeCom refused are not (any more) friends. With ``claim``, only while the
    task is still this attempt's."""
    if not _finish(session, task_id, T_CREATED, claim=claim, msgid=msgid):
        return
    if fail_list:
        _mark_addresses(session, message, task_id, fail_list, R_NOT_FRIEND)


def _finish(
    session: Session, task_id: int, state: str, *, claim: str | None = None, **values: Any
) -> bool:
    extra = {"created_at": utcnow()} if state == T_CREATED else {}
    query = update(BroadcastTask).where(BroadcastTask.id == task_id)
    if claim is not None:
        query = query.where(BroadcastTask.claim == claim)
    done = session.execute(query.values(state=state, claim="", **values, **extra))
    return bool(done.rowcount)  # type: ignore[attr-defined]


def _mark(session: Session, task_id: int, old: str, new: str) -> None:
    session.execute(
        update(BroadcastRecipient)
        .where(BroadcastRecipient.task_id == task_id, BroadcastRecipient.status == old)
        .values(status=new)
    )


def target_ids(
    session: Session, tenant_id: int, chat_type: str, addresses_: list[str]
) -> dict[str, int]:
    """Customer (or group) ids by external_userid (or chat id)."""
    found: dict[str, int] = {}
    for start in range(0, len(addresses_), 5000):
        part = addresses_[start : start + 5000]
        if chat_type == GROUP:
            rows: Any = session.execute(
                select(Group.chat_id, Group.id).where(
                    Group.tenant_id == tenant_id, Group.chat_id.in_(part)
                )
            )
        else:
            rows = session.execute(
                select(Customer.external_userid, Customer.id).where(
                    Customer.tenant_id == tenant_id, Customer.external_userid.in_(part)
                )
            )
        found.update({a: int(i) for a, i in rows})
    return found


def _mark_addresses(
    session: Session, message: Message, task_id: int, addresses_: list[str], status: str
) -> None:
    ids = list(target_ids(session, message.tenant_id, message.chat_type, addresses_).values())
    column = (
        BroadcastRecipient.group_id
        if message.chat_type == GROUP
        else (BroadcastRecipient.customer_id)
    )
    for start in range(0, len(ids), 5000):
        session.execute(
            update(BroadcastRecipient)
            .where(BroadcastRecipient.task_id == task_id, column.in_(ids[start : start + 5000]))
            .values(status=status)
        )


# --- recovering tasks a stopped attempt left ``sending`` -----------------------------------


def recover(
    database: Database, job_row: Job, client: WeComClient, message: Message, mine: str
) -> None:
    with database.factory() as session:
        orphans = list(
            session.scalars(
                select(BroadcastTask).where(
                    BroadcastTask.broadcast_id == message.broadcast_id,
                    BroadcastTask.state == T_SENDING,
                    BroadcastTask.claim != mine,
                )
            )
        )
        dead = dead_claims(session, {t.claim for t in orphans})
        orphans = [t for t in orphans if t.claim in dead]
        for task in orphans:
            session.expunge(task)
    for task in orphans:
        found = find_created(database, client, message, task)
        with database.transaction() as session:
            hold_lease(session, job_row)
            if found is None:
                session.execute(
                    update(BroadcastTask)
                    .where(BroadcastTask.id == task.id, BroadcastTask.state == T_SENDING)
                    .values(state=T_PLANNED, claim="")
                )
                continue
            msgid, reached, ours = found
            missing = sorted(ours - reached)
            record(session, message, task.id, msgid, missing)
            log.info("broadcast %s: adopted %s for %s", message.broadcast_id, msgid, task.sender)


def dead_claims(session: Session, claims: set[str]) -> set[str]:
    """The claims (``job id:attempt``) whose attempt is over: its job is no longer running that
    attempt, or its lease ran out. Another worker's live claim is left alone — its call may be
    in flight."""
    parsed = {}
    for claim in claims:
        job_id, _, attempt = claim.partition(":")
        if job_id.isdigit() and attempt.isdigit():
            parsed[claim] = (int(job_id), int(attempt))
    dead = claims - set(parsed)
    if not parsed:
        return dead
    now = utcnow()
    rows = session.execute(
        select(Job.id, Job.state, Job.attempts, Job.locked_until).where(
            Job.id.in_({j for j, _a in parsed.values()})
        )
    )
    running = {
        (int(i), int(a))
        for i, state, a, until in rows
        if state == "running" and until is not None and until > now
    }
    return dead | {c for c, key in parsed.items() if key not in running}


def find_created(
    database: Database, client: WeComClient, message: Message, task: BroadcastTask
) -> tuple[str, set[str], set[str]] | None:
    """The mass message WeCom made for this task, if any: by the sender, since it was claimed,
    not another task's, and sent to nobody outside the task's recipients."""
    assert task.claimed_at is not None
    start = int((task.claimed_at - LOOKBACK).timestamp())
    end = int((utcnow() + LOOKBACK).timestamp())
    with database.factory() as session:
        ours = set(addresses(session, task, message.chat_type))
    cursor = ""
    candidates: list[str] = []
    for _ in range(MAX_LIST_PAGES):
        page = client.list_group_msgs(
            message.chat_type, start, end, creator=task.sender, cursor=cursor
        )
        candidates += [m.msgid for m in page.group_msg_list if m.creator == task.sender]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    if not candidates:
        return None
    with database.factory() as session:
        taken = set(
            session.scalars(
                select(BroadcastTask.msgid).where(
                    BroadcastTask.tenant_id == message.tenant_id,
                    BroadcastTask.msgid.in_(candidates),
                )
            )
        )
    for msgid in candidates:
        if msgid in taken:
            continue
        reached = _recipients_of(client, msgid, task.sender)
        if reached and reached <= ours:
            return msgid, reached, ours
    return None


def _recipients_of(client: WeComClient, msgid: str, sender: str) -> set[str]:
    reached: set[str] = set()
    cursor = ""
    for _ in range(MAX_LIST_PAGES):
        page = client.group_msg_results(msgid, sender, cursor)
        reached |= {s.chat_id or s.external_userid for s in page.send_list}
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return reached


# --- the broadcast's state ------------------------------------------------------------------


def settle(session: Session, broadcast: Broadcast) -> bool:
    """After an attempt: a broadcast whose tasks are all created (or failed) is sent. Answers
    whether it is."""
    if broadcast.state == CANCELLED:
        return False
    left = session.scalar(
        select(BroadcastTask.id)
        .where(
            BroadcastTask.broadcast_id == broadcast.id,
            BroadcastTask.state.in_((T_PLANNED, T_SENDING)),
        )
        .limit(1)
    )
    service.refresh_counts(session, broadcast)
    if left is not None:
        return False
    if broadcast.state == SENDING:
        created = session.scalar(
            select(BroadcastTask.id)
            .where(BroadcastTask.broadcast_id == broadcast.id, BroadcastTask.state == T_CREATED)
            .limit(1)
        )
        broadcast.state = SENT if created is not None else "failed"
        broadcast.sent_at = utcnow()
        if created is None and not broadcast.error:
            broadcast.error = "no task could be created"
    return True


def release_unsent(session: Session, task_ids: list[int], mine: str) -> None:
    """Tasks this attempt claimed but never called WeCom for go back to ``planned`` when the
    attempt ends early (a rate limit, an error)."""
    if task_ids:
        session.execute(
            update(BroadcastTask)
            .where(
                BroadcastTask.id.in_(task_ids),
                BroadcastTask.state == T_SENDING,
                BroadcastTask.claim == mine,
            )
            .values(state=T_PLANNED, claim="")
        )
