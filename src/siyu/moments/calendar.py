"""The Moments calendar: posts by day (China time), the warning when ads crowd out the rest,
the tenant's posting hours and the next free one.

The ad rule (each part a tenant setting): a day with an ad is flagged

- ``ad_share`` when ads are more than ``ad_share_percent`` (default 25, "more than 1 in 4") of
  the posts planned in the ``ad_window_days`` (default 7) days ending that day; and
- ``ad_streak`` when it ends a run of ``ad_days_in_a_row`` (default 2) or more days that each
  have an ad.

Drafts with a time, scheduled, creating and created posts count; failed and cancelled do not.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.moments import errors, repository
from siyu.moments.models import MomentPost, MomentSettings
from siyu.moments.schemas import (
    Calendar,
    CalendarDay,
    CalendarPost,
    CalendarWarning,
    SettingsIn,
    SettingsOut,
    Slot,
)

TZ = ZoneInfo("Asia/Shanghai")
# Late evening, when customers read Moments, and a lunch break slot.
DEFAULT_SLOTS = ["12:00", "21:00", "21:45", "22:30"]
MAX_DAYS = 62
# A suggested time is taken when a post is planned less than this far from it.
SLOT_TAKEN_WITHIN = dt.timedelta(minutes=30)
SLOT_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def settings_of(session: Session, tenant_id: int) -> MomentSettings:
    """The tenant's settings, or the defaults (not stored until changed)."""
    found = session.get(MomentSettings, tenant_id)
    if found is not None:
        return found
    return MomentSettings(
        tenant_id=tenant_id,
        slots=list(DEFAULT_SLOTS),
        ad_share_percent=25,
        ad_window_days=7,
        ad_days_in_a_row=2,
    )


def out(settings: MomentSettings) -> SettingsOut:
    return SettingsOut.model_validate(settings.as_dict())


def save_settings(session: Session, tenant_id: int, body: SettingsIn) -> MomentSettings:
    slots = []
    for slot in body.slots:
        if not SLOT_RE.match(slot) or slot in slots:
            raise errors.BadSlot(slot=slot)
        slots.append(slot)
    settings = session.get(MomentSettings, tenant_id)
    if settings is None:
        settings = MomentSettings(tenant_id=tenant_id)
        session.add(settings)
    settings.slots = sorted(slots)
    settings.ad_share_percent = body.ad_share_percent
    settings.ad_window_days = body.ad_window_days
    settings.ad_days_in_a_row = body.ad_days_in_a_row
    settings.updated_at = utcnow()
    session.flush()
    return settings


def local_day(at: dt.datetime) -> dt.date:
    return at.astimezone(TZ).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), TZ).astimezone(dt.UTC)


def check_range(start: dt.date, end: dt.date) -> None:
    if end < start or (end - start).days >= MAX_DAYS:
        raise errors.BadRange(days=MAX_DAYS)


def warnings_for(
    settings: MomentSettings, posts: list[MomentPost], start: dt.date, end: dt.date
) -> list[CalendarWarning]:
    """The ad rule over ``posts`` (which must cover the window before ``start`` too), for the
    days ``start``..``end``."""
    total: Counter[dt.date] = Counter()
    ads: Counter[dt.date] = Counter()
    for post in posts:
        if post.planned_at is None:
            continue
        day = local_day(post.planned_at)
        total[day] += 1
        if post.kind == "ad":
            ads[day] += 1
    found: list[CalendarWarning] = []
    window = max(settings.ad_window_days, 1)
    day = start
    while day <= end:
        if ads[day]:
            first = day - dt.timedelta(days=window - 1)
            span = [first + dt.timedelta(days=i) for i in range(window)]
            in_ads, in_all = sum(ads[d] for d in span), sum(total[d] for d in span)
            if in_ads * 100 > settings.ad_share_percent * in_all:
                found.append(
                    CalendarWarning(
                        code="ad_share", day=day, ads=in_ads, posts=in_all, window_from=first
                    )
                )
            streak = 0
            while ads[day - dt.timedelta(days=streak)]:
                streak += 1
            if settings.ad_days_in_a_row and streak >= settings.ad_days_in_a_row:
                found.append(
                    CalendarWarning(
                        code="ad_streak",
                        day=day,
                        ads=sum(ads[day - dt.timedelta(days=i)] for i in range(streak)),
                        posts=streak,
                        window_from=day - dt.timedelta(days=streak - 1),
                    )
                )
        day += dt.timedelta(days=1)
    return found


def calendar(session: Session, tenant_id: int, start: dt.date, end: dt.date) -> Calendar:
    check_range(start, end)
    settings = settings_of(session, tenant_id)
    # The windows of the first days reach back before the range; a streak may reach further.
    reach = max(settings.ad_window_days, settings.ad_days_in_a_row, 1) + MAX_DAYS
    posts = repository.posts_between(
        session,
        tenant_id,
        day_start(start - dt.timedelta(days=reach)),
        day_start(end + dt.timedelta(days=1)),
    )
    shown = [p for p in posts if p.planned_at is not None and local_day(p.planned_at) >= start]
    counts = repository.counts_by_post(session, tenant_id, [p.id for p in shown])
    by_day: dict[dt.date, list[CalendarPost]] = defaultdict(list)
    for post in shown:
        assert post.planned_at is not None
        count = counts.get(post.id, {})
        by_day[local_day(post.planned_at)].append(
            CalendarPost(
                id=post.id,
                kind=post.kind,
                state=post.state,
                planned_at=post.planned_at,
                time=post.planned_at.astimezone(TZ).strftime("%H:%M"),
                text=post.text[:40],
                published=count.get("published", 0),
                targets=sum(count.values()),
            )
        )
    warnings = warnings_for(settings, posts, start, end)
    by_warning: dict[dt.date, list[CalendarWarning]] = defaultdict(list)
    for warning in warnings:
        by_warning[warning.day].append(warning)
    days = []
    day = start
    while day <= end:
        items = by_day.get(day, [])
        days.append(
            CalendarDay(
                day=day,
                posts=items,
                kinds=dict(Counter(p.kind for p in items)),
                warnings=by_warning.get(day, []),
            )
        )
        day += dt.timedelta(days=1)
    return Calendar(days=days, warnings=warnings, settings=out(settings))


def free_slots(
    session: Session, tenant_id: int, *, after: dt.datetime | None = None, count: int = 5
) -> list[Slot]:
    """The next suggested times no live post is planned near, from ``after`` (default: now)."""
    settings = settings_of(session, tenant_id)
    start = after or utcnow()
    slots = sorted(settings.slots) or list(DEFAULT_SLOTS)
    horizon = 31
    planned = [
        p.planned_at
        for p in repository.posts_between(
            session,
            tenant_id,
            start - SLOT_TAKEN_WITHIN,
            start + dt.timedelta(days=horizon + 1),
        )
        if p.planned_at is not None
    ]
    found: list[Slot] = []
    first_day = local_day(start)
    for offset in range(horizon + 1):
        day = first_day + dt.timedelta(days=offset)
        for slot in slots:
            hour, minute = (int(x) for x in slot.split(":"))
            at = dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.UTC)
            if at <= start:
                continue
            if any(abs(p - at) < SLOT_TAKEN_WITHIN for p in planned):
                continue
            found.append(Slot(at=at, local=at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")))
            if len(found) >= count:
                return found
    return found
