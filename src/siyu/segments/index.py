"""The in-memory audience index of one tenant: Roaring bitmaps of customer ids per tag, per
profile value, per day and month of adding and of birthday, per group. A rule is answered with
set operations, so a count over tens of millions of customers takes milliseconds.

The index holds no truth of its own: it is built from the facts the database gives
(:mod:`siyu.segments.facts`) and kept fresh by re-reading the facts of changed customers.
Re-applying a customer's facts is idempotent, so reading a change twice does no harm.

Dates of adding are kept per China day and per month, and a range is the union of the whole
months inside it and the days at its edges — or, when that is the smaller side, everything
dated minus the days and months outside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from pyroaring import BitMap

from siyu.segments.rules import And, Cond, Not, Or, Rule, birthdays, day_range
from siyu.segments.sql import Context

EPOCH = dt.date(2000, 1, 1)
MAX_ID = 2**32 - 1
TEXT = ("city", "level", "channel", "owner")
FRIEND, LOST = 1, 2  # Facts.status
CHAT_CAP = 100  # counts of messages are kept exactly up to this


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def month_of(day_no: int) -> int:
    day = EPOCH + dt.timedelta(days=day_no)
    return day.year * 12 + day.month - 1


@dataclass
class Facts:
    """What the index knows of one customer. ``status`` is FRIEND, LOST, or 0 when the
    customer is gone (erased or deleted): such a customer is in no bitmap."""

    id: int
    status: int
    city: str = ""
    level: str = ""
    channel: str = ""
    owner: str = ""
    gender: int = 0
    store: int | None = None
    added_day: int | None = None  # day_number of the China date of first adding
    birthday: tuple[int, int] | None = None  # (month, day)
    chat_day: int | None = None  # day_number of the customer's last 1:1 message
    chat_count: int = 0  # 1:1 messages the customer wrote
    tags: tuple[int, ...] = ()
    groups: tuple[int, ...] = ()


K = TypeVar("K", bound=Hashable)


def _add(buckets: dict[K, BitMap], key: K, cid: int) -> None:
    bm = buckets.get(key)
    if bm is None:
        buckets[key] = bm = BitMap()
    bm.add(cid)


class Dates:
    """Customers by a China day: a bitmap per day and per month, and everyone dated. A range
    is the union of the whole months inside it and the days at its edges — or, when that is the
    smaller side, everyone dated minus the days and months outside it."""

    def __init__(self) -> None:
        self.any = BitMap()
        self.days: dict[int, BitMap] = {}
        self.months: dict[int, BitMap] = {}

    def bitmaps(self) -> Iterator[BitMap]:
        yield self.any
        yield from self.days.values()
        yield from self.months.values()

    def add(self, cid: int, day: int) -> None:
        self.any.add(cid)
        _add(self.days, day, cid)
        _add(self.months, month_of(day), cid)

    def between(self, lo: int | None, hi: int | None) -> BitMap:
        """Customers dated lo..hi (day numbers, inclusive; None is open)."""
        if not self.days:
            return BitMap()
        first, last = min(self.days), max(self.days)
        lo = max(lo if lo is not None else first, first)
        hi = min(hi if hi is not None else last, last)
        if lo > hi:
            return BitMap()
        inside, outside = self._split(lo, hi, first, last)
        if sum(len(bm) for bm in outside) < sum(len(bm) for bm in inside):
            return self.any - BitMap.union(*outside) if outside else self.any.copy()
        return BitMap.union(*inside) if inside else BitMap()

    def _split(self, lo: int, hi: int, first: int, last: int) -> tuple[list[BitMap], list[BitMap]]:
        inside: list[BitMap] = []
        outside: list[BitMap] = []
        month = (EPOCH + dt.timedelta(days=first)).replace(day=1)
        while day_number(month) <= last:
            following = (month + dt.timedelta(days=32)).replace(day=1)
            start, end = day_number(month), day_number(following) - 1
            whole = self.months.get(month_of(start))
            if whole is not None:
                if end < lo or start > hi:
                    outside.append(whole)
                elif lo <= start and end <= hi:
                    inside.append(whole)
                else:
                    for day in range(start, end + 1):
                        bm = self.days.get(day)
                        if bm is not None:
                            (inside if lo <= day <= hi else outside).append(bm)
            month = following
        return inside, outside


class SegmentIndex:
    def __init__(self, tenant_id: int) -> None:
        self.tenant_id = tenant_id
        self.universe = BitMap()
        self.friends = BitMap()
        self.lost = BitMap()
        self.added = Dates()
        self.chatted = Dates()  # the day the customer last wrote in a 1:1 chat
        self.birth_any = BitMap()
        self.text: dict[str, dict[str, BitMap]] = {name: {} for name in TEXT}
        self.gender: dict[int, BitMap] = {}
        self.store: dict[int | None, BitMap] = {}
        self.chat_counts: dict[int, BitMap] = {}  # messages written, capped at CHAT_CAP
        self.birth_days: dict[tuple[int, int], BitMap] = {}
        self.tags: dict[int, BitMap] = {}
        self.groups: dict[int, BitMap] = {}

    # --- writing ------------------------------------------------------------------------------

    def _families(self) -> Iterator[dict[Any, BitMap]]:
        yield from self.text.values()
        yield from (
            self.gender,
            self.store,
            self.added.days,
            self.added.months,
            self.chatted.days,
            self.chatted.months,
            self.chat_counts,
            self.birth_days,
            self.tags,
            self.groups,
        )

    def bitmaps(self) -> Iterator[BitMap]:
        yield from (self.universe, self.friends, self.lost, self.birth_any)
        yield from (self.added.any, self.chatted.any)
        for family in self._families():
            yield from family.values()

    def remove(self, ids: Iterable[int]) -> None:
        gone = BitMap(ids)
        if not gone:
            return
        for bm in self.bitmaps():
            bm.difference_update(gone)

    def put(self, facts: Iterable[Facts]) -> None:
        """Set what the index knows of these customers, replacing what it knew."""
        batch = list(facts)
        self.remove(f.id for f in batch)
        for f in batch:
            if f.status not in (FRIEND, LOST):
                continue
            if not 0 < f.id <= MAX_ID:
                raise ValueError(f"customer id {f.id} is beyond the index's 32-bit ids")
            cid = f.id
            self.universe.add(cid)
            (self.friends if f.status == FRIEND else self.lost).add(cid)
            for name in TEXT:
                _add(self.text[name], getattr(f, name) or "", cid)
            _add(self.gender, f.gender, cid)
            _add(self.store, f.store, cid)
            if f.added_day is not None:
                self.added.add(cid, f.added_day)
            if f.chat_day is not None:
                self.chatted.add(cid, f.chat_day)
            if f.chat_count:
                _add(self.chat_counts, min(f.chat_count, CHAT_CAP), cid)
            if f.birthday is not None:
                self.birth_any.add(cid)
                _add(self.birth_days, f.birthday, cid)
            for tag in f.tags:
                _add(self.tags, tag, cid)
            for group in f.groups:
                _add(self.groups, group, cid)

    def prune(self) -> None:
        """Drop bitmaps left empty by removals."""
        for family in self._families():
            for key in [k for k, bm in family.items() if not bm]:
                del family[key]

    def optimize(self) -> None:
        for bm in self.bitmaps():
            bm.run_optimize()
            bm.shrink_to_fit()

    # --- reading ------------------------------------------------------------------------------

    def memory_bytes(self) -> int:
        total = 0
        for bm in self.bitmaps():
            stats = bm.get_statistics()
            total += (
                stats["n_bytes_array_containers"]
                + stats["n_bytes_run_containers"]
                + stats["n_bytes_bitset_containers"]
                + 16 * stats["n_containers"]
                + 64
            )
        return total

    def count(self, rule: Rule, ctx: Context) -> int:
        if isinstance(rule, And):
            counted = self._and(rule.parts, ctx, count=True)
            assert isinstance(counted, int)
            return counted
        return len(self._eval(rule, ctx)[0])

    def evaluate(self, rule: Rule, ctx: Context) -> BitMap:
        """The customers a rule selects, as a bitmap the caller may keep and change."""
        result, owned = self._eval(rule, ctx)
        return result if owned else result.copy()

    # Evaluation hands bitmaps around without copying them: ``owned`` says whether a bitmap was
    # made for this evaluation (and may be changed) or may be one of the index's own (read only).
    def _eval(self, rule: Rule, ctx: Context) -> tuple[BitMap, bool]:
        if isinstance(rule, And):
            result = self._and(rule.parts, ctx)
            assert isinstance(result, BitMap)
            return result, False  # it may be one of its parts
        if isinstance(rule, Or):
            parts = [self._eval(part, ctx)[0] for part in rule.parts]
            return (parts[0], False) if len(parts) == 1 else (BitMap.union(*parts), True)
        if isinstance(rule, Not):
            return self.universe - self._eval(rule.part, ctx)[0], True
        return self._condition(rule, ctx), False

    def _and(self, parts: tuple[Rule, ...], ctx: Context, *, count: bool = False) -> BitMap | int:
        """The intersection of the positive parts, smallest first, minus the negated ones;
        with ``count``, only its size (the last step counts without making a bitmap)."""
        sets = sorted(
            (self._eval(p, ctx)[0] for p in parts if not isinstance(p, Not)), key=len
        ) or [self.universe]
        negative = [p.part for p in parts if isinstance(p, Not)]
        result = sets[0]
        steps = [(other, False) for other in sets[1:]]
        steps += [(self._eval(part, ctx)[0], True) for part in negative]
        for i, (other, minus) in enumerate(steps):
            if not result:
                break
            if count and i == len(steps) - 1:
                shared = result.intersection_cardinality(other)
                return len(result) - shared if minus else shared
            result = result - other if minus else result & other
        return len(result) if count else result

    def _union(self, family: dict[K, BitMap], keys: Iterable[K]) -> BitMap:
        """The union of some bitmaps of a family (read only: it may be one of them)."""
        found = [family[k] for k in keys if k in family]
        if len(found) == 1:
            return found[0]
        return BitMap.union(*found) if found else BitMap()

    def _condition(self, cond: Cond, ctx: Context) -> BitMap:  # noqa: PLR0912
        f, op, value = cond.field, cond.op, cond.value
        if f == "tags":
            if op == "any":
                return self._union(self.tags, value)
            if op == "all":
                found = self._and(tuple(Cond("tags", "any", (t,)) for t in value), ctx)
                assert isinstance(found, BitMap)
                return found
            return self.universe - self._union(self.tags, value)
        if f in self.text:
            return self._union(self.text[f], ("",) if op == "empty" else value)
        if f == "gender":
            return self._union(self.gender, value)
        if f == "store":
            return self._union(self.store, (None,) if op == "empty" else value)
        if f == "region":
            return self._union(self.store, ctx.stores_of(value))
        if f in ("added_at", "chat_last"):
            dates = self.added if f == "added_at" else self.chatted
            if op == "empty":
                return self.universe - dates.any
            start, end = day_range(cond, ctx.today)
            return dates.between(
                None if start is None else day_number(start),
                None if end is None else day_number(end),
            )
        if f == "chat_count":
            if op == "gte":
                return self._union(self.chat_counts, range(value, CHAT_CAP + 1))
            return self.universe - self._union(self.chat_counts, range(value + 1, CHAT_CAP + 1))
        if f == "birthday":
            if op == "empty":
                return self.universe - self.birth_any
            return self._union(self.birth_days, birthdays(cond, ctx.today))
        if f == "follow":
            return self.friends if value == "friend" else self.lost
        if f == "group":
            return self._union(self.groups, self.groups if op == "exists" else value)
        raise AssertionError(f"unhandled field {f}")
