"""Building an audience index from whole columns at once (numpy arrays), as read from
PostgreSQL by binary COPY — or made up by the segments benchmark, through the same code."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
    chat_day: Any = None  # day of the last message the customer wrote, -1 for none
    chat_count: Any = None  # messages the customer wrote, capped at index.CHAT_CAP


def bitmap(ids: Any) -> BitMap:
    return BitMap(array("I", np.ascontiguousarray(ids, dtype=np.uint32).tobytes()))


def bucket(ids: Any, keys: Any) -> Iterator[tuple[int, BitMap]]:
    """One bitmap per distinct key (``keys`` an integer array parallel to ``ids``)."""
    if not len(ids):
        return
    low, high = int(keys.min()), int(keys.max())
    if high - low < 65_536:
        # Small key ranges: a radix sort of 16-bit keys, and the counts by bincount.
        offsets = (keys - low).astype(np.uint16)
        order = np.argsort(offsets, kind="stable")
        counts = np.bincount(offsets, minlength=high - low + 1)
        values = np.flatnonzero(counts)
        ends = np.cumsum(counts)
        sorted_ids = ids[order]
        for value in values:
            end = int(ends[value])
            yield int(value) + low, bitmap(sorted_ids[end - int(counts[value]) : end])
        return
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    sorted_ids = ids[order]
    cuts = np.flatnonzero(np.diff(sorted_keys)) + 1
    starts = [0, *cuts.tolist()]
    stops = [*cuts.tolist(), len(sorted_keys)]
    for start, stop in zip(starts, stops, strict=True):
        yield int(sorted_keys[start]), bitmap(sorted_ids[start:stop])


def _dates(dates: ix.Dates, ids: Any, days: Any) -> None:
    dated = days >= 0
    dates.any = bitmap(ids[dated])
    dates.days = dict(bucket(ids[dated], days[dated]))
    if dated.any():
        months = np.array([ix.month_of(d) for d in range(int(days.max()) + 1)], dtype=np.int32)
        dates.months = dict(bucket(ids[dated], months[days[dated]]))


def index_from_columns(tenant_id: int, c: Columns) -> ix.SegmentIndex:
    index = ix.SegmentIndex(tenant_id)
    # The tags (most of the work) are sorted on a second thread: numpy sorts without the GIL.
    pool = ThreadPoolExecutor(max_workers=1)
    tag_bitmaps = pool.submit(lambda: dict(bucket(c.tag_customers.astype(np.uint32), c.tag_ids)))
    pool.shutdown(wait=False)
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
    _dates(index.added, ids, c.added_day[live])
    if c.chat_day is not None:
        _dates(index.chatted, ids, c.chat_day[live])
    if c.chat_count is not None:
        counts = np.minimum(c.chat_count[live], ix.CHAT_CAP)
        wrote = counts > 0
        index.chat_counts = dict(bucket(ids[wrote], counts[wrote]))
    born = c.birthday[live]
    known = born >= 0
    index.birth_any = bitmap(ids[known])
    index.birth_days = {(k // 100, k % 100): bm for k, bm in bucket(ids[known], born[known])}
    tags = tag_bitmaps.result()
    for tag, tagged in tags.items():
        tagged.intersection_update(index.universe)
        if tagged:
            index.tags[tag] = tagged
    for group, members in c.groups.items():
        held = bitmap(members) & index.universe
        if held:
            index.groups[group] = held
    return index
