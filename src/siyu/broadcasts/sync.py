"""Reading back what WeCom did with a broadcast's tasks: which staff confirmed, and what each
recipient got (sent, not a friend, over WeCom's receive limit); reminding the staff who have not
sent; withdrawing tasks when the broadcast is cancelled."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.broadcasts import service
from siyu.broadcasts.dispatch import MAX_LIST_PAGES, Message, target_ids
from siyu.broadcasts.models import (
    CANCELLED,
    DONE,
    GROUP,
    R_CANCELLED,
    R_NOT_FRIEND,
    R_OVER_LIMIT,
    R_PLANNED,
    R_SENT,
    R_WAITING,
    SENT,
    T_CREATED,
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
)
from siyu.db import Database, utcnow
from siyu.jobs import Job, hold_lease
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import WeComError

log = logging.getLogger("siyu.broadcasts")

# WeCom's send_result statuses → a recipient's outcome (0, not sent yet, stays waiting).
RESULT_STATUS = {1: R_SENT, 2: R_NOT_FRIEND, 3: R_OVER_LIMIT}
# This long after its last task was made, a broadcast is done even if some staff never sent.
SETTLE_AFTER = dt.timedelta(days=3)


def created_tasks(database: Database, broadcast_id: int) -> list[tuple[int, str, str, bool]]:
    with database.factory() as session:
        rows = session.execute(
            select(
                BroadcastTask.id, BroadcastTask.msgid, BroadcastTask.sender, BroadcastTask.confirmed
            ).where(BroadcastTask.broadcast_id == broadcast_id, BroadcastTask.state == T_CREATED)
        )
        return [(i, m or "", s, bool(c)) for i, m, s, c in rows]


def sync(database: Database, job_row: Job, client: WeComClient, message: Message) -> None:
    """Read every created task's confirmation and results; settle the broadcast when all are
    confirmed or it is old enough."""
    for task_id, msgid, sender, confirmed in created_tasks(database, message.broadcast_id):
        if confirmed:
            continue
        status, send_time = _task_status(client, msgid, sender)
        results = _results(client, msgid, sender) if status == 2 else {}
        with database.transaction() as session:
            hold_lease(session, job_row)
            if status == 2:
                apply_results(session, message, task_id, results)
                session.execute(
                    update(BroadcastTask)
                    .where(BroadcastTask.id == task_id)
                    .values(
                        confirmed=True,
                        confirmed_at=dt.datetime.fromtimestamp(send_time, dt.UTC)
                        if send_time
                        else utcnow(),
                    )
                )
    with database.transaction() as session:
        hold_lease(session, job_row)
        broadcast = session.get(Broadcast, message.broadcast_id)
        assert broadcast is not None
        finish_if_settled(session, broadcast)


def finish_if_settled(session: Session, broadcast: Broadcast) -> None:
    now = utcnow()
    broadcast.synced_at = now
    service.refresh_counts(session, broadcast)
    if broadcast.state != SENT:
        return
    open_task = session.scalar(
        select(BroadcastTask.id)
        .where(
            BroadcastTask.broadcast_id == broadcast.id,
            BroadcastTask.state == T_CREATED,
            BroadcastTask.confirmed.is_(False),
        )
        .limit(1)
    )
    created = session.scalar(
        select(func.max(BroadcastTask.created_at)).where(BroadcastTask.broadcast_id == broadcast.id)
    )
    if open_task is None or now - (created or now) > SETTLE_AFTER:
        broadcast.state = DONE
        broadcast.finished_at = now


def _task_status(client: WeComClient, msgid: str, sender: str) -> tuple[int, int]:
    cursor = ""
    for _ in range(MAX_LIST_PAGES):
        page = client.group_msg_tasks(msgid, cursor)
        for task in page.task_list:
            if task.userid == sender:
                return task.status, task.send_time or 0
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return 0, 0


def _results(client: WeComClient, msgid: str, sender: str) -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    cursor = ""
    for _ in range(MAX_LIST_PAGES):
        page = client.group_msg_results(msgid, sender, cursor)
        for send in page.send_list:
            found[send.chat_id or send.external_userid] = (send.status, send.send_time or 0)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    return found


def apply_results(
    session: Session, message: Message, task_id: int, results: dict[str, tuple[int, int]]
) -> None:
    """Set the recipients' outcomes from WeCom's send results, grouped into few updates."""
    ids = target_ids(session, message.tenant_id, message.chat_type, list(results))
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for address, (status, when) in results.items():
        outcome = RESULT_STATUS.get(status)
        if outcome is not None and address in ids:
            groups[(outcome, when if outcome == R_SENT else 0)].append(ids[address])
    column = (
        BroadcastRecipient.group_id
        if message.chat_type == GROUP
        else BroadcastRecipient.customer_id
    )
    for (outcome, when), targets in groups.items():
        sent_at = dt.datetime.fromtimestamp(when, dt.UTC) if when else None
        for start in range(0, len(targets), 5000):
            session.execute(
                update(BroadcastRecipient)
                .where(
                    BroadcastRecipient.task_id == task_id,
                    column.in_(targets[start : start + 5000]),
                )
                .values(status=outcome, sent_at=sent_at)
            )


# --- remind and cancel ----------------------------------------------------------------------


def remind(database: Database, job_row: Job, client: WeComClient, broadcast_id: int) -> int:
    """Remind the staff who have not sent (WeCom: at most 3 times a day per task)."""
    reminded = 0
    for task_id, msgid, _sender, confirmed in created_tasks(database, broadcast_id):
        if confirmed:
            continue
        try:
            client.remind_group_msg(msgid)
        except WeComError as exc:
            log.warning("broadcast %s: reminder for %s refused: %s", broadcast_id, msgid, exc)
            continue
        reminded += 1
        with database.transaction() as session:
            hold_lease(session, job_row)
            task = session.get(BroadcastTask, task_id)
            assert task is not None
            task.reminders = [*task.reminders, utcnow().isoformat()]
    return reminded


def withdraw(database: Database, job_row: Job, client: WeComClient, broadcast_id: int) -> None:
    """Cancel the WeCom tasks of a cancelled broadcast for the staff who have not sent."""
    for task_id, msgid, _sender, confirmed in created_tasks(database, broadcast_id):
        if confirmed:
            continue
        client.cancel_group_msg(msgid)
        with database.transaction() as session:
            hold_lease(session, job_row)
            session.execute(
                update(BroadcastRecipient)
                .where(
                    BroadcastRecipient.task_id == task_id,
                    BroadcastRecipient.status.in_((R_PLANNED, R_WAITING)),
                )
                .values(status=R_CANCELLED)
            )
    with database.transaction() as session:
        broadcast = session.get(Broadcast, broadcast_id)
        if broadcast is not None and broadcast.state == CANCELLED:
            service.refresh_counts(session, broadcast)
