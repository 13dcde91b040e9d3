"""Behaviour rules tag by themselves: a rule over the whole tenant when made, the changed
customers every minute, untagging those who stop matching (never a tag put on by hand), each
change on the timeline with the rule's name, and the tags written to WeCom once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.chats.models import CustomerChatStats
from siyu.customers import service as customers
from siyu.customers.models import Customer, TimelineEvent
from siyu.db import Database
from siyu.segments import behaviour
from siyu.tags.models import CustomerTag, Tag, TagWrite
from tests.conftest import RunJobs, World
from tests.factories import make_customer, make_tag_group, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"
SHANGHAI = {"field": "city", "op": "eq", "value": "上海"}


def _tags_of(session: Session, customer_id: int) -> set[int]:
    session.expire_all()
    return set(
        session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer_id))
    )


def _setup(session: Session, client: TestClient) -> tuple[list[Customer], Tag, int]:
    tenant = make_tenant(session)
    people = []
    for i, city in enumerate(["上海", "上海", "北京"]):
        person = make_customer(session, tenant, f"客户{i}")
        person.city = city
        people.append(person)
    group = make_tag_group(session, tenant, "自动")
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name="沪上好友", wecom_id="etrule1")
    session.add(tag)
    user = make_user(session, tenant)
    session.commit()
    login(client, user.username)
    return people, tag, tenant.id


def test_a_rule_tags_untags_and_says_so_on_the_timeline(
    app_client: TestClient, session: Session, run_jobs: RunJobs, database: Database
) -> None:
    people, tag, tenant_id = _setup(session, app_client)
    made = app_client.post(
        f"{API}/behaviour-rules",
        json={"name": "上海的好友", "rule": SHANGHAI, "tag_ids": [tag.id]},
    )
    assert made.status_code == 201, made.text
    rule = made.json()
    assert rule["running"] is True
    run_jobs(behaviour.RUN_JOB)
    shown = app_client.get(f"{API}/behaviour-rules/{rule['id']}").json()
    assert (shown["members"], shown["tagged_now"], shown["last_tagged"]) == (2, 2, 2)
    assert shown["running"] is False
    assert tag.id in _tags_of(session, people[0].id)
    assert tag.id not in _tags_of(session, people[2].id)
    entry = session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.customer_id == people[0].id, TimelineEvent.kind == "tagged"
        )
    )
    assert entry is not None
    assert entry.detail["rule"] == "上海的好友"
    assert entry.detail["source"] == "rule"
    assert entry.actor == "rule:上海的好友"
    writes = session.scalar(select(func.count()).where(TagWrite.add == [tag.id]))
    assert writes == 2  # one per friendship, pushed to WeCom by the tags outbox
    # Someone else in Beijing gets the tag by hand: the rule must never take it off.
    app_client.post(
        f"{API}/customers/tagging", json={"customer_ids": [people[2].id], "add": [tag.id]}
    )
    with database.transaction() as tx:
        assert behaviour.catch_up(tx, tenant_id) == 0  # the first look starts the cursor
    # One Shanghai customer moves to Beijing, the hand-tagged one stays in Beijing.
    app_client.patch(f"{API}/customers/{people[1].id}", json={"city": "北京"})
    with database.transaction() as tx:
        assert behaviour.catch_up(tx, tenant_id) >= 1
    assert tag.id not in _tags_of(session, people[1].id)
    assert tag.id in _tags_of(session, people[2].id)
    untagged = session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.customer_id == people[1].id, TimelineEvent.kind == "untagged"
        )
    )
    assert untagged is not None
    assert untagged.detail["rule_id"] == rule["id"]
    # Back to Shanghai: tagged again by the next minute's run.
    app_client.patch(f"{API}/customers/{people[1].id}", json={"city": "上海"})
    with database.transaction() as tx:
        behaviour.catch_up(tx, tenant_id)
    assert tag.id in _tags_of(session, people[1].id)
    members = app_client.get(f"{API}/behaviour-rules/{rule['id']}/members").json()
    assert {m["id"] for m in members["items"]} == {people[0].id, people[1].id}
    # A second catch-up with nothing new changes nothing.
    with database.transaction() as tx:
        behaviour.catch_up(tx, tenant_id)
        behaviour.catch_up(tx, tenant_id)
    assert session.scalar(select(func.count()).where(TagWrite.add == [tag.id])) == 4


def test_bad_rules_and_tags_are_refused(app_client: TestClient, session: Session) -> None:
    _, tag, _ = _setup(session, app_client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"name": "x", "rule": {"and": []}, "tag_ids": [tag.id]}, "segment_bad_rule"),
        ({"name": "x", "rule": SHANGHAI, "tag_ids": [999999]}, "segment_unknown_references"),
        ({"name": "x", "rule": SHANGHAI, "tag_ids": []}, "validation_error"),
    ]
    for body, code in cases:
        answer = app_client.post(f"{API}/behaviour-rules", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == code
    first = app_client.post(
        f"{API}/behaviour-rules", json={"name": "同名", "rule": SHANGHAI, "tag_ids": [tag.id]}
    )
    assert first.status_code == 201
    again = app_client.post(
        f"{API}/behaviour-rules", json={"name": "同名", "rule": SHANGHAI, "tag_ids": [tag.id]}
    )
    assert again.status_code == 409


def test_rule_tags_reach_wecom_once(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    with database.transaction() as tx:
        customers.start_sync(tx, world.connection.tenant_id)
    run_jobs()
    tag = session.scalar(select(Tag).where(Tag.name == "潜在"))
    assert tag is not None
    rule = {"field": "owner", "op": "eq", "value": "chenjie"}
    made = world.siyu.post(
        f"{API}/behaviour-rules", json={"name": "陈杰的客户", "rule": rule, "tag_ids": [tag.id]}
    )
    assert made.status_code == 201, made.text
    run_jobs()
    session.expire_all()
    owned = session.scalars(
        select(Customer.external_userid).where(Customer.owner_userid == "chenjie")
    ).all()
    assert owned
    marks = world.sandbox_admin("GET", "/inspect/effects?kind=mark_tag")["effects"]
    assert isinstance(marks, list)
    marked = [m["payload"]["external_userid"] for m in marks]
    assert sorted(set(marked)) == sorted(owned)
    # Running the rule again writes nothing more to WeCom.
    world.siyu.post(f"{API}/behaviour-rules/{made.json()['id']}/run")
    run_jobs()
    again = world.sandbox_admin("GET", "/inspect/effects?kind=mark_tag")["effects"]
    assert isinstance(again, list)
    assert len(again) == len(marks)


def test_a_customer_who_asks_is_tagged_by_a_chat_rule(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    """The seeds' vip: a customer who has asked (written in a 1:1 chat) gets the rule's tag
    once the chat archive is read; the segment counts them as they write."""
    from tests.autotag.helpers import LIU, make_tag, pull, ready, say

    ready(world, run_jobs)
    tag_id = make_tag(world, run_jobs, session, "咨询过")
    asked = {"field": "chat_count", "op": "gte", "value": 1}
    before = world.siyu.post(f"{API}/segments/count", json={"rule": asked}).json()["count"]
    made = world.siyu.post(
        f"{API}/behaviour-rules", json={"name": "问过的客户", "rule": asked, "tag_ids": [tag_id]}
    )
    assert made.status_code == 201, made.text
    run_jobs()
    tenant_id = world.connection.tenant_id
    with database.transaction() as tx:
        behaviour.catch_up(tx, tenant_id)  # the cursor starts here
    liu = session.scalar(select(Customer).where(Customer.external_userid == LIU))
    assert liu is not None
    had_asked = session.scalar(
        select(func.count()).where(
            CustomerChatStats.customer_id == liu.id, CustomerChatStats.inbound_count > 0
        )
    )
    say(world, "你好，周末有包间吗？")
    pull(world, run_jobs)
    after = world.siyu.post(f"{API}/segments/count", json={"rule": asked}).json()["count"]
    assert after == before + (0 if had_asked else 1)
    with database.transaction() as tx:
        assert behaviour.catch_up(tx, tenant_id) >= 1
    assert tag_id in _tags_of(session, liu.id)
    entry = session.scalar(
        select(TimelineEvent)
        .where(TimelineEvent.customer_id == liu.id, TimelineEvent.kind == "tagged")
        .order_by(TimelineEvent.id.desc())
    )
    assert entry is not None
    assert entry.detail["rule"] == "问过的客户"
