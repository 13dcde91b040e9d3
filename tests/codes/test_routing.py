"""Routing rules over 10,000 simulated scans: WeCom takes turns over the roster Siyu last pushed,
Siyu recomputes the roster after each new friend it hears of — sometimes late, as in a burst."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from siyu.codes import routing
from siyu.codes.routing import Member, Shift

MONDAY_10AM = dt.datetime(2026, 11, 23, 10, 0, tzinfo=routing.LOCAL_TZ)
SCANS = 10_000


def simulate(
    rule: str,
    members: list[Member],
    scans: int,
    *,
    lag: int = 0,
    fallback: tuple[str, ...] = (),
    at: dt.datetime = MONDAY_10AM,
) -> Counter[str]:
    """``lag``: how many scans land before Siyu's roster update reaches WeCom."""
    counts: Counter[str] = Counter()
    pushed = routing.roster(rule, members, fallback, counts, at).userids
    pending: list[list[str]] = []
    for turn in range(scans):
        userid = pushed[turn % len(pushed)]  # WeCom's turn-taking over the current roster
        counts[userid] += 1
        pending.append(routing.roster(rule, members, fallback, counts, at).userids)
        if len(pending) > lag:
            pushed = pending.pop(0)
    return counts


@pytest.mark.parametrize("lag", [0, 5, 50])
def test_weights_5_3_2_hold_within_half_a_percent(lag: int) -> None:
    members = [Member("a", weight=5), Member("b", weight=3), Member("c", weight=2)]
    counts = simulate("weighted", members, SCANS, lag=lag)
    assert sum(counts.values()) == SCANS
    for userid, share in (("a", 0.5), ("b", 0.3), ("c", 0.2)):
        # Tolerance: 0.5 % of the scans, plus what a lagging roster can send astray.
        assert abs(counts[userid] - share * SCANS) <= 0.005 * SCANS + lag


def test_round_robin_spreads_evenly() -> None:
    counts = simulate("round_robin", [Member("a"), Member("b"), Member("c")], SCANS)
    assert max(counts.values()) - min(counts.values()) <= 1


@pytest.mark.parametrize("lag", [0, 20])
def test_daily_caps_overflow_to_backups_then_to_the_fallback(lag: int) -> None:
    members = [
        Member("a", weight=2, daily_cap=3000),
        Member("b", weight=1, daily_cap=2000),
        Member("backup", backup=True, daily_cap=4000),
    ]
    counts = simulate("weighted", members, SCANS, lag=lag, fallback=("night",))
    # Each cap holds (a lagging roster may overshoot by the scans in flight).
    assert 3000 <= counts["a"] <= 3000 + lag
    assert 2000 <= counts["b"] <= 2000 + lag
    assert 4000 <= counts["backup"] <= 4000 + lag
    assert counts["night"] == SCANS - counts["a"] - counts["b"] - counts["backup"]


def test_working_hours_and_the_fallback_outside_them() -> None:
    weekdays = frozenset(range(1, 6))
    day = (Shift(weekdays, dt.time(9), dt.time(18)),)
    night = (Shift(frozenset(range(1, 8)), dt.time(22), dt.time(2)),)
    members = [Member("day", hours=day), Member("owl", hours=night)]
    at = MONDAY_10AM
    assert routing.roster("round_robin", members, ["duty"], {}, at).userids == ["day"]
    assert routing.roster("round_robin", members, ["duty"], {}, at.replace(hour=23)).userids == [
        "owl"
    ]
    tuesday_1am = at.replace(day=24, hour=1)
    assert routing.roster("round_robin", members, ["duty"], {}, tuesday_1am).userids == ["owl"]
    saturday_noon = at.replace(day=28, hour=12)
    fallback = routing.roster("round_robin", members, ["duty"], {}, saturday_noon)
    assert (fallback.userids, fallback.reason) == (["duty"], "fallback")
    stuck = routing.roster("round_robin", members, [], {}, saturday_noon)
    assert (stuck.userids, stuck.reason) == (["day", "owl"], "stuck")
    # Any time zone in, China time decides.
    utc = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
    assert routing.roster("round_robin", members, [], {}, utc).userids == ["day"]
