"""The demo tenant's Moments calendar: this week and next with the four kinds, next week's ads
flagged, the posts already due created in the sandbox and their results read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.moments import demo, service
from siyu.moments.calendar import TZ
from siyu.moments.models import MomentPost
from tests.conftest import RunJobs, World

pytestmark = pytest.mark.reach_demo

API = "/api/v1"


def test_the_demo_calendar_covers_two_weeks_and_warns_of_next_weeks_ads(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    run_jobs()
    tenant_id = world.connection.tenant_id
    # The tests' sandbox has no crowd of customers: the demo job leaves the calendar empty.
    count = select(func.count()).select_from(MomentPost).where(MomentPost.tenant_id == tenant_id)
    assert session.scalar(count) == 0

    with database.transaction() as tx:
        posts = demo.seed(tx, tenant_id, utcnow())
    run_jobs(service.CREATE_JOB)
    world.sandbox_admin("POST", "/clock", json={"advance_seconds": 10})
    run_jobs(service.SYNC_JOB, later=True, rounds=2)

    today = utcnow().astimezone(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    calendar: Any = world.siyu.get(
        f"{API}/moments/calendar",
        params={"from": str(monday), "to": str(monday + dt.timedelta(days=13))},
    ).json()
    kinds = {p["kind"] for d in calendar["days"] for p in d["posts"]}
    assert kinds == {"light", "knowledge", "feedback", "ad"}
    flagged = {w["day"] for w in calendar["warnings"]}
    assert flagged
    assert all(day >= str(monday + dt.timedelta(days=7)) for day in flagged)

    pictured = [p for p in posts if p.material_ids]
    assert len(pictured) == 2  # pictures of the demo's material library

    past = [p for p in posts if p.planned_at is not None and p.planned_at <= utcnow()]
    assert len(past) >= 2  # last weekend's at least
    for post in past:
        detail = world.siyu.get(f"{API}/moments/posts/{post.id}").json()
        assert detail["state"] == "created"
        assert detail["moment_id"]
        assert detail["counts"]["targets"] >= 1
        assert len(detail["materials"]) == len(post.material_ids)
