"""The script library's queries; every one is filtered by tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from siyu.customers.models import ERASED, Customer
from siyu.materials.repository import like_pattern
from siyu.scripts.models import (
    Script,
    ScriptCategory,
    ScriptTask,
    ScriptTaskItem,
    SequenceRun,
    SequenceRunMember,
    SequenceStep,
)
from siyu.scripts.models import (
    Sequence as ScriptSequence,
)
from siyu.staff.models import StaffAccount
from siyu.stores.models import Store, StoreAssignment


def owned(session: Session, model: Any, tenant_id: int, row_id: int) -> Any:
    row = session.get(model, row_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    return row


def categories(session: Session, tenant_id: int) -> list[ScriptCategory]:
    return list(
        session.scalars(
            select(ScriptCategory)
            .where(ScriptCategory.tenant_id == tenant_id)
            .order_by(ScriptCategory.position, ScriptCategory.id)
        )
    )


def category_named(
    session: Session, tenant_id: int, parent_id: int | None, name: str
) -> int | None:
    parent = (
        ScriptCategory.parent_id.is_(None)
        if parent_id is None
        else ScriptCategory.parent_id == parent_id
    )
    return session.scalar(
        select(ScriptCategory.id).where(
            ScriptCategory.tenant_id == tenant_id, parent, ScriptCategory.name == name
        )
    )


def script_counts(session: Session, tenant_id: int) -> dict[int | None, int]:
    rows = session.execute(
        select(Script.category_id, func.count())
        .where(Script.tenant_id == tenant_id)
        .group_by(Script.category_id)
    )
    return {category: int(count) for category, count in rows}


def children_of(session: Session, tenant_id: int, category_id: int) -> list[int]:
    return list(
        session.scalars(
            select(ScriptCategory.id).where(
                ScriptCategory.tenant_id == tenant_id, ScriptCategory.parent_id == category_id
            )
        )
    )


def search_scripts(
    session: Session,
    tenant_id: int,
    *,
    category_ids: Collection[int] | None,
    keyword: str,
    offset: int,
    limit: int,
) -> tuple[list[Script], int]:
    """Scripts in these categories (all when None) whose title, keywords or body hold the
    keyword — one query on the tenant's (and category's) index, matched in the database."""
    query: Select[Script] = select(Script).where(Script.tenant_id == tenant_id)
    if category_ids is not None:
        query = query.where(Script.category_id.in_(category_ids))
    words = keyword.lower().split()
    for word in words[:5]:
        query = query.where(Script.search_text.like(like_pattern(word), escape="\\"))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Script.use_count.desc(), Script.id.desc()).offset(offset).limit(limit)
    )
    return list(rows), int(total)


def steps(session: Session, sequence_id: int) -> list[SequenceStep]:
    return list(
        session.scalars(
            select(SequenceStep)
            .where(SequenceStep.sequence_id == sequence_id)
            .order_by(SequenceStep.day)
        )
    )


def sequences(session: Session, tenant_id: int) -> list[ScriptSequence]:
    return list(
        session.scalars(
            select(ScriptSequence)
            .where(ScriptSequence.tenant_id == tenant_id)
            .order_by(ScriptSequence.id.desc())
        )
    )


def run_counts(session: Session, tenant_id: int) -> dict[int, int]:
    rows = session.execute(
        select(SequenceRun.sequence_id, func.count())
        .where(SequenceRun.tenant_id == tenant_id)
        .group_by(SequenceRun.sequence_id)
    )
    return {int(s): int(c) for s, c in rows}


def live_customers(session: Session, tenant_id: int, ids: Collection[int]) -> set[int]:
    found: set[int] = set()
    listed = list(ids)
    for start in range(0, len(listed), 1000):
        found.update(
            session.scalars(
                select(Customer.id).where(
                    Customer.tenant_id == tenant_id,
                    Customer.id.in_(listed[start : start + 1000]),
                    Customer.status != ERASED,
                )
            )
        )
    return found


def members_by_owner(session: Session, run: SequenceRun) -> dict[str, list[int]]:
    """The run's customers (not erased) by owner account."""
    rows = session.execute(
        select(Customer.owner_userid, Customer.id)
        .join(SequenceRunMember, SequenceRunMember.customer_id == Customer.id)
        .where(
            SequenceRunMember.run_id == run.id,
            Customer.tenant_id == run.tenant_id,
            Customer.status != ERASED,
            Customer.owner_userid.is_not(None),
            Customer.owner_userid != "",
        )
        .order_by(Customer.owner_userid, Customer.id)
    )
    owners: dict[str, list[int]] = {}
    for userid, customer_id in rows:
        owners.setdefault(str(userid), []).append(int(customer_id))
    return owners


def sender_facts(
    session: Session, tenant_id: int, userids: Collection[str]
) -> dict[str, tuple[str, str]]:
    """(staff name, store name) per account."""
    rows = session.execute(
        select(StaffAccount.userid, StaffAccount.name, Store.name)
        .outerjoin(
            StoreAssignment,
            (StoreAssignment.staff_account_id == StaffAccount.id)
            & (StoreAssignment.tenant_id == tenant_id),
        )
        .outerjoin(Store, Store.id == StoreAssignment.store_id)
        .where(StaffAccount.tenant_id == tenant_id, StaffAccount.userid.in_(list(userids)))
    )
    return {str(u): (str(n or ""), str(s or "")) for u, n, s in rows}


def active_runs(session: Session, today: dt.date) -> list[SequenceRun]:
    return list(
        session.scalars(
            select(SequenceRun)
            .where(SequenceRun.state == "active", SequenceRun.start_date <= today)
            .order_by(SequenceRun.id)
        )
    )


def task_days(session: Session, run_id: int) -> set[int]:
    """The days of a run whose tasks are made."""
    return set(
        session.scalars(select(ScriptTask.day).where(ScriptTask.run_id == run_id).distinct())
    )


def tasks_query(
    tenant_id: int,
    *,
    userids: Collection[str] | None,
    run_id: int | None = None,
    state: str | None = None,
    due_date: dt.date | None = None,
) -> Select[ScriptTask]:
    query = select(ScriptTask).where(ScriptTask.tenant_id == tenant_id)
    if userids is not None:
        query = query.where(ScriptTask.userid.in_(list(userids)))
    if run_id is not None:
        query = query.where(ScriptTask.run_id == run_id)
    if state is not None:
        query = query.where(ScriptTask.state == state)
    if due_date is not None:
        query = query.where(ScriptTask.due_date == due_date)
    return query


def task_items(session: Session, task_id: int) -> list[tuple[ScriptTaskItem, str]]:
    rows = session.execute(
        select(ScriptTaskItem, Customer.name)
        .join(Customer, Customer.id == ScriptTaskItem.customer_id)
        .where(ScriptTaskItem.task_id == task_id)
        .order_by(ScriptTaskItem.customer_id)
    )
    return [(item, str(name or "")) for item, name in rows]


def progress(session: Session, run_id: int) -> list[tuple[int, dt.date, int, int, int, int]]:
    """Per day: due date, tasks, tasks done, customers, customers done."""
    rows = session.execute(
        select(
            ScriptTask.day,
            func.min(ScriptTask.due_date),
            func.count(),
            func.count().filter(ScriptTask.state == "done"),
            func.coalesce(func.sum(ScriptTask.customers), 0),
            func.coalesce(func.sum(ScriptTask.done_customers), 0),
        )
        .where(ScriptTask.run_id == run_id)
        .group_by(ScriptTask.day)
        .order_by(ScriptTask.day)
    )
    return [(int(d), due, int(t), int(td), int(c), int(cd)) for d, due, t, td, c, cd in rows]


def by_ids(session: Session, model: Any, tenant_id: int, ids: Sequence[int]) -> dict[int, Any]:
    if not ids:
        return {}
    rows = session.scalars(select(model).where(model.tenant_id == tenant_id, model.id.in_(ids)))
    return {row.id: row for row in rows}


def count_use(session: Session, script: Script) -> None:
    """One more use, counted in the database (two members copying at once count two)."""
    session.execute(
        update(Script)
        .where(Script.tenant_id == script.tenant_id, Script.id == script.id)
        .values(use_count=Script.use_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(script)
