"""Building an audience index from whole columns at once (numpy arrays), as read from
PostgreSQL by binary COPY — or made up by the segments benchmark, through the same code."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pyroaring import BitMap

from siyu.segments import index as ix


@dataclass
class Columns:
    """One entry per customer (``ids`` and the arrays beside it) and one per tag held.

    ``status``: FRIEND, LOST or 0 (gone). ``text``: per field, codes 1.. into its vocabulary.
    ``store``: 0 for none. ``added_day``: :func:`index.day_number`, -1 for none. ``birthday``:
    month * 100 + day, -1 for none."""

    ids: Any
    status: Any
    text: dict[str, tuple[Any, list[str]]]
    gender: Any
    store: Any
    added_day: Any
    birthday: Any
    tag_customers: Any
    tag_ids: Any
    groups: dict[int, Any] = field(default_factory=dict)


def bitmap(ids: Any) -> BitMap:
    return BitMap(array("I", np.ascontiguousarray(ids, dtype=np.uint32).tobytes()))


def bucket(ids: Any, keys: Any) -> Iterator[tuple[int, BitMap]]:
    """One bitmap per distinct key (``keys`` an integer array parallel to ``ids``)."""
    if not len(ids):
        return
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    sorted_ids = ids[order]
    values, starts = np.unique(sorted_keys, return_index=True)
    ends = [*starts[1:], len(sorted_keys)]
    for value, start, end in zip(values, starts, ends, strict=True):
        yield int(value), bitmap(sorted_ids[start:end])


def index_from_columns(tenant_id: int, c: Columns) -> ix.SegmentIndex:
    index = ix.SegmentIndex(tenant_id)
    live = c.status > 0
    if c.ids.size and (c.ids.max() > ix.MAX_ID or c.ids.min() < 1):
        raise ValueError("customer ids beyond the index's 32-bit ids")
    ids = c.ids[live].astype(np.uint32)
    status = c.status[live]
    index.universe = bitmap(ids)
    index.friends = bitmap(ids[status == ix.FRIEND])
    index.lost = bitmap(ids[status == ix.LOST])
    for name, (codes, words) in c.text.items():
        for code, bm in bucket(ids, codes[live]):
            index.text[name][words[code - 1]] = bm
    index.gender = dict(bucket(ids, c.gender[live]))
    index.store = {(None if k == 0 else k): bm for k, bm in bucket(ids, c.store[live])}
    added = c.added_day[live]
    dated = added >= 0
    index.added_any = bitmap(ids[dated])
    index.added_days = dict(bucket(ids[dated], added[dated]))
    if dated.any():
        months = np.array([ix.month_of(d) for d in range(int(added.max()) + 1)], dtype=np.int32)
        index.added_months = dict(bucket(ids[dated], months[added[dated]]))
    born = c.birthday[live]
    known = born >= 0
    index.birth_any = bitmap(ids[known])
    index.birth_days = {(k // 100, k % 100): bm for k, bm in bucket(ids[known], born[known])}
    for tag, tagged in bucket(c.tag_customers.astype(np.uint32), c.tag_ids):
        tagged.intersection_update(index.universe)
        if tagged:
            index.tags[tag] = tagged
    for group, members in c.groups.items():
        held = bitmap(members) & index.universe
        if held:
            index.groups[group] = held
    return index
