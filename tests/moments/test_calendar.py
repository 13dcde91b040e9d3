"""The Moments calendar's ad rule (share of ads in a window, ad days in a row), its settings
and the suggested times the composer proposes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from siyu.moments import calendar
from siyu.moments.errors import BadSlot
from siyu.moments.models import MomentPost
from siyu.moments.schemas import SettingsIn
from siyu.tenants.models import Tenant
from tests.factories import make_tenant

TZ = calendar.TZ
MONDAY = dt.date(2026, 12, 7)


def _post(
    session: Session, tenant: Tenant, day: dt.date, kind: str, hour: int = 21, state: str = "draft"
) -> MomentPost:
    at = dt.datetime.combine(day, dt.time(hour), TZ).astimezone(dt.UTC)
    post = MomentPost(
        tenant_id=tenant.id,
        kind=kind,
        text=f"{kind} {day}",
        state=state,
        planned_at=at,
        all_staff=True,
    )
    session.add(post)
    session.flush()
    return post


def _week(session: Session, tenant: Tenant, kinds: list[str | None]) -> None:
    for offset, kind in enumerate(kinds):
        if kind:
            _post(session, tenant, MONDAY + dt.timedelta(days=offset), kind)


def _codes(session: Session, tenant: Tenant) -> dict[str, list[str]]:
    found = calendar.calendar(session, tenant.id, MONDAY, MONDAY + dt.timedelta(days=6))
    return {str(d.day): [w.code for w in d.warnings] for d in found.days if d.warnings}


def test_one_ad_in_four_posts_is_fine_and_one_more_is_flagged(session: Session) -> None:
    tenant = make_tenant(session)
    _week(session, tenant, ["light", "knowledge", "feedback", "ad", None, None, None])
    assert _codes(session, tenant) == {}
    _post(session, tenant, MONDAY + dt.timedelta(days=5), "ad")
    # Saturday: 2 ads of 5 posts in the 7 days ending that day, more than 1 in 4.
    assert _codes(session, tenant) == {"2026-12-12": ["ad_share"]}


def test_two_ad_days_in_a_row_are_flagged(session: Session) -> None:
    tenant = make_tenant(session)
    _week(session, tenant, ["light", "knowledge", "feedback", "light", "knowledge", "ad", "ad"])
    _post(session, tenant, MONDAY, "feedback", hour=12)
    _post(session, tenant, MONDAY + dt.timedelta(days=1), "light", hour=12)
    # 2 ads of 9 posts: within the share, but Saturday and Sunday both carry an ad.
    found = calendar.calendar(session, tenant.id, MONDAY, MONDAY + dt.timedelta(days=6))
    sunday = found.days[-1]
    assert [w.code for w in sunday.warnings] == ["ad_streak"]
    assert sunday.warnings[0].window_from == MONDAY + dt.timedelta(days=5)
    assert sunday.kinds == {"ad": 1}
    assert [w.day for w in found.warnings] == [sunday.day]


def test_the_rule_is_a_setting(session: Session) -> None:
    tenant = make_tenant(session)
    _week(session, tenant, ["ad", "ad", "light", None, None, None, None])
    assert _codes(session, tenant) == {
        "2026-12-07": ["ad_share"],
        "2026-12-08": ["ad_share", "ad_streak"],
    }
    calendar.save_settings(
        session,
        tenant.id,
        SettingsIn(slots=["21:00"], ad_share_percent=70, ad_window_days=7, ad_days_in_a_row=0),
    )
    # 1 of 1 ad on Monday is more than 70%; 2 of 2 on Tuesday too; no streak rule now.
    assert _codes(session, tenant) == {"2026-12-07": ["ad_share"], "2026-12-08": ["ad_share"]}
    calendar.save_settings(
        session,
        tenant.id,
        SettingsIn(slots=["21:00"], ad_share_percent=100, ad_window_days=7, ad_days_in_a_row=3),
    )
    assert _codes(session, tenant) == {}


def test_cancelled_and_failed_posts_do_not_count(session: Session) -> None:
    tenant = make_tenant(session)
    _week(session, tenant, ["light", "knowledge", "feedback", "light", None, None, None])
    _post(session, tenant, MONDAY + dt.timedelta(days=4), "ad", state="cancelled")
    _post(session, tenant, MONDAY + dt.timedelta(days=5), "ad", state="failed")
    _post(session, tenant, MONDAY + dt.timedelta(days=6), "ad", state="scheduled")
    assert _codes(session, tenant) == {}
    found = calendar.calendar(session, tenant.id, MONDAY, MONDAY + dt.timedelta(days=6))
    assert sum(len(d.posts) for d in found.days) == 5


def test_the_window_reaches_back_before_the_range(session: Session) -> None:
    tenant = make_tenant(session)
    for offset in range(1, 4):  # ads the three days before the range
        _post(session, tenant, MONDAY - dt.timedelta(days=offset), "ad")
    _post(session, tenant, MONDAY, "ad")
    codes = _codes(session, tenant)
    assert codes == {"2026-12-07": ["ad_share", "ad_streak"]}


def test_the_next_free_suggested_time_skips_taken_slots(session: Session) -> None:
    tenant = make_tenant(session)
    after = dt.datetime.combine(MONDAY, dt.time(13), TZ).astimezone(dt.UTC)
    first = calendar.free_slots(session, tenant.id, after=after, count=3)
    assert [s.local for s in first] == [
        "2026-12-07 21:00",
        "2026-12-07 21:45",
        "2026-12-07 22:30",
    ]
    _post(session, tenant, MONDAY, "light", hour=21)
    taken = calendar.free_slots(session, tenant.id, after=after, count=3)
    assert [s.local for s in taken] == [
        "2026-12-07 21:45",
        "2026-12-07 22:30",
        "2026-12-08 12:00",
    ]


def test_settings_reject_bad_times(session: Session) -> None:
    tenant = make_tenant(session)
    for slots in (["24:00"], ["9:00"], ["21:00", "21:00"]):
        with pytest.raises(BadSlot):
            calendar.save_settings(
                session,
                tenant.id,
                SettingsIn(slots=slots, ad_share_percent=25, ad_window_days=7, ad_days_in_a_row=2),
            )
