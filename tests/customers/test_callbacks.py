"""Callbacks keep customers in step between syncs: a new friend appears, an edit is read again,
a deletion by either side ends the friendship and raises one churn alert however often WeCom
repeats the callback."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.models import ChurnAlert, Customer, Follow, TimelineEvent
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import CustomerTag, Tag
from tests.conftest import RunJobs, World

PROCESS = "wecom.process_event"


def _synced(world: World, database: Database, run_jobs: RunJobs) -> None:
    world.verify_callback_url()
    with database.transaction() as session:
        service.start_sync(session, world.connection.tenant_id)
    run_jobs()


def _deliver(world: World, run_jobs: RunJobs) -> None:
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()


def test_a_new_friend_arrives_by_callback_with_profile_and_timeline(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _synced(world, database, run_jobs)
    world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone",
        json={"userid": "chenjie", "customer": {"name": "钱多多", "gender": 2}},
    )
    _deliver(world, run_jobs)
    customer = session.scalar(select(Customer).where(Customer.name == "钱多多"))
    assert customer is not None
    assert customer.owner_userid == "chenjie"
    assert customer.status == "active"
    kinds = session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.customer_id == customer.id)
    ).all()
    assert kinds == ["friend_added", "welcomed"]  # the demo tenant greets new friends


def test_an_edit_in_the_wecom_client_is_read_back_with_tags(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _synced(world, database, run_jobs)
    customer = DEMO_CORP.customers[0]
    wecom_tag = DEMO_CORP.tag_groups[0][2][0][1]  # 潜在
    world.sandbox_admin(
        "POST",
        "/simulate/edit_customer",
        json={
            "userid": "wangfang",
            "external_userid": customer.external_userid,
            "remark": "刘姐·复购",
            "add_tag": [wecom_tag],
        },
    )
    _deliver(world, run_jobs)
    row = session.scalar(
        select(Customer).where(Customer.external_userid == customer.external_userid)
    )
    assert row is not None
    follow = session.scalar(select(Follow).where(Follow.customer_id == row.id))
    assert follow is not None
    assert follow.remark == "刘姐·复购"
    tags = session.scalars(
        select(Tag.name)
        .join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.customer_id == row.id)
    ).all()
    assert "潜在" in tags
    kinds = session.scalars(
        select(TimelineEvent.kind).where(TimelineEvent.customer_id == row.id)
    ).all()
    assert "tagged" in kinds


def test_deletions_by_either_side_raise_one_churn_alert_each_despite_repeats(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _synced(world, database, run_jobs)
    zhao = DEMO_CORP.customers[1]  # friend of wangfang and zhangqiang
    world.sandbox_admin("PUT", "/faults", json={"duplicate_callbacks": True})
    world.sandbox_admin(
        "POST",
        "/simulate/delete_staff",
        json={"userid": "wangfang", "external_userid": zhao.external_userid},
    )
    world.sandbox_admin(
        "POST",
        "/simulate/staff_delete_customer",
        json={"userid": "zhangqiang", "external_userid": zhao.external_userid},
    )
    _deliver(world, run_jobs)
    row = session.scalar(select(Customer).where(Customer.external_userid == zhao.external_userid))
    assert row is not None
    session.refresh(row)
    alerts = session.execute(
        select(ChurnAlert.userid, ChurnAlert.kind).where(ChurnAlert.customer_id == row.id)
    ).all()
    assert sorted(alerts) == [
        ("wangfang", "deleted_by_customer"),
        ("zhangqiang", "deleted_by_staff"),
    ]
    statuses = dict(
        session.execute(
            select(Follow.userid, Follow.status).where(Follow.customer_id == row.id)
        ).all()
    )
    assert statuses == {"wangfang": "deleted_by_customer", "zhangqiang": "deleted_by_staff"}
    assert row.status == "lost"
    ended = session.scalar(
        select(func.count()).where(
            TimelineEvent.customer_id == row.id, TimelineEvent.kind.like("friend_deleted%")
        )
    )
    assert ended == 2
