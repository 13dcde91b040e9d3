"""The demo tenant's week of broadcasts, made through the real paths against the sandbox."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts import demo
from siyu.broadcasts.models import Broadcast, BroadcastTask
from siyu.customers import service as customers
from siyu.db import Database
from tests.broadcasts.conftest import sandbox_sends
from tests.conftest import RunJobs, World

pytestmark = pytest.mark.reach_demo


def test_the_demo_has_a_week_sent_some_to_come_and_one_cancelled(
    world: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    with database.transaction() as writing:
        customers.start_sync(writing, world.connection.tenant_id)
    run_jobs()
    run_jobs(later=True)
    session.expire_all()
    rows = list(session.scalars(select(Broadcast).where(Broadcast.source == demo.SOURCE)))
    states = Counter(b.state for b in rows if b.parent_id is None)
    assert states["sent"] >= 4, states
    assert states["scheduled"] >= 2, states
    assert states["cancelled"] == 1, states
    sent = [b for b in rows if b.state == "sent"]
    days = {b.due_at.date() for b in sent}
    assert len(days) >= 4  # spread over the week, not all today
    tasks = list(
        session.scalars(
            select(BroadcastTask).where(BroadcastTask.broadcast_id.in_([b.id for b in sent]))
        )
    )
    assert tasks
    assert all(t.msgid for t in tasks)
    assert any(b.chat_type == "group" for b in sent)
    # The staff of `siyu up` confirm all but one of them.
    left = demo.unconfirmed_demo_tasks(session)
    assert len(left) == len(tasks) - 1

    # The hand-picked three get the price list, with their sender's name filled in.
    (picked,) = [b for b in sent if b.audience["kind"] == "customers"]
    assert len(picked.audience["customer_ids"]) == 3
    assert picked.material_ids
    mine = [t for t in tasks if t.broadcast_id == picked.id]
    for task in mine:
        world.sandbox_admin(
            "POST", "/simulate/confirm_mass", json={"msgid": task.msgid, "userid": task.sender}
        )
    msgids = {t.msgid for t in mine}
    delivered = [e["payload"] for e in sandbox_sends(world) if e["payload"]["msgid"] in msgids]
    # (One of them may be over the demo's frequency cap after its week.)
    assert len(delivered) == sum(t.recipients for t in mine) >= 2
    assert all("{staff_name}" not in d["text"]["content"] for d in delivered)
    assert all([a["msgtype"] for a in d["attachments"]] == ["file"] for d in delivered)
