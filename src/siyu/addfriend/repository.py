"""Queries of add-friend lists and tasks, each scoped to one tenant."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Select, and_, bindparam, case, func, select, text
from sqlalchemy.orm import Session

from siyu.addfriend.models import (
    DONE,
    OPEN_STATES,
    PENDING,
    TASK_CANCELLED,
    AddFriendList,
    AddFriendTask,
)
from siyu.customers.models import ACTIVE, Customer, CustomerPhone
from siyu.staff.models import StaffAccount
from siyu.stores.models import StaffRotation

# Tasks done by the account they were meant for count as ``done``; the others as this.
DONE_BY_OTHER = "done_by_other"


def get_list(session: Session, tenant_id: int, list_id: int) -> AddFriendList | None:
    return session.scalar(
        select(AddFriendList).where(
            AddFriendList.tenant_id == tenant_id, AddFriendList.id == list_id
        )
    )


def get_task(session: Session, tenant_id: int, task_id: int) -> AddFriendTask | None:
    return session.scalar(
        select(AddFriendTask).where(
            AddFriendTask.tenant_id == tenant_id, AddFriendTask.id == task_id
        )
    )


def list_page(
    session: Session, tenant_id: int, *, offset: int, limit: int
) -> tuple[Sequence[AddFriendList], int]:
    query = select(AddFriendList).where(AddFriendList.tenant_id == tenant_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AddFriendList.id.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def _bucket() -> Any:
    return case(
        (
            and_(
                AddFriendTask.state == DONE,
                AddFriendTask.completed_userid != AddFriendTask.userid,
            ),
            DONE_BY_OTHER,
        ),
        else_=AddFriendTask.state,
    )


def progress(
    session: Session, tenant_id: int, list_ids: Collection[int]
) -> dict[int, dict[str, int]]:
    """Tasks of each list by progress bucket."""
    found: dict[int, dict[str, int]] = {i: {} for i in list_ids}
    if not list_ids:
        return found
    bucket = _bucket()
    for list_id, name, count in session.execute(
        select(AddFriendTask.list_id, bucket, func.count())
        .where(AddFriendTask.tenant_id == tenant_id, AddFriendTask.list_id.in_(list(list_ids)))
        .group_by(AddFriendTask.list_id, bucket)
    ):
        found[list_id][name] = count
    return found


def progress_by_staff(
    session: Session, tenant_id: int, list_id: int, userids: Collection[str] | None
) -> dict[str, dict[str, int]]:
    """Tasks of one list by staff account and progress bucket (``userids`` limits the
    accounts, for a shop manager)."""
    bucket = _bucket()
    query = (
        select(AddFriendTask.userid, bucket, func.count())
        .where(AddFriendTask.tenant_id == tenant_id, AddFriendTask.list_id == list_id)
        .group_by(AddFriendTask.userid, bucket)
    )
    if userids is not None:
        query = query.where(AddFriendTask.userid.in_(list(userids)))
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for userid, name, count in session.execute(query):
        found[userid][name] = count
    return dict(found)


def due_by_staff(session: Session, tenant_id: int, list_id: int, day: dt.date) -> dict[str, int]:
    """Pending tasks of a list due on ``day`` (or overdue), per account."""
    return dict(
        session.execute(
            select(AddFriendTask.userid, func.count())
            .where(
                AddFriendTask.tenant_id == tenant_id,
                AddFriendTask.list_id == list_id,
                AddFriendTask.state == PENDING,
                AddFriendTask.due_day <= day,
            )
            .group_by(AddFriendTask.userid)
        ).all()
    )


def tasks_query(
    tenant_id: int,
    *,
    list_id: int | None = None,
    userids: Collection[str] | None = None,
    states: Collection[str] | None = None,
    day: dt.date | None = None,
) -> Select[AddFriendTask]:
    query = select(AddFriendTask).where(AddFriendTask.tenant_id == tenant_id)
    if list_id is not None:
        query = query.where(AddFriendTask.list_id == list_id)
    if userids is not None:
        query = query.where(AddFriendTask.userid.in_(list(userids)))
    if states:
        query = query.where(AddFriendTask.state.in_(list(states)))
    if day is not None:
        query = query.where(AddFriendTask.due_day == day)
    return query


def task_page(
    session: Session, query: Select[AddFriendTask], *, offset: int, limit: int
) -> tuple[Sequence[AddFriendTask], int]:
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AddFriendTask.due_day.is_(None), AddFriendTask.due_day, AddFriendTask.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total


def lists_of(tenant_id: int, list_ids: Collection[int]) -> Select[AddFriendList]:
    return select(AddFriendList).where(
        AddFriendList.tenant_id == tenant_id, AddFriendList.id.in_(list(list_ids))
    )


def list_names(session: Session, list_ids: Collection[int]) -> dict[int, str]:
    if not list_ids:
        return {}
    return dict(
        session.execute(
            select(AddFriendList.id, AddFriendList.name).where(AddFriendList.id.in_(list(list_ids)))
        ).all()
    )


def list_greetings(session: Session, list_ids: Collection[int]) -> dict[int, str]:
    if not list_ids:
        return {}
    return dict(
        session.execute(
            select(AddFriendList.id, AddFriendList.greeting).where(
                AddFriendList.id.in_(list(list_ids))
            )
        ).all()
    )


# --- staff ------------------------------------------------------------------------------------


def staff_statuses(session: Session, tenant_id: int) -> dict[str, str]:
    """Every staff account's status (``active`` or ``left``) by userid."""
    return dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.status).where(
                StaffAccount.tenant_id == tenant_id
            )
        ).all()
    )


