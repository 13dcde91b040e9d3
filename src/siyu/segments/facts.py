"""Reading customers' facts for the audience index: a few customers after a change, or a
whole tenant to build the index. The SQL evaluator reads the same columns, so the two agree.

A whole tenant on PostgreSQL is read with binary ``COPY`` into numpy arrays and bucketed there:
row-at-a-time reading would spend minutes in Python at ten million customers.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import numpy as np
import psycopg
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from siyu.chats.models import CustomerChatStats
from siyu.codes.routing import LOCAL_TZ
from siyu.customers.models import ACTIVE, LOST, Customer
from siyu.segments import bulk
from siyu.segments import index as ix
from siyu.segments.sql import current_memberships
from siyu.tags.models import CustomerTag

CHUNK = 20_000
RANGE = 2_000_000  # customer ids per COPY when building from PostgreSQL
COLUMNS = (
    Customer.id,
    Customer.status,
    Customer.city,
    Customer.member_level,
    Customer.source_channel,
    Customer.owner_userid,
    Customer.gender,
    Customer.store_id,
    Customer.first_added_at,
    Customer.birthday,
)


def _status(value: str) -> int:
    return ix.FRIEND if value == ACTIVE else ix.LOST if value == LOST else 0


def _added_day(moment: dt.datetime | None) -> int | None:
    if moment is None:
        return None
    return ix.day_number(moment.astimezone(LOCAL_TZ).date())


def facts_of(session: Session, tenant_id: int, ids: Sequence[int]) -> list[ix.Facts]:
    """The facts of these customers; ids not found come back as gone (status 0)."""
    found: dict[int, ix.Facts] = {}
    for start in range(0, len(ids), CHUNK):
        found.update(_read(session, tenant_id, list(ids[start : start + CHUNK])))
    return [found.get(cid) or ix.Facts(cid, 0) for cid in ids]


def _read(session: Session, tenant_id: int, ids: list[int]) -> dict[int, ix.Facts]:
    query = select(*COLUMNS).where(Customer.tenant_id == tenant_id)
    query = query.where(Customer.id.in_(ids))
    tags_q = select(CustomerTag.customer_id, CustomerTag.tag_id).where(
        CustomerTag.tenant_id == tenant_id, CustomerTag.customer_id.in_(ids)
    )
    tags: dict[int, list[int]] = defaultdict(list)
    for cid, tag in session.execute(tags_q):
        tags[cid].append(tag)
    groups: dict[int, list[int]] = defaultdict(list)
    for group, cid in session.execute(_memberships(tenant_id, ids)):
        groups[cid].append(group)
    chats_q = select(
        CustomerChatStats.customer_id,
        CustomerChatStats.last_inbound_at,
        CustomerChatStats.inbound_count,
    ).where(CustomerChatStats.tenant_id == tenant_id, CustomerChatStats.customer_id.in_(ids))
    chats = {cid: (last, count) for cid, last, count in session.execute(chats_q)}
    out: dict[int, ix.Facts] = {}
    for row in session.execute(query):
        out[row.id] = ix.Facts(
            id=row.id,
            status=_status(row.status),
            city=row.city or "",
            level=row.member_level or "",
            channel=row.source_channel or "",
            owner=row.owner_userid or "",
            gender=row.gender,
            store=row.store_id,
            added_day=_added_day(row.first_added_at),
            birthday=(row.birthday.month, row.birthday.day) if row.birthday else None,
            tags=tuple(sorted(tags.get(row.id, ()))),
            groups=tuple(sorted(groups.get(row.id, ()))),
            chat_day=_added_day(chats[row.id][0]) if row.id in chats else None,
            chat_count=chats[row.id][1] if row.id in chats else 0,
        )
    return out


def _memberships(tenant_id: int, ids: list[int] | None) -> Any:
    from siyu.groups.models import GroupMember

    query = current_memberships().where(GroupMember.tenant_id == tenant_id)
    if ids is not None:
        query = query.where(GroupMember.customer_id.in_(ids))
    return query


def tenant_ids(session: Session, tenant_id: int) -> Iterator[list[int]]:
    """The tenant's customer ids, a chunk at a time, by id."""
    last = 0
    while True:
        chunk = list(
            session.scalars(
                select(Customer.id)
                .where(Customer.tenant_id == tenant_id, Customer.id > last)
                .order_by(Customer.id)
                .limit(CHUNK)
            )
        )
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


