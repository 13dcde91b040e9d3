"""Planning a broadcast: who receives it, from which staff account, in which WeCom task.

A customer who is the friend of several accounts receives it once, from their owner account
(else from the account that added them last). Customers over the tenant's frequency cap or over
WeCom's receive limit (by Siyu's own record) are kept as such, not dropped. The rest are split per
sender into tasks of at most WeCom's per-call number of recipients. Recipients and tasks are
written in the planning transaction: the unique (broadcast, sender, chunk) of each task is the
idempotency key of the WeCom call that later creates it.

Built for big audiences. On PostgreSQL no customer passes through Python: the audience index's
ids arrive by COPY in a temporary table and each step is one statement over all of them. SQLite
streams the customers' follows in batches and keeps the plan in flat arrays (a few bytes per
recipient).
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, cast

import numpy as np
import psycopg
from pyroaring import BitMap
from sqlalchemy import String, Table, bindparam, func, insert, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from siyu.broadcasts import audience as audiences
from siyu.broadcasts import service
from siyu.broadcasts.models import (
    GROUP,
    R_NO_SENDER,
    R_OVER_CAP,
    R_OVER_LIMIT,
    R_PLANNED,
    R_SENT,
    REACHING,
    T_PLANNED,
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
)
from siyu.broadcasts.schemas import GroupsAudience
from siyu.customers.models import FRIEND, Customer, Follow
from siyu.staff.models import StaffAccount

CUSTOMER_CHUNK = 10_000  # external_userid per add_msg_template call
GROUP_CHUNK = 2_000  # chat_id_list per call
BATCH = 5_000  # customers per query of their follows
COPY_BLOCK = 100_000
STATUSES = (R_PLANNED, R_OVER_CAP, R_OVER_LIMIT, R_NO_SENDER)
PLANNED, OVER_CAP, OVER_LIMIT, NO_SENDER = range(4)

# PostgreSQL plans a customer broadcast in its own tables, no customer passing through Python:
# the audience arrives by COPY, then each step is one statement over the whole audience.
_PG_HELD = text(
    "CREATE TEMP TABLE plan_held ON COMMIT DROP AS"
    " SELECT customer_id,"
    " count(*) FILTER (WHERE at >= :since AND status = ANY(:reaching)) >= :cap AS capped,"
    " count(*) FILTER (WHERE at >= :window AND status = :sent) >= :limit AS limited"
    " FROM broadcast_recipients WHERE tenant_id = :tenant AND at >= least(:since, :window)"
    " AND broadcast_id <> :broadcast AND customer_id IS NOT NULL GROUP BY customer_id"
).bindparams(bindparam("reaching", type_=ARRAY(String)))
# Each customer's sender (the owner account if it is an active sender and a friend, else the
# sender who added them last), their status, and for the planned their chunk: the position
# among the sender's planned customers // the chunk size. Rows come out by sender and customer.
_PG_ROWS = text(
    "CREATE TEMP TABLE plan_rows ON COMMIT DROP AS"
    " WITH chosen AS (SELECT DISTINCT ON (f.customer_id) f.customer_id, f.userid"
    " FROM plan_audience a JOIN follows f ON f.customer_id = a.customer_id"
    " JOIN customers c ON c.id = f.customer_id"
    " JOIN staff_accounts s ON s.tenant_id = f.tenant_id AND s.userid = f.userid"
    " AND s.status = 'active' AND s.customer_contact"
    " WHERE f.tenant_id = :tenant AND f.status = 'friend'"
    " ORDER BY f.customer_id, coalesce(f.userid = c.owner_userid, false) DESC,"
    " f.added_at DESC),"
    " judged AS (SELECT a.customer_id, coalesce(ch.userid, '') AS sender,"
    " CASE WHEN ch.userid IS NULL THEN :no_sender WHEN h.limited THEN :over_limit"
    " WHEN h.capped THEN :over_cap ELSE :planned END AS status"
    " FROM plan_audience a LEFT JOIN chosen ch ON ch.customer_id = a.customer_id"
    " LEFT JOIN plan_held h ON h.customer_id = a.customer_id)"
    " SELECT customer_id, sender, status, CASE WHEN status = :planned THEN"
    " (row_number() OVER (PARTITION BY sender, status ORDER BY customer_id) - 1) / :chunk"
    " END AS chunk FROM judged"
)
_PG_TASKS = text(
    "INSERT INTO broadcast_tasks (tenant_id, broadcast_id, sender, chunk, recipients, state,"
    " claim, rate_limited, confirmed, reminders, error)"
    " SELECT :tenant, :broadcast, sender, chunk, count(*), :task_planned, '', 0, false,"
    " CAST('[]' AS jsonb), '' FROM plan_rows WHERE status = :planned"
    " GROUP BY sender, chunk ORDER BY sender, chunk"
)
_PG_RECIPIENTS = text(
    "INSERT INTO broadcast_recipients (tenant_id, broadcast_id, task_id, customer_id, sender,"
    " status, at) SELECT :tenant, :broadcast, t.id, r.customer_id, r.sender, r.status, :now"
    " FROM plan_rows r LEFT JOIN broadcast_tasks t ON t.broadcast_id = :broadcast"
    " AND t.sender = r.sender AND t.chunk = r.chunk"
)


def plan(session: Session, broadcast: Broadcast, now: dt.datetime) -> dict[str, int]:
    """Write the broadcast's recipients and tasks; answers the counts by status."""
    settings = service.settings_of(session, broadcast.tenant_id)
    limit, window = service.receive_window(settings.wecom_policy, now)
    senders = active_senders(session, broadcast.tenant_id)
    if broadcast.chat_type == GROUP:
        audience = cast(GroupsAudience, audiences.parse(broadcast.audience))
        targets = audiences.groups(session, broadcast.tenant_id, audience)
        limited = _at_least(session, broadcast, "group_id", window, (R_SENT,), limit)
        plan_ = Plan()
        for group in targets:
            if group.owner not in senders:
                plan_.add(group.id, "", NO_SENDER)
            elif group.id in limited:
                plan_.add(group.id, group.owner, OVER_LIMIT)
            else:
                plan_.add(group.id, group.owner, PLANNED)
        return plan_.write(session, broadcast, now, "group_id", GROUP_CHUNK)
    ids = audiences.customers(session, broadcast.tenant_id, audiences.parse(broadcast.audience))
    since = now - dt.timedelta(days=settings.cap_days)
    if session.get_bind().dialect.name == "postgresql":
        held = {
            "since": since,
            "cap": settings.cap_count,
            "window": window,
            "limit": limit,
            "reaching": list(REACHING),
            "sent": R_SENT,
        }
        return _plan_on_postgres(session, broadcast, now, ids, held)
    capped = _at_least(session, broadcast, "customer_id", since, REACHING, settings.cap_count)
    limited = _at_least(session, broadcast, "customer_id", window, (R_SENT,), limit)
    plan_ = Plan()
    seen = BitMap()
    for customer_id, sender in choose_senders(session, broadcast.tenant_id, ids, senders):
        seen.add(customer_id)
        if customer_id in limited:
            plan_.add(customer_id, sender, OVER_LIMIT)
        elif customer_id in capped:
            plan_.add(customer_id, sender, OVER_CAP)
        else:
            plan_.add(customer_id, sender, PLANNED)
    for customer_id in ids - seen:
        plan_.add(customer_id, "", NO_SENDER)
    return plan_.write(session, broadcast, now, "customer_id", CUSTOMER_CHUNK)