def operated_userids(session: Session, tenant_id: int, user_id: int) -> list[str]:
    """The staff accounts a member operates now (their open rotation periods)."""
    return sorted(
        session.scalars(
            select(StaffAccount.userid)
            .join(StaffRotation, StaffRotation.staff_account_id == StaffAccount.id)
            .where(
                StaffRotation.tenant_id == tenant_id,
                StaffRotation.user_id == user_id,
                StaffRotation.ended_at.is_(None),
            )
        )
    )


# --- importing and matching -------------------------------------------------------------------


def hashes_in_list(
    session: Session, tenant_id: int, list_id: int, hashes: Collection[str]
) -> set[str]:
    return set(
        session.scalars(
            select(AddFriendTask.phone_hash).where(
                AddFriendTask.tenant_id == tenant_id,
                AddFriendTask.list_id == list_id,
                AddFriendTask.phone_hash.in_(list(hashes)),
            )
        )
    )


def hashes_of_friends(session: Session, tenant_id: int, hashes: Collection[str]) -> set[str]:
    """Numbers that belong to customers who are a friend of some staff account now. Two plain
    lookups (phones by hash, then those customers by id), not a join: a join's plan depends on
    statistics a bulk-loaded customers table may not have yet, and with a wrong one PostgreSQL
    walks every customer of the tenant for each chunk of numbers."""
    found = session.execute(
        select(CustomerPhone.customer_id, CustomerPhone.phone_hash).where(
            CustomerPhone.tenant_id == tenant_id, CustomerPhone.phone_hash.in_(list(hashes))
        )
    ).all()
    if not found:
        return set()
    friends = set(
        session.scalars(
            select(Customer.id).where(
                Customer.id.in_({customer_id for customer_id, _ in found}),
                Customer.status == ACTIVE,
            )
        )
    )
    return {phone_hash for customer_id, phone_hash in found if customer_id in friends}


def _open() -> Any:
    """Open tasks, written as the partial unique index's own predicate (``state IN ('pending',
    'sent')`` with the values inline), which SQLite needs to look numbers up by that index."""
    return AddFriendTask.state.in_(
        bindparam("open_states", list(OPEN_STATES), expanding=True, literal_execute=True)
    )


def open_hashes(session: Session, tenant_id: int, hashes: Collection[str]) -> set[str]:
    return set(
        session.scalars(
            select(AddFriendTask.phone_hash).where(
                AddFriendTask.tenant_id == tenant_id,
                AddFriendTask.phone_hash.in_(list(hashes)),
                _open(),
            )
        )
    )


def open_tasks_with(
    session: Session, tenant_id: int, hashes: Collection[str]
) -> Sequence[AddFriendTask]:
    return session.scalars(
        select(AddFriendTask)
        .where(
            AddFriendTask.tenant_id == tenant_id,
            AddFriendTask.phone_hash.in_(list(hashes)),
            _open(),
        )
        .order_by(AddFriendTask.id)
    ).all()


def phone_hashes_of(
    session: Session, tenant_id: int, customer_ids: Collection[int]
) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    if customer_ids:
        for customer_id, phone_hash in session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.phone_hash).where(
                CustomerPhone.tenant_id == tenant_id,
                CustomerPhone.customer_id.in_(list(customer_ids)),
            )
        ):
            found[customer_id].add(phone_hash)
    return found


def refresh_statistics(session: Session) -> None:
    """PostgreSQL's planner statistics of the tasks table, taken again. A bulk import grows the
    table faster than autovacuum looks at it (or autovacuum is off): planned for the empty table
    it was, the number lookups scan a list's every task instead of probing the index."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE add_friend_tasks"))


def load_in_list(session: Session, list_id: int) -> dict[str, int]:
    """Tasks of a list per account (the even hand-out goes on from there after a restart)."""
    return dict(
        session.execute(
            select(AddFriendTask.userid, func.count())
            .where(AddFriendTask.list_id == list_id)
            .group_by(AddFriendTask.userid)
        ).all()
    )


# --- pacing -----------------------------------------------------------------------------------


def day_counts(
    session: Session, tenant_id: int, userid: str, first: dt.date, last: dt.date
) -> dict[dt.date, int]:
    """Tasks of an account (every list) on each day from ``first`` to ``last``, cancelled
    ones left out: what those days already hold against the daily limit."""
    return {
        day: count
        for day, count in session.execute(
            select(AddFriendTask.due_day, func.count())
            .where(
                AddFriendTask.tenant_id == tenant_id,
                AddFriendTask.userid == userid,
                AddFriendTask.due_day >= first,
                AddFriendTask.due_day <= last,
                AddFriendTask.state != TASK_CANCELLED,
            )
            .group_by(AddFriendTask.due_day)
        )
        if day is not None
    }


def working_accounts(session: Session) -> dict[int, set[str]]:
    """The staff accounts of the lists being worked, by tenant (lists are few; tasks many)."""
    found: dict[int, set[str]] = defaultdict(set)
    for tenant_id, userids in session.execute(
        select(AddFriendList.tenant_id, AddFriendList.userids).where(
            AddFriendList.state.in_(["importing", "active"])
        )
    ):
        found[tenant_id].update(userids)
    return dict(found)
