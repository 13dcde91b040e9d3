"""Reminding the staff who have not sent a broadcast: only those, through WeCom, once for a
double click, at most three times a day; a broadcast not sent yet has nobody to remind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts.models import BroadcastTask
from siyu.db import utcnow
from tests.broadcasts.conftest import API, compose, customer_ids
from tests.conftest import RunJobs, World


def _tasks(session: Session, broadcast_id: int) -> list[BroadcastTask]:
    session.expire_all()
    return list(
        session.scalars(
            select(BroadcastTask)
            .where(BroadcastTask.broadcast_id == broadcast_id)
            .order_by(BroadcastTask.sender)
        )
    )


def test_remind_reaches_only_the_staff_who_have_not_sent_three_times_a_day(
    ready: World, session: Session, run_jobs: RunJobs
) -> None:
    ids = customer_ids(session)
    later = compose(
        ready,
        audience={"kind": "customers", "customer_ids": list(ids.values())},
        send_at=(utcnow() + dt.timedelta(days=30)).isoformat(),
    )
    refused = ready.siyu.post(f"{API}/broadcasts/{later['id']}/remind")
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "broadcast_nothing_to_remind"

    created = compose(ready, audience={"kind": "customers", "customer_ids": list(ids.values())})
    run_jobs()
    tasks = _tasks(session, created["id"])
    assert len(tasks) >= 2
    assert all(t.msgid for t in tasks)
    done, *waiting = tasks
    ready.sandbox_admin(
        "POST", "/simulate/confirm_mass", json={"msgid": done.msgid, "userid": done.sender}
    )
    assert ready.siyu.post(f"{API}/broadcasts/{created['id']}/sync").status_code == 202
    run_jobs()

    for _ in range(2):  # a second click in the same minute is the same reminder
        response = ready.siyu.post(f"{API}/broadcasts/{created['id']}/remind")
        assert response.status_code == 202, response.text
        run_jobs()
    reminded = {t.sender: len(t.reminders) for t in _tasks(session, created["id"])}
    # WeCom took the reminder (a refused one is not counted) for those who have not sent.
    assert reminded == {done.sender: 0} | {t.sender: 1 for t in waiting}

    # Two more earlier today: WeCom's three a day are used up.
    earlier = (utcnow() - dt.timedelta(hours=2)).isoformat()
    for task in _tasks(session, created["id"])[1:]:
        task.reminders = [earlier, earlier, *task.reminders]
    session.commit()
    fourth = ready.siyu.post(f"{API}/broadcasts/{created['id']}/remind")
    assert fourth.status_code == 429, fourth.text
    assert fourth.json()["code"] == "broadcast_remind_limit"
    assert "最多提醒 3 次" in fourth.json()["message"]
    assert {t.sender: len(t.reminders) for t in _tasks(session, created["id"])} == {
        done.sender: 0
    } | {t.sender: 3 for t in waiting}
