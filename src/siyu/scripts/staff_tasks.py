"""Staff tasks (员工任务) from sequence runs: on day N of a run (China time) its step N becomes
one task per owner account, listing that account's customers in the run with the text to send.

A task is made once per (run, day, account): the unique key holds even when the job runs twice
or two workers run it together. Days missed while nothing ran are made late (due on their own
date), so staff see them as overdue rather than never."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from siyu.addfriend.repository import operated_userids
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.db import insert_rows_ignoring, insert_unless_exists, utcnow
from siyu.errors import NotFound
from siyu.materials import service as materials
from siyu.scripts import repository, variables
from siyu.scripts.errors import UnknownTaskCustomers
from siyu.scripts.models import (
    DONE,
    FINISHED,
    Script,
    ScriptTask,
    ScriptTaskItem,
    SequenceRun,
)
from siyu.scripts.models import Sequence as ScriptSequence
from siyu.scripts.schemas import ScriptTaskCustomer, ScriptTaskOut
from siyu.stores.service import scope_userids

ITEM_BATCH = 1000


def make_tasks(session: Session, run: SequenceRun, today: dt.date) -> int:
    """Make the tasks of every step due by ``today`` that are not made yet; finish the run
    after its last day. Returns how many tasks were made."""
    sequence = session.get(ScriptSequence, run.sequence_id)
    if sequence is None:
        return 0
    current_day = (today - run.start_date).days + 1
    steps = repository.steps(session, sequence.id)
    # A day's tasks are made in one transaction, so a day with any task is complete.
    made_days = repository.task_days(session, run.id)
    due = [s for s in steps if s.day <= current_day and s.day not in made_days]
    made = 0
    if due:
        owners = repository.members_by_owner(session, run)
        run.without_owner = max(run.customers - sum(len(c) for c in owners.values()), 0)
        senders = repository.sender_facts(session, run.tenant_id, owners)
        scripts = repository.by_ids(
            session, Script, run.tenant_id, [s.script_id for s in due if s.script_id]
        )
        for step in due:
            script = scripts.get(step.script_id) if step.script_id else None
            text = script.body if script is not None else step.text
            chosen = list(step.material_ids) or (list(script.material_ids) if script else [])
            due_date = run.start_date + dt.timedelta(days=step.day - 1)
            for userid, customers in owners.items():
                staff_name, store_name = senders.get(userid, ("", ""))
                values = {
                    "staff_name": staff_name,
                    "store_name": store_name,
                    "today": variables.today_label(due_date),
                }
                made += _make_one(
                    session,
                    run,
                    step.day,
                    userid,
                    customers,
                    title=f"{sequence.name} · 第{step.day}天"[:100],
                    text=variables.render(text, values, only=variables.SENDER),
                    material_ids=chosen,
                    due_date=due_date,
                )
    if current_day >= max((s.day for s in steps), default=0):
        run.state = FINISHED
    return made


def _make_one(
    session: Session,
    run: SequenceRun,
    day: int,
    userid: str,
    customers: list[int],
    *,
    title: str,
    text: str,
    material_ids: list[int],
    due_date: dt.date,
) -> int:
    task_id = insert_unless_exists(
        session,
        ScriptTask,
        {
            "tenant_id": run.tenant_id,
            "run_id": run.id,
            "day": day,
            "userid": userid,
            "due_date": due_date,
            "title": title,
            "text": text,
            "material_ids": material_ids,
            "state": "open",
            "customers": len(customers),
            "done_customers": 0,
            "created_at": utcnow(),
        },
        ["run_id", "day", "userid"],
    )
    if task_id is None:
        return 0  # made before: nothing twice
    table = cast(Table, ScriptTaskItem.__table__)
    for offset in range(0, len(customers), ITEM_BATCH):
        rows = [
            {"tenant_id": run.tenant_id, "task_id": task_id, "customer_id": c}
            for c in customers[offset : offset + ITEM_BATCH]
        ]
        insert_rows_ignoring(session, table, ["task_id", "customer_id"], rows)
    return 1


# --- who sees which tasks ----------------------------------------------------------------------


def visible_userids(session: Session, principal: Principal) -> set[str] | None:
    """The accounts whose tasks a member sees: all for who manages scripts; otherwise the
    accounts they operate and, for a shop manager, their stores' accounts."""
    if principal.can(Permission.SCRIPTS_MANAGE) or principal.user_id is None:
        return None
    seen = set(operated_userids(session, principal.tenant_id, principal.user_id))
    scope = scope_userids(session, principal)
    return seen | (scope or set())


def task(session: Session, principal: Principal, task_id: int) -> ScriptTask:
    found = repository.owned(session, ScriptTask, principal.tenant_id, task_id)
    visible = visible_userids(session, principal)
    if found is None or (visible is not None and found.userid not in visible):
        raise NotFound("script_task")
    assert isinstance(found, ScriptTask)
    return found


def mark_done(session: Session, found: ScriptTask, customer_ids: Collection[int] | None) -> None:
    """Mark customers of a task done (all when None); the task is done when all are."""
    now = utcnow()
    query = update(ScriptTaskItem).where(
        ScriptTaskItem.task_id == found.id, ScriptTaskItem.done_at.is_(None)
    )
    if customer_ids is not None:
        wanted = set(customer_ids)
        present = set(
            session.scalars(
                select(ScriptTaskItem.customer_id).where(
                    ScriptTaskItem.task_id == found.id,
                    ScriptTaskItem.customer_id.in_(wanted),
                )
            )
        )
        missing = sorted(wanted - present)
        if missing:
            raise UnknownTaskCustomers(
                {"ids": missing[:100]}, ids=", ".join(map(str, missing[:20]))
            )
        query = query.where(ScriptTaskItem.customer_id.in_(wanted))
    session.execute(query.values(done_at=now).execution_options(synchronize_session=False))
    done = session.scalar(
        select(func.count()).where(
            ScriptTaskItem.task_id == found.id, ScriptTaskItem.done_at.is_not(None)
        )
    )
    found.done_customers = int(done or 0)
    if found.done_customers >= found.customers and found.state != DONE:
        found.state, found.done_at = DONE, now
    session.flush()


def outs(
    session: Session, tenant_id: int, rows: list[ScriptTask], *, items: bool = False
) -> list[ScriptTaskOut]:
    runs = repository.by_ids(session, SequenceRun, tenant_id, list({t.run_id for t in rows}))
    names = {
        s.id: s.name
        for s in repository.by_ids(
            session, ScriptSequence, tenant_id, list({r.sequence_id for r in runs.values()})
        ).values()
    }
    result = []
    for t in rows:
        run = runs.get(t.run_id)
        listed = None
        if items:
            listed = [
                ScriptTaskCustomer(
                    customer_id=item.customer_id,
                    name=name,
                    text=variables.render(t.text, {"customer_name": name}),
                    done=item.done_at is not None,
                )
                for item, name in repository.task_items(session, t.id)
            ]
        result.append(
            ScriptTaskOut(
                id=t.id,
                run_id=t.run_id,
                sequence_name=names.get(run.sequence_id, "") if run else "",
                day=t.day,
                userid=t.userid,
                due_date=t.due_date,
                title=t.title,
                text=t.text,
                materials=materials.summaries(session, tenant_id, t.material_ids),
                state=t.state,
                customers=t.customers,
                done_customers=t.done_customers,
                created_at=t.created_at,
                done_at=t.done_at,
                items=listed,
            )
        )
    return result
