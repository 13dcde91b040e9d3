"""Group playbooks against the sandbox: each post's next slot waits as a group broadcast made
once; holidays and weekdays are skipped; a changed calendar replaces the waiting slots; a slot
that falls due goes to every group through its owner, and the next one follows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts.models import Broadcast, BroadcastTask
from siyu.codes.routing import local
from siyu.db import Database, utcnow
from siyu.groups.models import Group
from siyu.playbooks import service
from siyu.playbooks.models import Playbook
from siyu.playbooks.tasks import TICK_JOB
from tests.broadcasts.conftest import API
from tests.conftest import RunJobs, World

ALL_GROUPS = {"kind": "groups", "group_ids": [], "owner_userids": []}


def _create(world: World, **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": "门店群日历",
        "audience": ALL_GROUPS,
        "posts": [
            {"at": "08:30", "title": "早餐", "text": "早安！今日早餐券已发放"},
            {"at": "15:00", "title": "新品", "text": "下午三点新品上架", "weekdays": [1, 3, 5]},
        ],
    } | body
    response = world.siyu.post(f"{API}/playbooks", json=payload)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _waiting(session: Session, playbook_id: int) -> list[Broadcast]:
    session.expire_all()
    return list(
        session.scalars(
            select(Broadcast)
            .where(Broadcast.source == f"playbook:{playbook_id}", Broadcast.state == "scheduled")
            .order_by(Broadcast.due_at)
        )
    )


def test_each_post_waits_once_for_its_next_slot_skipping_holidays(
    ready: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    today = local(utcnow()).date()
    holidays = [str(today + dt.timedelta(days=d)) for d in range(0, 2)]
    created = _create(ready, skip_dates=holidays)
    waiting = _waiting(session, created["id"])
    assert len(waiting) == 2
    breakfast = next(b for b in waiting if "早餐" in b.name)
    assert local(breakfast.due_at).strftime("%H:%M") == "08:30"
    assert local(breakfast.due_at).date() == today + dt.timedelta(days=2)  # holidays skipped
    new_items = next(b for b in waiting if "新品" in b.name)
    assert local(new_items.due_at).isoweekday() in (1, 3, 5)
    assert breakfast.chat_type == "group"
    assert len(created["next_sends"]) == 2
    assert created["groups"] > 0

    # The tick makes nothing twice.
    with database.transaction() as writing:
        playbook = writing.get(Playbook, created["id"])
        assert playbook is not None
        assert service.ensure_next(writing, playbook, utcnow()) == 0
    run_jobs(TICK_JOB)
    assert len(_waiting(session, created["id"])) == 2

    # A changed calendar replaces what was waiting.
    changed = ready.siyu.put(
        f"{API}/playbooks/{created['id']}",
        json={
            "name": "门店群日历",
            "audience": ALL_GROUPS,
            "posts": [{"at": "09:00", "text": "早安"}],
        },
    )
    assert changed.status_code == 200, changed.text
    waiting = _waiting(session, created["id"])
    assert len(waiting) == 1
    assert local(waiting[0].due_at).strftime("%H:%M") == "09:00"
    cancelled = session.scalars(
        select(Broadcast).where(
            Broadcast.source == f"playbook:{created['id']}", Broadcast.state == "cancelled"
        )
    ).all()
    assert len(cancelled) == 2


def test_a_slot_that_falls_due_goes_to_every_group_and_the_next_follows(
    ready: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    soon = local(utcnow() + dt.timedelta(minutes=2))
    created = _create(ready, posts=[{"at": soon.strftime("%H:%M"), "text": "群内秒杀开始"}])
    first = _waiting(session, created["id"])
    assert len(first) == 1
    run_jobs(later=True)  # an hour on: the slot is due, planned and its tasks made
    session.expire_all()
    sent = session.get(Broadcast, first[0].id)
    assert sent is not None
    assert sent.state == "sent", (sent.state, sent.error)
    owners = set(
        session.scalars(select(Group.owner_userid).where(Group.status == "active").distinct())
    )
    tasks = session.scalars(select(BroadcastTask).where(BroadcastTask.broadcast_id == sent.id))
    assert {t.sender for t in tasks} <= owners
    assert sent.counts.get("waiting", 0) >= 1
    # The next day's slot follows at the next tick.
    run_jobs(TICK_JOB)
    with database.transaction() as writing:
        playbook = writing.get(Playbook, created["id"])
        assert playbook is not None
        service.ensure_next(writing, playbook, utcnow())
    nxt = _waiting(session, created["id"])
    assert len(nxt) == 1
    assert nxt[0].due_at > sent.due_at
    sends = ready.siyu.get(f"{API}/playbooks/{created['id']}/sends").json()
    assert sends["total"] == 2


def test_bad_calendars_are_refused(ready: World) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"posts": [{"at": "25:00", "text": "x"}]}, "validation_error"),
        ({"posts": [{"at": "08:30", "text": " "}]}, "playbook_empty_post"),
        (
            {"posts": [{"at": "08:30", "text": "a"}, {"at": "08:30", "text": "b"}]},
            "playbook_duplicate_slot",
        ),
        ({"posts": [{"at": "08:30", "text": "{customer_name}"}]}, "broadcast_unknown_variables"),
        ({"audience": {"kind": "groups", "group_ids": [987654]}}, "broadcast_unknown_groups"),
        ({"audience": {"kind": "segment", "segment_id": 1}}, "validation_error"),
    ]
    for body, code in cases:
        payload = {"name": "x", "audience": ALL_GROUPS, "posts": [{"at": "08:30", "text": "x"}]}
        response = ready.siyu.post(f"{API}/playbooks", json=payload | body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["code"] == code, (body, response.text)