def _plan_on_postgres(
    session: Session, broadcast: Broadcast, now: dt.datetime, ids: BitMap, held: dict[str, Any]
) -> dict[str, int]:
    """:func:`plan` for customers, done by PostgreSQL in the planning transaction, over
    temporary tables of its own."""
    keys = {"tenant": broadcast.tenant_id, "broadcast": broadcast.id}
    # Sorts of a whole audience: in memory for this transaction rather than through disk.
    session.execute(text("SET LOCAL work_mem = '128MB'"))
    session.execute(text("CREATE TEMP TABLE plan_audience (customer_id bigint) ON COMMIT DROP"))
    raw = cast(psycopg.Connection[Any], session.connection().connection.dbapi_connection)
    everyone = np.array(ids.to_array(), dtype=np.int64)
    with raw.cursor() as cursor, cursor.copy("COPY plan_audience FROM STDIN") as copy:
        for start in range(0, len(everyone), COPY_BLOCK):
            block = everyone[start : start + COPY_BLOCK].tolist()
            copy.write("".join(f"{customer_id}\n" for customer_id in block))
    del everyone
    session.execute(text("ANALYZE plan_audience"))
    session.execute(_PG_HELD, {**keys, **held})
    statuses = {
        "planned": R_PLANNED,
        "no_sender": R_NO_SENDER,
        "over_limit": R_OVER_LIMIT,
        "over_cap": R_OVER_CAP,
    }
    session.execute(_PG_ROWS, {**keys, **statuses, "chunk": CUSTOMER_CHUNK})
    session.execute(_PG_TASKS, {**keys, "planned": R_PLANNED, "task_planned": T_PLANNED})
    session.execute(_PG_RECIPIENTS, {**keys, "now": now})
    rows = session.execute(text("SELECT status, count(*) FROM plan_rows GROUP BY status"))
    counts = {str(status): int(n) for status, n in rows}
    counts["total"] = sum(counts.values())
    broadcast.counts = counts
    # Another broadcast may be planned in the same transaction.
    session.execute(text("DROP TABLE plan_rows, plan_held, plan_audience"))
    return counts


