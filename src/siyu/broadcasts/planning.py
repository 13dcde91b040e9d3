"""Planning a broadcast: who receives it, from which staff account, in which WeCom task.

A customer who is the friend of several accounts receives it once, from their owner account
(else from the account that added them last). Customers over the tenant's frequency cap or over
WeCom's receive limit (by Siyu's own record) are kept as such, not dropped. The rest are split per
sender into tasks of at most WeCom's per-call number of recipients. Recipients and tasks are
written in the planning transaction: the unique (broadcast, sender, chunk) of each task is the
idempotency key of the WeCom call that later creates it.

Built for big audiences: customer ids stream from the audience index in batches, the rest lives
in flat arrays (a few bytes per recipient), and PostgreSQL receives the recipients by COPY.
"""

from __future__ import annotations

import datetime as dt
from array import array
from collections.abc import Iterator, Sequence
from typing import Any, cast

import numpy as np
import psycopg
from pyroaring import BitMap
from sqlalchemy import BigInteger, String, Table, bindparam, func, insert, select, text
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
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
)
from siyu.broadcasts.schemas import GroupsAudience
from siyu.customers.models import FRIEND, Customer, Follow
from siyu.staff.models import StaffAccount

CUSTOMER_CHUNK = 10_000  # external_userid per add_msg_template call
GROUP_CHUNK = 2_000  # chat_id_list per call
PG_BATCH, SQLITE_BATCH = 50_000, 5_000
COPY_BLOCK = 100_000
NULL = "\\N"
STATUSES = (R_PLANNED, R_OVER_CAP, R_OVER_LIMIT, R_NO_SENDER)
PLANNED, OVER_CAP, OVER_LIMIT, NO_SENDER = range(4)

_BIGINT_ARRAY = ARRAY(BigInteger)
# One row per batch: the customers with a friend among the senders, and the sender chosen for
# each (the owner account if it is one, else the account that added them last).
_CHOSEN_PG = text(
    "SELECT array_agg(customer_id ORDER BY customer_id), array_agg(userid ORDER BY customer_id)"
    " FROM (SELECT DISTINCT ON (f.customer_id) f.customer_id, f.userid FROM follows f"
    " JOIN customers c ON c.id = f.customer_id"
    " WHERE f.tenant_id = :tenant AND f.status = 'friend' AND f.customer_id = ANY(:ids)"
    " AND f.userid = ANY(:senders)"
    " ORDER BY f.customer_id, coalesce(f.userid = c.owner_userid, false) DESC,"
    " f.added_at DESC) chosen"
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)), bindparam("senders", type_=ARRAY(String)))
_FOLLOWS_PG = text(
    "SELECT f.customer_id, f.userid, c.owner_userid FROM follows f "
    "JOIN customers c ON c.id = f.customer_id "
    "WHERE f.tenant_id = :tenant AND f.status = 'friend' AND f.customer_id = ANY(:ids) "
    "ORDER BY f.customer_id, f.added_at DESC"
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
    capped = _at_least(session, broadcast, "customer_id", since, REACHING, settings.cap_count)
    limited = _at_least(session, broadcast, "customer_id", window, (R_SENT,), limit)
    plan_ = Plan()
    if session.get_bind().dialect.name == "postgresql":
        chosen, users = _choose_on_postgres(session, broadcast.tenant_id, ids, senders)
        codes = np.full(len(chosen), PLANNED, dtype=np.int8)
        codes[np.isin(chosen, np.array(capped.to_array(), dtype=np.int64))] = OVER_CAP
        codes[np.isin(chosen, np.array(limited.to_array(), dtype=np.int64))] = OVER_LIMIT
        plan_.add_many(chosen, users, codes)
        seen = BitMap(chosen.astype(np.uint32))
    else:
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


def _choose_on_postgres(
    session: Session, tenant_id: int, ids: BitMap, senders: set[str]
) -> tuple[Any, list[str]]:
    """:func:`choose_senders` done by PostgreSQL, a batch of customers per query, as arrays."""
    everyone = np.array(ids.to_array(), dtype=np.int64)
    accounts = sorted(senders)
    parts: list[Any] = []
    users: list[str] = []
    for start in range(0, len(everyone), PG_BATCH):
        part = everyone[start : start + PG_BATCH].tolist()
        found, chosen = session.execute(
            _CHOSEN_PG, {"tenant": tenant_id, "ids": part, "senders": accounts}
        ).one()
        if found:
            parts.append(np.array(found, dtype=np.int64))
            users.extend(chosen)
    if not parts:
        return np.zeros(0, dtype=np.int64), []
    return np.concatenate(parts), users


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
    postgres = session.get_bind().dialect.name == "postgresql"
    batch = PG_BATCH if postgres else SQLITE_BATCH
    for start in range(0, len(everyone), batch):
        part = everyone[start : start + batch]
        if postgres:
            rows: Any = session.execute(
                _FOLLOWS_PG.bindparams(bindparam("ids", type_=_BIGINT_ARRAY)),
                {"tenant": tenant_id, "ids": list(part)},
            )
        else:
            rows = session.execute(
                select(Follow.customer_id, Follow.userid, Customer.owner_userid)
                .join(Customer, Customer.id == Follow.customer_id)
                .where(
                    Follow.tenant_id == tenant_id,
                    Follow.status == FRIEND,
                    Follow.customer_id.in_(list(part)),
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

    def add_many(self, targets: Any, senders: list[str], codes: Any) -> None:
        """Many recipients at once: target ids, their senders' userids, their status codes."""
        if not len(targets):
            return
        names, inverse = np.unique(np.array(senders, dtype=object), return_inverse=True)
        for name in names:
            if name not in self.index:
                self.index[name] = len(self.names)
                self.names.append(name)
        positions = np.array([self.index[n] for n in names], dtype=np.int32)[inverse]
        self.targets.frombytes(np.asarray(targets, dtype=np.int64).tobytes())
        self.senders.frombytes(positions.astype(np.int32).tobytes())
        self.codes.frombytes(np.asarray(codes, dtype=np.int8).tobytes())

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
                "state": "planned",
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
    columns = ("tenant_id", "broadcast_id", "task_id", column, "sender", "status", "at")
    if session.get_bind().dialect.name == "postgresql":
        raw = cast(psycopg.Connection[Any], session.connection().connection.dbapi_connection)
        statement = f"COPY broadcast_recipients ({', '.join(columns)}) FROM STDIN"
        head = f"{broadcast.tenant_id}\t{broadcast.id}\t"
        stamp = now.isoformat()
        tails = {
            (sender, code): f"\t{_copy_text(names[sender])}\t{STATUSES[code]}\t{stamp}\n"
            for sender, code in set(zip(senders.tolist(), codes.tolist(), strict=True))
        }
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for start in range(0, len(targets), COPY_BLOCK):
                end = start + COPY_BLOCK
                copy.write(
                    "".join(
                        f"{head}{task or NULL}\t{target}{tails[(sender, code)]}"
                        for target, sender, code, task in zip(
                            targets[start:end].tolist(),
                            senders[start:end].tolist(),
                            codes[start:end].tolist(),
                            tasks[start:end].tolist(),
                            strict=True,
                        )
                    )
                )
        return
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


def _copy_text(value: str) -> str:
    """A value in COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )
