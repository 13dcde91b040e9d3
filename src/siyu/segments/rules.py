"""The segment rule language: one JSON shape, parsed into a small tree that both evaluators
(SQL in :mod:`siyu.segments.sql`, bitmaps in :mod:`siyu.segments.index`) walk.

A rule is ``{"and": [rule, ...]}``, ``{"or": [rule, ...]}``, ``{"not": rule}`` or a condition
``{"field": F, "op": OP, "value": V}``:

========================  =====================================  =============================
field                     ops                                    value
========================  =====================================  =============================
``tags``                  ``any`` ``all`` ``none``               tag ids
``city`` ``level``        ``eq`` / ``in`` / ``empty``            text / list of text / —
``channel`` ``owner``
``gender``                ``eq`` / ``in``                        0 unknown, 1 male, 2 female
``store``                 ``eq`` / ``in`` / ``empty``            store id(s)
``region``                ``eq`` / ``in``                        region id(s)
``added_at``              ``within_days`` ``before_days``        days
                          ``between`` / ``empty``                ``{"from": d, "to": d}`` dates
``birthday``              ``this_week`` ``this_month``           —
                          ``next_days`` / ``empty``              days (today included)
``chat_last``             as ``added_at``                        the customer's last 1:1
                                                                 message (``empty``: never)
``chat_count``            ``gte`` / ``lte``                      messages the customer wrote
                                                                 (1–100 / 0–99)
``follow``                ``eq``                                 ``friend`` or ``deleted``
``group``                 ``any`` / ``exists``                   group ids / —
========================  =====================================  =============================

Dates are China dates (the tenant's operators think in them): "within 30 days" is today and
the 29 days before it. Erased customers are never in a segment. Errors carry the path of the
offending clause, e.g. ``and[1].value``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

MAX_DEPTH = 8
MAX_CLAUSES = 200
MAX_VALUES = 1000
MAX_DAYS = 36_600

TEXT_FIELDS = {"city": 50, "level": 30, "channel": 64, "owner": 64}
FOLLOW_VALUES = ("friend", "deleted")


class RuleError(ValueError):
    """A rule that cannot be read: ``path`` points at the clause, ``reason`` says why."""

    def __init__(self, path: str, reason: str, **params: Any) -> None:
        super().__init__(f"{path or 'rule'}: {reason}")
        self.path = path or "rule"
        self.reason = reason
        self.params = params


@dataclass(frozen=True)
class And:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Rule, ...]


@dataclass(frozen=True)
class Not:
    part: Rule


@dataclass(frozen=True)
class Cond:
    """A checked condition. ``value`` is normalised: a tuple for lists, a
    ``(from, to)`` pair of dates for ``between``, an int for day counts, None when unused."""

    field: str
    op: str
    value: Any = None


Rule = And | Or | Not | Cond


def parse(data: Any) -> Rule:
    """Read and check a rule, or raise :class:`RuleError` naming the clause."""
    counter = [0]
    return _parse(data, "", 0, counter)


def _join(path: str, part: str) -> str:
    if part.startswith("["):
        return f"{path}{part}"
    return f"{path}.{part}" if path else part


def _parse(data: Any, path: str, depth: int, counter: list[int]) -> Rule:
    if depth > MAX_DEPTH:
        raise RuleError(path, "too_deep", limit=MAX_DEPTH)
    counter[0] += 1
    if counter[0] > MAX_CLAUSES:
        raise RuleError(path, "too_many_clauses", limit=MAX_CLAUSES)
    if not isinstance(data, dict):
        raise RuleError(path, "not_an_object")
    keys = set(data)
    for combinator in ("and", "or"):
        if combinator in keys:
            if keys != {combinator}:
                raise RuleError(path, "mixed_keys", keys=sorted(keys))
            items = data[combinator]
            here = _join(path, combinator)
            if not isinstance(items, list) or not items:
                raise RuleError(here, "empty_list")
            parts = tuple(
                _parse(item, f"{here}[{i}]", depth + 1, counter) for i, item in enumerate(items)
            )
            return And(parts) if combinator == "and" else Or(parts)
    if "not" in keys:
        if keys != {"not"}:
            raise RuleError(path, "mixed_keys", keys=sorted(keys))
        return Not(_parse(data["not"], _join(path, "not"), depth + 1, counter))
    return _condition(data, path)


def _condition(data: dict[str, Any], path: str) -> Cond:
    unknown = set(data) - {"field", "op", "value"}
    if unknown:
        raise RuleError(_join(path, sorted(unknown)[0]), "unknown_key")
    field, op = data.get("field"), data.get("op")
    if not isinstance(field, str) or field not in FIELDS:
        raise RuleError(_join(path, "field"), "unknown_field", allowed=sorted(FIELDS))
    ops = FIELDS[field]
    if not isinstance(op, str) or op not in ops:
        raise RuleError(_join(path, "op"), "unknown_op", allowed=sorted(ops))
    value = ops[op](data.get("value"), _join(path, "value"))
    return Cond(field, op, value)


# --- value checkers --------------------------------------------------------------------------


def _none(value: Any, path: str) -> None:
    if value is not None:
        raise RuleError(path, "no_value_expected")


def _ids(value: Any, path: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not value:
        raise RuleError(path, "empty_list")
    if len(value) > MAX_VALUES:
        raise RuleError(path, "too_many_values", limit=MAX_VALUES)
    for i, item in enumerate(value):
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**63:
            raise RuleError(f"{path}[{i}]", "not_an_id")
    return tuple(sorted(set(value)))


def _one_id(value: Any, path: str) -> tuple[int, ...]:
    if isinstance(value, list):
        raise RuleError(path, "not_an_id")
    return _ids([value], path)


def _texts(limit: int) -> Any:
    def check(value: Any, path: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise RuleError(path, "empty_list")
        if len(value) > MAX_VALUES:
            raise RuleError(path, "too_many_values", limit=MAX_VALUES)
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise RuleError(f"{path}[{i}]", "not_text")
            if len(item.strip()) > limit:
                raise RuleError(f"{path}[{i}]", "too_long", limit=limit)
            out.append(item.strip())
        return tuple(sorted(set(out)))

    return check


def _one_text(limit: int) -> Any:
    many = _texts(limit)

    def check(value: Any, path: str) -> tuple[str, ...]:
        if isinstance(value, list):
            raise RuleError(path, "not_text")
        result: tuple[str, ...] = many([value], path)
        return result

    return check


def _genders(value: Any, path: str) -> tuple[int, ...]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise RuleError(path, "empty_list")
    for item in values:
        if isinstance(item, bool) or item not in (0, 1, 2):
            raise RuleError(path, "bad_gender")
    return tuple(sorted(set(values)))


def _one_gender(value: Any, path: str) -> tuple[int, ...]:
    if isinstance(value, list):
        raise RuleError(path, "bad_gender")
    return _genders(value, path)


def _days(value: Any, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DAYS:
        raise RuleError(path, "bad_days", limit=MAX_DAYS)
    return value


def _bounded(low: int, high: int) -> Any:
    def check(value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise RuleError(path, "bad_number", low=low, high=high)
        return value

    return check


def _date(value: Any, path: str) -> dt.date:
    if not isinstance(value, str):
        raise RuleError(path, "bad_date")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RuleError(path, "bad_date") from None


def _between(value: Any, path: str) -> tuple[dt.date, dt.date]:
    if not isinstance(value, dict) or set(value) != {"from", "to"}:
        raise RuleError(path, "bad_range")
    start, end = _date(value["from"], f"{path}.from"), _date(value["to"], f"{path}.to")
    if end < start:
        raise RuleError(f"{path}.to", "range_reversed")
    return start, end


def _follow(value: Any, path: str) -> str:
    if value not in FOLLOW_VALUES:
        raise RuleError(path, "bad_follow", allowed=list(FOLLOW_VALUES))
    return str(value)


def _text_ops(limit: int) -> dict[str, Any]:
    return {"eq": _one_text(limit), "in": _texts(limit), "empty": _none}


FIELDS: dict[str, dict[str, Any]] = {
    "tags": {"any": _ids, "all": _ids, "none": _ids},
    **{name: _text_ops(limit) for name, limit in TEXT_FIELDS.items()},
    "gender": {"eq": _one_gender, "in": _genders},
    "store": {"eq": _one_id, "in": _ids, "empty": _none},
    "region": {"eq": _one_id, "in": _ids},
    "added_at": {
        "within_days": _days,
        "before_days": _days,
        "between": _between,
        "empty": _none,
    },
    "chat_last": {
        "within_days": _days,
        "before_days": _days,
        "between": _between,
        "empty": _none,
    },
    "chat_count": {"gte": _bounded(1, 100), "lte": _bounded(0, 99)},
    "birthday": {"this_week": _none, "this_month": _none, "next_days": _days, "empty": _none},
    "follow": {"eq": _follow},
    "group": {"any": _ids, "exists": _none},
}


# --- what relative dates mean on a day --------------------------------------------------------


def day_range(cond: Cond, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The inclusive date range an ``added_at`` or ``chat_last`` condition selects (None:
    open)."""
    if cond.op == "within_days":
        return today - dt.timedelta(days=cond.value - 1), None
    if cond.op == "before_days":
        return None, today - dt.timedelta(days=cond.value)
    start, end = cond.value
    return start, end