def build(session: Session, tenant_id: int, *, parallel: bool = False) -> ix.SegmentIndex:
    """A fresh index of the whole tenant. ``parallel``: on PostgreSQL, read customers and their
    tags over two connections at once (they see only committed data)."""
    if session.get_bind().dialect.name == "postgresql":
        index = build_by_copy(session, tenant_id, parallel=parallel)
    else:
        index = build_by_rows(session, tenant_id)
    index.optimize()
    return index


def build_by_rows(session: Session, tenant_id: int) -> ix.SegmentIndex:
    index = ix.SegmentIndex(tenant_id)
    for chunk in tenant_ids(session, tenant_id):
        index.put(facts_of(session, tenant_id, chunk))
    index.prune()
    return index


# --- PostgreSQL: binary COPY into numpy --------------------------------------------------------

_TEXT_COLUMNS = {
    "city": "city",
    "level": "member_level",
    "channel": "source_channel",
    "owner": "owner_userid",
}


def _copy_arrays(
    session: Session, query: str, params: Sequence[Any], widths: Sequence[int]
) -> list[Any]:
    """One row of integer arrays (``array_agg`` of never-null values) read with ``COPY …
    (FORMAT binary)``, as numpy arrays. Few, large rows: reading row by row would cost a Python
    round per row."""
    raw = cast(psycopg.Connection[Any], session.connection().connection.dbapi_connection)
    # The joins on the small value lists (cities, owners, …) are estimated at a row or two when
    # a column holds few values, and a nested loop over 5,000 owners per customer follows:
    # minutes instead of seconds. Hash joins are always right here.
    raw.execute("SET LOCAL enable_nestloop = off")
    cursor = psycopg.ClientCursor(raw)
    data = bytearray()
    with cursor.copy(f"COPY ({cursor.mogrify(query, params)}) TO STDOUT (FORMAT binary)") as copy:
        for block in copy:
            data += block
    (extension,) = struct.unpack_from(">i", data, 15)
    at = 19 + extension
    out: list[Any] = []
    while True:
        (fields,) = struct.unpack_from(">h", data, at)
        at += 2
        if fields == -1:
            break
        row = []
        for width in widths:
            (length,) = struct.unpack_from(">i", data, at)
            at += 4
            if length <= 0:  # NULL: no rows in the range
                row.append(np.zeros(0, dtype=f"<i{width}"))
                continue
            ndim, _flags, _oid = struct.unpack_from(">iii", data, at)
            header = 12 + 8 * ndim
            pairs = np.frombuffer(
                bytes(data[at + header : at + length]),
                dtype=np.dtype([("l", ">i4"), ("v", f">i{width}")]),
            )
            row.append(pairs["v"].astype(f"<i{width}"))
            at += length
        out.append(row)
    if not out:
        return [np.zeros(0, dtype=f"<i{w}") for w in widths]
    return [np.concatenate([r[i] for r in out]) for i in range(len(widths))]


def _ranges(session: Session, tenant_id: int) -> list[tuple[int, int]]:
    """Id ranges of the tenant's customers, a few million ids each, to read one at a time."""
    low, high = session.execute(
        select(func.min(Customer.id), func.max(Customer.id)).where(Customer.tenant_id == tenant_id)
    ).one()
    if low is None:
        return []
    return [(lo, min(lo + RANGE - 1, high)) for lo in range(low, high + 1, RANGE)]


def _read_ranges(
    session: Session, tenant_id: int, query: str, params: list[Any], widths: Sequence[int]
) -> list[Any]:
    parts = [
        _copy_arrays(session, query, [*params, tenant_id, lo, hi], widths)
        for lo, hi in _ranges(session, tenant_id)
    ]
    if not parts:
        return [np.zeros(0, dtype=f"<i{w}") for w in widths]
    return [np.concatenate([p[i] for p in parts]) for i in range(len(widths))]


