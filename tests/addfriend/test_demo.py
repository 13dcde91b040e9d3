"""The demo tenant's add-friend list: waits for the syncs, then holds tasks done, skipped,
sent and pending, within the daily limit, once however often it is seeded; 王芳 sees her day."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.addfriend import demo, service, tasks
from siyu.addfriend.models import AddFriendList, AddFriendTask
from siyu.customers import service as customers
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.staff import service as staff
from tests.conftest import PASSWORD, RunJobs, World
from tests.helpers import login


def test_the_demo_list_has_tasks_in_every_state_and_is_seeded_once(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    tenant_id = world.connection.tenant_id
    with pytest.raises(demo.NotYet):
        demo.seed(session, tenant_id)  # before the staff are mirrored
    run_jobs(staff.SYNC_JOB, customers.SYNC_JOB, "stores.demo")
    # One buyer of the demo's file is a friend whose number WeCom reported (as the sandbox's
    # crowd of `make run` has them).
    friend = session.scalar(
        select(Customer).where(Customer.external_userid == DEMO_CORP.customers[0].external_userid)
    )
    assert friend is not None
    with database.transaction() as tx:
        customers.add_phone(tx, tenant_id, friend.id, "13600001111", "wecom")
    run_jobs(tasks.DEMO_JOB)
    session.expire_all()
    lists = session.scalars(select(AddFriendList).where(AddFriendList.tenant_id == tenant_id)).all()
    assert [x.name for x in lists] == [demo.DEMO_LIST]
    made = session.scalars(select(AddFriendTask).where(AddFriendTask.list_id == lists[0].id)).all()
    states = Counter(t.state for t in made)
    assert set(states) == {"done", "skipped", "sent", "pending"}
    assert lists[0].added == len(made) == 60
    assert lists[0].duplicates == 2
    assert lists[0].existing_customers == 1  # a number WeCom reported for a friend
    assert lists[0].rejected == 1
    report = world.siyu.get(f"/api/v1/add-friend-lists/{lists[0].id}/rejects.xlsx")
    assert report.status_code == 200, report.text
    per_day = Counter((t.userid, t.due_day) for t in made if t.due_day is not None)
    assert max(per_day.values()) <= lists[0].daily_limit
    today = service.today()
    assert all(t.due_day is None or t.due_day >= today for t in made if t.state == "pending")

    demo.seed(session, tenant_id)
    count = select(func.count()).select_from(AddFriendList)
    assert session.scalar(count.where(AddFriendList.tenant_id == tenant_id)) == 1

    # 王芳 operates her account (the stores demo's rotation): her day, numbers in full.
    login(world.siyu, "wangfang", PASSWORD)
    mine = world.siyu.get("/api/v1/add-friend/today").json()
    assert mine["operated"] == ["wangfang"]
    assert mine["tasks"]
    assert {t["phone_masked"] for t in mine["tasks"]} == {False}
