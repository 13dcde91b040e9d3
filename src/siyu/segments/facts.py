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
from typing import Any, cast

import numpy as np
import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.codes.routing import LOCAL_TZ
from siyu.customers.models import ACTIVE, LOST, Customer
from siyu.segments import bulk
from siyu.segments import index as ix
from siyu.segments.sql import current_memberships
from siyu.tags.models import CustomerTag

CHUNK = 20_000
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


def _read(session: Session, tenant_id: int, ids: list[int] | None) -> dict[int, ix.Facts]:
    query = select(*COLUMNS).where(Customer.tenant_id == tenant_id)
    tags_q = select(CustomerTag.customer_id, CustomerTag.tag_id).where(
        CustomerTag.tenant_id == tenant_id
    )
    if ids is not None:
        query = query.where(Customer.id.in_(ids))
        tags_q = tags_q.where(CustomerTag.customer_id.in_(ids))
    tags: dict[int, list[int]] = defaultdict(list)
    for cid, tag in session.execute(tags_q):
        tags[cid].append(tag)
    groups: dict[int, list[int]] = defaultdict(list)
    for group, cid in session.execute(_memberships(tenant_id, ids)):
        groups[cid].append(group)
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


def build(session: Session, tenant_id: int) -> ix.SegmentIndex:
    """A fresh index of the whole tenant."""
    if session.get_bind().dialect.name == "postgresql":
        index = build_by_copy(session, tenant_id)
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


def _copy(session: Session, query: str, params: Sequence[Any], widths: Sequence[int]) -> Any:
    """Rows of fixed-width, never-null integer columns from ``COPY … (FORMAT binary)`` as a
    numpy structured array (fields ``f0``, ``f1``, …)."""
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i, width in enumerate(widths):
        fields += [(f"l{i}", ">i4"), (f"f{i}", f">i{width}")]
    dtype = np.dtype(fields)
    raw = cast(psycopg.Connection[Any], session.connection().connection.dbapi_connection)
    cursor = psycopg.ClientCursor(raw)
    parts: list[Any] = []
    buffer = b""
    header = True
    sql = cursor.mogrify(query, params)
    with cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT binary)") as copy:
        for block in copy:
            buffer += bytes(block)
            if header:
                if len(buffer) < 19:
                    continue
                (extension,) = struct.unpack(">i", buffer[15:19])
                buffer = buffer[19 + extension :]
                header = False
            whole = len(buffer) // dtype.itemsize * dtype.itemsize
            if whole:
                parts.append(np.frombuffer(buffer[:whole], dtype=dtype).copy())
                buffer = buffer[whole:]
    if buffer not in (b"", b"\xff\xff"):
        raise RuntimeError("COPY ended in the middle of a row")
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts)


def _distinct(session: Session, tenant_id: int, column: str) -> list[str]:
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    rows = raw.execute(
        f"SELECT DISTINCT coalesce({column}, '') FROM customers WHERE tenant_id = %s",  # noqa: S608
        (tenant_id,),
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


def build_by_copy(session: Session, tenant_id: int) -> ix.SegmentIndex:
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
    ]
    # Only fixed SQL fragments are joined here; the values travel as parameters.
    query = f"SELECT {', '.join(columns)} FROM customers c {' '.join(joins)} WHERE c.tenant_id = %s"  # noqa: S608
    rows = _copy(session, query, [*params, tenant_id], [4, 2, 2, 2, 2, 2, 2, 4, 2, 2])
    tags = _copy(
        session,
        "SELECT customer_id::int4, tag_id::int4 FROM customer_tags WHERE tenant_id = %s",
        [tenant_id],
        [4, 4],
    )
    groups: dict[int, list[int]] = defaultdict(list)
    for group, cid in session.execute(_memberships(tenant_id, None)):
        groups[group].append(cid)
    arrays = bulk.Columns(
        ids=rows["f0"],
        status=rows["f1"],
        text={name: (rows[f"f{i}"], vocab[name]) for i, name in enumerate(_TEXT_COLUMNS, 2)},
        gender=rows["f6"],
        store=rows["f7"],
        added_day=rows["f8"],
        birthday=rows["f9"],
        tag_customers=tags["f0"],
        tag_ids=tags["f1"],
        groups={g: np.array(c, dtype=np.uint32) for g, c in groups.items()},
    )
    return bulk.index_from_columns(tenant_id, arrays)