def _distinct(session: Session, tenant_id: int, column: str) -> list[str]:
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    rows = raw.execute(
        f"SELECT DISTINCT coalesce({column}, '') FROM customers WHERE tenant_id = %s",  # noqa: S608
        (tenant_id,),
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def build_by_copy(session: Session, tenant_id: int, *, parallel: bool = False) -> ix.SegmentIndex:
    vocab = {name: _distinct(session, tenant_id, col) for name, col in _TEXT_COLUMNS.items()}
    joins, codes, params = [], [], []
    for name, column in _TEXT_COLUMNS.items():
        joins.append(
            f"JOIN unnest(%s::text[]) WITH ORDINALITY AS v_{name}(value, code)"
            f" ON v_{name}.value = coalesce(c.{column}, '')"
        )
        codes.append(f"v_{name}.code::int2")
        params.append(vocab[name])
    columns = [
        "c.id::int4",
        "(CASE c.status WHEN 'active' THEN 1 WHEN 'lost' THEN 2 ELSE 0 END)::int2",
        *codes,
        "c.gender::int2",
        "coalesce(c.store_id, 0)::int4",
        "coalesce((timezone('Asia/Shanghai', c.first_added_at)::date - date '2000-01-01'), -1)"
        "::int2",
        "coalesce(extract(month from c.birthday)::int * 100 + extract(day from c.birthday)::int,"
        " -1)::int2",
        "coalesce((timezone('Asia/Shanghai', s.last_inbound_at)::date - date '2000-01-01'), -1)"
        "::int2",
        f"least(coalesce(s.inbound_count, 0), {ix.CHAT_CAP})::int2",
    ]
    joins.append(
        "LEFT JOIN customer_chat_stats s ON s.customer_id = c.id AND s.tenant_id = c.tenant_id"
    )
    aggregated = ", ".join(f"array_agg({c})" for c in columns)
    # Only fixed SQL fragments are joined here; the values travel as parameters.
    query = f"SELECT {aggregated} FROM customers c {' '.join(joins)} WHERE c.tenant_id = %s AND c.id BETWEEN %s AND %s"  # noqa: S608, E501
    reads: list[tuple[str, list[Any], list[int]]] = [
        (query, params, [4, 2, 2, 2, 2, 2, 2, 4, 2, 2, 2, 2]),
        (
            "SELECT array_agg(customer_id::int4), array_agg(tag_id::int4) FROM customer_tags"
            " WHERE tenant_id = %s AND customer_id BETWEEN %s AND %s",
            [],
            [4, 4],
        ),
    ]
    engine = session.get_bind()
    # Other connections are only possible from an engine (a session bound to one connection,
    # as in a test's transaction, reads serially).
    if parallel and isinstance(engine, Engine):

        def read(item: tuple[str, list[Any], list[int]]) -> list[Any]:
            with Session(bind=engine) as own:
                return _read_ranges(own, tenant_id, *item)

        with ThreadPoolExecutor(max_workers=len(reads)) as pool:
            f, tags = pool.map(read, reads)
    else:
        f, tags = (_read_ranges(session, tenant_id, *item) for item in reads)
    groups: dict[int, list[int]] = defaultdict(list)
    for group, cid in session.execute(_memberships(tenant_id, None)):
        groups[group].append(cid)
    arrays = bulk.Columns(
        ids=f[0],
        status=f[1],
        text={name: (f[i], vocab[name]) for i, name in enumerate(_TEXT_COLUMNS, 2)},
        gender=f[6],
        store=f[7],
        added_day=f[8],
        birthday=f[9],
        chat_day=f[10],
        chat_count=f[11],
        tag_customers=tags[0],
        tag_ids=tags[1],
        groups={g: np.array(c, dtype=np.uint32) for g, c in groups.items()},
    )
    return bulk.index_from_columns(tenant_id, arrays)
