"""The full customer sync against the sandbox: what it stores, that it is idempotent, and that a
sync killed mid-way resumes where it stopped without duplicates."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers import service, tasks
from siyu.customers.models import Customer, CustomerSyncRun, Follow, TimelineEvent
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import CustomerTag, Tag
from tests.conftest import RunJobs, World


def _sync(world: World, database: Database, run_jobs: RunJobs) -> CustomerSyncRun:
    with database.transaction() as session:
        run = service.start_sync(session, world.connection.tenant_id)
    run_jobs(service.SYNC_JOB)
    with database.factory() as session:
        stored = session.get(CustomerSyncRun, run.id)
        assert stored is not None
        return stored


def _count(session: Session, model: type[object], tenant_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))
        or 0
    )  # type: ignore[attr-defined]


def test_a_full_sync_stores_every_customer_with_follows_tags_and_owner(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    tenant_id = world.connection.tenant_id
    run = _sync(world, database, run_jobs)
    assert run.state == "done", run.error
    assert run.follows_seen == sum(len(c.follows) for c in DEMO_CORP.customers)
    assert _count(session, Customer, tenant_id) == len(DEMO_CORP.customers)
    assert _count(session, Follow, tenant_id) == run.follows_seen
    zhao = session.scalar(
        select(Customer).where(Customer.external_userid == DEMO_CORP.customers[1].external_userid)
    )
    assert zhao is not None
    assert zhao.name == "赵明"
    assert zhao.status == "active"
    # Two friendships: the owner is the one who has had the customer longest.
    assert zhao.owner_userid == "wangfang"
    follows = {
        f.userid: f for f in session.scalars(select(Follow).where(Follow.customer_id == zhao.id))
    }
    assert follows["zhangqiang"].remark == "赵先生"
    assert follows["wangfang"].state == "parcel_card"
    # Corp tags came first, so the customer's WeCom tags map onto Siyu's tags.
    assert _count(session, Tag, tenant_id) == sum(len(g[2]) for g in DEMO_CORP.tag_groups)
    timeline = session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.customer_id == zhao.id)
    ).all()
    assert timeline.count("friend_added") == 2


def test_syncing_again_changes_nothing(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    tenant_id = world.connection.tenant_id
    _sync(world, database, run_jobs)
    before = [_count(session, m, tenant_id) for m in (Customer, Follow, TimelineEvent, CustomerTag)]
    second = _sync(world, database, run_jobs)
    assert second.state == "done"
    assert second.removed == 0
    after = [_count(session, m, tenant_id) for m in (Customer, Follow, TimelineEvent, CustomerTag)]
    assert before == after


def test_a_sync_killed_mid_way_resumes_from_its_last_page_without_duplicates(
    world: World,
    database: Database,
    session: Session,
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant_id = world.connection.tenant_id
    monkeypatch.setattr(tasks, "PAGE_SIZE", 2)  # 8 friendships: four pages
    apply = service.apply_views
    calls = {"n": 0}

    def dies_on_third_page(*args: object, **kwargs: object) -> service.Applied:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker killed")
        return apply(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(service, "apply_views", dies_on_third_page)
    run = _sync(world, database, run_jobs)
    assert run.state == "running"
    assert run.pages == 2
    run_jobs(service.SYNC_JOB, later=True)  # the retry
    with database.factory() as fresh:
        resumed = fresh.get(CustomerSyncRun, run.id)
        assert resumed is not None
        assert resumed.state == "done"
        assert resumed.resumed == 1
        # Pages 3 and 4 only: the stored pages were not fetched again.
        assert resumed.pages == 4
    assert _count(session, Customer, tenant_id) == len(DEMO_CORP.customers)
    assert _count(session, Follow, tenant_id) == sum(len(c.follows) for c in DEMO_CORP.customers)
    added = session.scalar(
        select(func.count()).where(
            TimelineEvent.tenant_id == tenant_id, TimelineEvent.kind == "friend_added"
        )
    )
    assert added == sum(len(c.follows) for c in DEMO_CORP.customers)


def test_a_friendship_gone_from_wecom_is_marked_removed_by_the_next_sync(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _sync(world, database, run_jobs)
    customer = DEMO_CORP.customers[5]  # one friendship, with liwen
    # Deleted in WeCom while Siyu was not listening (no callback URL set).
    world.sandbox_admin(
        "POST",
        "/simulate/delete_staff",
        json={"userid": "liwen", "external_userid": customer.external_userid},
    )
    run = _sync(world, database, run_jobs)
    assert run.removed == 1
    row = session.scalar(
        select(Customer).where(Customer.external_userid == customer.external_userid)
    )
    assert row is not None
    session.refresh(row)
    assert row.status == "lost"


def test_an_erased_customer_stays_erased_through_later_syncs(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _sync(world, database, run_jobs)
    ext = DEMO_CORP.customers[4].external_userid
    customer = session.scalar(select(Customer).where(Customer.external_userid == ext))
    assert customer is not None
    assert customer.source_channel == "store_xuhui"  # the channel code they came by
    erased = world.siyu.post(f"/api/v1/customers/{customer.id}/erase")
    assert erased.status_code == 200, erased.text
    for _ in range(2):
        _sync(world, database, run_jobs)
    session.expire_all()
    again = session.get(Customer, customer.id)
    assert again is not None
    assert (again.status, again.name, again.avatar) == ("erased", "（已删除）", "")
