"""Who a channel code hands its next new friends to: the roster WeCom holds for the code.

WeCom spreads a multi-member contact way's friends over its members in turn and knows nothing of
weights, shifts or caps. Siyu keeps those rules and rewrites the way's member list whenever the
answer changes — the printed QR stays the same:

- members outside their working hours, or at their daily cap, leave the roster;
- when no regular member may take friends, backup members do (overflow), and when none of those
  may either, the fallback accounts;
- ``weighted``: the roster is the one member furthest below their weighted share of today's
  friends, so after every new friend the next goes to whoever is owed one (smooth weighted
  round robin, corrected by what actually happened — a burst that went to one member is made up
  for by the next friends going to the others);
- ``round_robin`` (and ``single``): every eligible member, and WeCom takes turns.

Pure functions of the rules, today's counts and the local time: easy to test over 10,000 scans.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
MAX_MEMBERS = 100  # WeCom: a contact way spreads over at most 100 members


@dataclass(frozen=True)
class Shift:
    """Working hours on some weekdays (1 Monday … 7 Sunday); ``end`` before ``start`` runs
    past midnight (22:00–02:00)."""

    days: frozenset[int]
    start: dt.time
    end: dt.time

    def covers(self, moment: dt.datetime) -> bool:
        clock, day = moment.time(), moment.isoweekday()
        if self.start <= self.end:
            return day in self.days and self.start <= clock < self.end
        if clock >= self.start:
            return day in self.days
        yesterday = 7 if day == 1 else day - 1
        return yesterday in self.days and clock < self.end


@dataclass(frozen=True)
class Member:
    userid: str
    weight: int = 1
    daily_cap: int | None = None
    backup: bool = False
    hours: tuple[Shift, ...] = field(default_factory=tuple)

    def on_duty(self, moment: dt.datetime) -> bool:
        return not self.hours or any(shift.covers(moment) for shift in self.hours)

    def has_room(self, counts: Mapping[str, int]) -> bool:
        return self.daily_cap is None or counts.get(self.userid, 0) < self.daily_cap


def _time(value: str) -> dt.time:
    hours, minutes = value.split(":")
    return dt.time(int(hours) % 24, int(minutes)) if hours != "24" else dt.time(23, 59, 59)


def members_from_json(rows: Sequence[Mapping[str, Any]]) -> list[Member]:
    """The stored rules (validated on the way in by the API's schemas)."""
    return [
        Member(
            userid=str(row["userid"]),
            weight=max(1, int(row.get("weight") or 1)),
            daily_cap=int(row["daily_cap"]) if row.get("daily_cap") else None,
            backup=bool(row.get("backup")),
            hours=tuple(
                Shift(frozenset(int(d) for d in s["days"]), _time(s["start"]), _time(s["end"]))
                for s in row.get("hours") or []
            ),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Roster:
    userids: list[str]
    # Why these: "members", "backup" (regular members full or off duty), "fallback", "stuck"
    # (nobody may take friends and no fallback: the regular members stay so the QR works).
    reason: str


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL_TZ)


def roster(
    routing: str,
    members: Sequence[Member],
    fallback: Sequence[str],
    counts: Mapping[str, int],
    moment: dt.datetime,
) -> Roster:
    """The members WeCom should hand the next friends to, at ``moment`` (any time zone), given
    how many friends each member took from this code today."""
    now = local(moment)
    regular = [m for m in members if not m.backup]
    backups = [m for m in members if m.backup]
    for pool, reason in ((regular, "members"), (backups, "backup")):
        eligible = [m for m in pool if m.on_duty(now) and m.has_room(counts)]
        if eligible:
            return Roster(_pick(routing, eligible, counts), reason)
    if fallback:
        return Roster(list(dict.fromkeys(fallback)), "fallback")
    return Roster([m.userid for m in regular or members][:MAX_MEMBERS], "stuck")


def _pick(routing: str, eligible: list[Member], counts: Mapping[str, int]) -> list[str]:
    if routing != "weighted" or len(eligible) == 1:
        return [m.userid for m in eligible][:MAX_MEMBERS]
    total_weight = sum(m.weight for m in eligible)
    taken = sum(counts.get(m.userid, 0) for m in eligible)

    def owed(m: Member) -> float:  # friends owed after the next one goes out
        return m.weight * (taken + 1) / total_weight - counts.get(m.userid, 0)

    best = max(eligible, key=lambda m: (owed(m), m.weight))
    return [best.userid]