def active_senders(session: Session, tenant_id: int) -> set[str]:
    """Staff accounts that can send: in the company and with customer contact."""
    return set(
        session.scalars(
            select(StaffAccount.userid).where(
                StaffAccount.tenant_id == tenant_id,
                StaffAccount.status == "active",
                StaffAccount.customer_contact.is_(True),
            )
        )
    )


def choose_senders(
    session: Session, tenant_id: int, ids: BitMap, senders: set[str]
) -> Iterator[tuple[int, str]]:
    """(customer, sender) for every customer of ``ids`` with a friend among ``senders``: the
    owner account if it is one, else the account that added them last."""
    current, candidates, owner = -1, "", None
    for customer_id, userid, owner_userid in _follows(session, tenant_id, ids):
        if customer_id != current:
            if candidates:
                yield current, candidates
            current, candidates, owner = customer_id, "", owner_userid
        if userid not in senders or (candidates and candidates == owner):
            continue
        if not candidates or userid == owner:
            candidates = userid
    if candidates:
        yield current, candidates


def _follows(session: Session, tenant_id: int, ids: BitMap) -> Iterator[tuple[int, str, str]]:
    """Friend follows of the customers, by customer, the latest added first."""
    everyone = ids.to_array()
    for start in range(0, len(everyone), BATCH):
        rows = session.execute(
            select(Follow.customer_id, Follow.userid, Customer.owner_userid)
            .join(Customer, Customer.id == Follow.customer_id)
            .where(
                Follow.tenant_id == tenant_id,
                Follow.status == FRIEND,
                Follow.customer_id.in_(list(everyone[start : start + BATCH])),
            )
            .order_by(Follow.customer_id, Follow.added_at.desc())
        )
        for customer_id, userid, owner in rows:
            yield int(customer_id), userid, owner or ""


def _at_least(
    session: Session,
    broadcast: Broadcast,
    column: str,
    since: dt.datetime,
    statuses: Sequence[str],
    times: int,
) -> BitMap:
    """Customers (or groups) that already had ``times`` broadcasts of ``statuses`` since then."""
    target = getattr(BroadcastRecipient, column)
    rows = session.scalars(
        select(target)
        .where(
            BroadcastRecipient.tenant_id == broadcast.tenant_id,
            BroadcastRecipient.at >= since,
            BroadcastRecipient.status.in_(statuses),
            BroadcastRecipient.broadcast_id != broadcast.id,
            target.is_not(None),
        )
        .group_by(target)
        .having(func.count() >= times)
    )
    return BitMap(int(i) for i in rows)