def birthdays(cond: Cond, today: dt.date) -> list[tuple[int, int]]:
    """The (month, day) pairs a birthday condition selects, in order."""
    if cond.op == "this_month":
        first = today.replace(day=1)
        days = [first + dt.timedelta(days=i) for i in range(31)]
        pairs = [(d.month, d.day) for d in days if d.month == today.month]
        if today.month == 2:
            pairs.append((2, 29))
        return sorted(set(pairs))
    if cond.op == "this_week":
        start, count = today - dt.timedelta(days=today.weekday()), 7
    else:
        start, count = today, cond.value
    pairs = []
    for i in range(min(count, 366)):
        d = start + dt.timedelta(days=i)
        pairs.append((d.month, d.day))
        # Someone born on 29 February celebrates on the 28th in a common year.
        if d.month == 2 and d.day == 28 and not _leap(d.year):
            pairs.append((2, 29))
    return sorted(set(pairs))


def _leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def referenced(rule: Rule, field: str) -> set[Any]:
    """Every value a rule names for one field (tag ids, store ids, …), for checking they exist."""
    found: set[Any] = set()
    stack: list[Rule] = [rule]
    while stack:
        node = stack.pop()
        if isinstance(node, And | Or):
            stack.extend(node.parts)
        elif isinstance(node, Not):
            stack.append(node.part)
        elif node.field == field and isinstance(node.value, tuple):
            found.update(node.value)
    return found