class Plan:
    """Recipients in flat arrays: target id, sender index, status code."""

    def __init__(self) -> None:
        self.names: list[str] = [""]
        self.index: dict[str, int] = {"": 0}
        self.targets = array("q")
        self.senders = array("i")
        self.codes = array("b")

    def add(self, target: int, sender: str, code: int) -> None:
        position = self.index.get(sender)
        if position is None:
            position = self.index[sender] = len(self.names)
            self.names.append(sender)
        self.targets.append(target)
        self.senders.append(position)
        self.codes.append(code)

    def write(
        self, session: Session, broadcast: Broadcast, now: dt.datetime, column: str, chunk: int
    ) -> dict[str, int]:
        targets = np.frombuffer(self.targets, dtype=np.int64)
        senders = np.frombuffer(self.senders, dtype=np.int32)
        codes = np.frombuffer(self.codes, dtype=np.int8)
        order = np.lexsort((targets, senders))  # by sender, then target
        targets, senders, codes = targets[order], senders[order], codes[order]
        planned = codes == PLANNED
        # Chunk number: position among the sender's planned recipients // chunk size.
        chunks = np.full(len(targets), -1, dtype=np.int64)
        p_senders = senders[planned]
        if len(p_senders):
            starts = np.r_[0, np.flatnonzero(np.diff(p_senders)) + 1]
            run_start = np.repeat(starts, np.diff(np.r_[starts, len(p_senders)]))
            chunks[planned] = (np.arange(len(p_senders)) - run_start) // chunk
        task_ids = self._tasks(session, broadcast, senders[planned], chunks[planned])
        keys, inverse = np.unique(
            senders.astype(np.int64) * (1 << 32) + chunks, return_inverse=True
        )
        by_key = np.array([task_ids.get(int(k), 0) for k in keys], dtype=np.int64)
        tasks = np.where(planned, by_key[inverse], 0)
        _insert_recipients(
            session, broadcast, now, column, targets, senders, codes, tasks, self.names
        )
        values, sizes = np.unique(codes, return_counts=True)
        counts = {STATUSES[c]: int(n) for c, n in zip(values, sizes, strict=True)}
        counts["total"] = len(targets)
        broadcast.counts = counts
        return counts

    def _tasks(
        self, session: Session, broadcast: Broadcast, senders: Any, chunks: Any
    ) -> dict[int, int]:
        """Insert one task per (sender, chunk); answers task ids by packed key."""
        if not len(senders):
            return {}
        keys, sizes = np.unique(senders.astype(np.int64) * (1 << 32) + chunks, return_counts=True)
        rows = [
            {
                "tenant_id": broadcast.tenant_id,
                "broadcast_id": broadcast.id,
                "sender": self.names[int(key >> 32)],
                "chunk": int(key & 0xFFFFFFFF),
                "recipients": int(size),
                "state": T_PLANNED,
                "claim": "",
                "rate_limited": 0,
                "confirmed": False,
                "reminders": [],
                "error": "",
            }
            for key, size in zip(keys, sizes, strict=True)
        ]
        table = cast(Table, BroadcastTask.__table__)
        found: dict[int, int] = {}
        statement = insert(table).returning(table.c.id, table.c.sender, table.c.chunk)
        for task_id, sender, chunk in session.execute(statement, rows):
            found[self.index[sender] * (1 << 32) + int(chunk)] = int(task_id)
        return found


def _insert_recipients(
    session: Session,
    broadcast: Broadcast,
    now: dt.datetime,
    column: str,
    targets: Any,
    senders: Any,
    codes: Any,
    tasks: Any,
    names: list[str],
) -> None:
    table = cast(Table, BroadcastRecipient.__table__)
    rows = [
        {
            "tenant_id": broadcast.tenant_id,
            "broadcast_id": broadcast.id,
            "task_id": task or None,
            column: target,
            "sender": names[sender],
            "status": STATUSES[code],
            "at": now,
        }
        for target, sender, code, task in zip(
            targets.tolist(), senders.tolist(), codes.tolist(), tasks.tolist(), strict=True
        )
    ]
    for start in range(0, len(rows), 5000):
        session.execute(insert(table), rows[start : start + 5000])
