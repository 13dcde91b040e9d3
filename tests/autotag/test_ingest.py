"""Chat lines in the sandbox → the archive pulled → customers tagged by keyword rules, once,
whatever repeats: a retried job, a crash after a page's commit, a duplicated msgaudit_notify."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.autotag.models import KeywordHit
from siyu.chats import ingest, service
from siyu.chats.models import ChatArchiveState, CustomerChatStats
from siyu.chats.sandbox_feed import SandboxArchive
from siyu.customers.models import Customer, TimelineEvent
from siyu.db import Database
from siyu.jobs import Job
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import CustomerTag
from siyu.wecom.models import WeComEvent
from tests.autotag.helpers import API, LIU, ZHAO, make_rule, make_tag, pull, ready, say
from tests.conftest import RunJobs, World


def _customer(session: Session, external_userid: str) -> Customer:
    customer = session.scalar(select(Customer).where(Customer.external_userid == external_userid))
    assert customer is not None
    return customer


def _tags(session: Session, customer: Customer) -> set[int]:
    session.expire_all()
    return set(
        session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer.id))
    )


def _tagged_entries(session: Session, customer: Customer) -> list[dict[str, Any]]:
    return [
        e.detail
        for e in session.scalars(
            select(TimelineEvent).where(
                TimelineEvent.customer_id == customer.id, TimelineEvent.kind == "tagged"
            )
        )
        if e.detail.get("source") == "keyword"
    ]


def _marks(world: World, external_userid: str) -> list[dict[str, Any]]:
    found: Any = world.sandbox_admin("GET", "/inspect/effects?kind=mark_tag")["effects"]
    return [e for e in found if e["payload"]["external_userid"] == external_userid]


def _hits(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(KeywordHit)) or 0


def test_a_customer_who_mentions_a_keyword_is_tagged_once_with_the_rule_on_the_timeline(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    ready(world, run_jobs)
    tag = make_tag(world, run_jobs, session)
    rule = make_rule(world, [tag])

    say(world, "周六想带宝宝来吃饭，有儿童餐吗？")
    run_jobs()

    liu = _customer(session, LIU)
    assert tag in _tags(session, liu)
    [entry] = _tagged_entries(session, liu)
    assert entry["rule"] == "亲子客户"
    assert entry["rule_id"] == rule["id"]
    assert entry["keyword"] == "宝宝"
    # WeCom hears of the tag once per friendship (刘晓燕 is wangfang's friend only).
    assert len(_marks(world, LIU)) == 1
    hits = world.siyu.get(f"{API}/keyword-rules/{rule['id']}/hits").json()
    assert hits["total"] == 1
    assert hits["items"][0]["customer_name"] == "刘晓燕"
    assert hits["items"][0]["excerpt"] == "周六想带宝宝来吃饭，有儿童餐吗？"
    listed = world.siyu.get(f"{API}/keyword-rules").json()["items"][0]
    assert (listed["hits"], listed["customers"]) == (1, 1)
    status = world.siyu.get(f"{API}/chat-archive").json()
    assert status["source"] == "sandbox"
    assert status["messages_read"] >= 1
    assert status["last_error"] is None


def test_the_same_page_applied_twice_tags_once_and_counts_hits_once(
    world: World, run_jobs: RunJobs, session: Session, database: Database
) -> None:
    ready(world, run_jobs)
    tag = make_tag(world, run_jobs, session)
    make_rule(world, [tag])
    run_jobs()
    cursor = service.get(session, world.connection.tenant_id)
    assert cursor is not None
    after = cursor.cursor_seq
    say(world, "宝宝椅有吗", wait=False)
    page = SandboxArchive(DEMO_CORP.corp_id, "http://sandbox.test", world.sandbox).fetch(
        after, 1000
    )
    assert len(page) == 1
    tenant_id = world.connection.tenant_id

    with database.transaction() as tx:
        first = ingest.apply_page(tx, tenant_id, after, page)
    assert first.hits == 1
    # A retry, or a worker that crashed after the commit, applies the same page again.
    for _ in range(2):
        try:
            with database.transaction() as tx:
                ingest.apply_page(tx, tenant_id, after, page)
        except ingest.StaleCursor:
            pass
        else:
            raise AssertionError("the page was applied twice")
    # And the regular pull finds nothing left to apply.
    run_jobs()

    liu = _customer(session, LIU)
    assert len(_tagged_entries(session, liu)) == 1
    assert _hits(session) == 1
    assert len(_marks(world, LIU)) == 1
    stats = session.scalar(select(CustomerChatStats).where(CustomerChatStats.customer_id == liu.id))
    assert stats is not None
    assert stats.inbound_count == 1


def test_a_duplicated_notify_and_a_retried_pull_apply_nothing_twice(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    ready(world, run_jobs)
    tag = make_tag(world, run_jobs, session)
    make_rule(world, [tag])
    world.sandbox_admin("PUT", "/faults", json={"duplicate_callbacks": True})
    say(world, "孩子想吃儿童餐")
    say(world, "宝宝也来", external_userid=ZHAO)
    # Two pulls at once, as two workers woken by two notifies would run them.
    tenant_id = world.connection.tenant_id
    with session.begin_nested():
        session.add_all(
            Job(tenant_id=tenant_id, kind=service.PULL_JOB, payload={"tenant_id": tenant_id})
            for _ in range(2)
        )
    session.commit()
    run_jobs()

    notifies = session.scalar(
        select(func.sum(WeComEvent.deliveries)).where(WeComEvent.event == "msgaudit_notify")
    )
    assert notifies is not None
    assert notifies >= 4
    assert _hits(session) == 2
    for external in (LIU, ZHAO):
        customer = _customer(session, external)
        assert tag in _tags(session, customer)
        assert len(_tagged_entries(session, customer)) == 1
    assert len(_marks(world, LIU)) == 1
    # 赵明 is the friend of two staff accounts: one mark per friendship.
    assert len(_marks(world, ZHAO)) == 2
    state = session.scalar(select(ChatArchiveState))
    assert state is not None
    assert state.messages_read == 2


def test_a_rule_reads_only_the_side_it_is_set_to(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    ready(world, run_jobs)
    family = make_tag(world, run_jobs, session, "亲子")
    promo = make_tag(world, run_jobs, session, "推荐过")
    make_rule(world, [family], side="customer")
    make_rule(world, [promo], name="导购推荐", keywords=["宝宝"], side="staff")

    say(world, "给宝宝推荐儿童套餐", sender="staff")
    pull(world, run_jobs)
    liu = _customer(session, LIU)
    assert _tags(session, liu) & {family, promo} == {promo}

    say(world, "我家宝宝两岁", external_userid=ZHAO)
    pull(world, run_jobs)
    assert _tags(session, _customer(session, ZHAO)) & {family, promo} == {family}


def test_exact_rules_need_the_whole_message_and_contains_rules_any_part(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    ready(world, run_jobs)
    exact = make_tag(world, run_jobs, session, "想订位")
    make_rule(world, [exact], name="订位", keywords=["订位"], match_mode="exact")

    say(world, "我想订位明天")
    pull(world, run_jobs)
    liu = _customer(session, LIU)
    assert exact not in _tags(session, liu)

    say(world, "  订位 ", external_userid=ZHAO)
    pull(world, run_jobs)
    assert exact in _tags(session, _customer(session, ZHAO))


def test_a_disabled_rule_does_nothing_and_an_edit_takes_effect_on_the_next_page(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    ready(world, run_jobs)
    tag = make_tag(world, run_jobs, session)
    rule = make_rule(world, [tag], enabled=False)

    say(world, "宝宝要来")
    pull(world, run_jobs)
    liu = _customer(session, LIU)
    assert tag not in _tags(session, liu)
    assert _hits(session) == 0

    patched = world.siyu.patch(
        f"{API}/keyword-rules/{rule['id']}", json={"enabled": True, "keywords": ["团建"]}
    )
    assert patched.status_code == 200, patched.text
    say(world, "宝宝要来")  # no longer a keyword
    pull(world, run_jobs)
    assert tag not in _tags(session, liu)
    say(world, "公司团建")
    pull(world, run_jobs)
    assert tag in _tags(session, liu)


def test_messages_from_unknown_people_and_group_chats_are_counted_and_skipped(
    world: World, run_jobs: RunJobs, session: Session, database: Database
) -> None:
    from siyu.chats.archive import ArchivedMessage

    ready(world, run_jobs)
    tag = make_tag(world, run_jobs, session)
    make_rule(world, [tag])
    tenant_id = world.connection.tenant_id
    state = service.get(session, tenant_id)
    assert state is not None
    after = state.cursor_seq
    page = [
        ArchivedMessage(after + 1, "m1", "send", "wmNobodyWeKnow", ("wangfang",), text="宝宝"),
        ArchivedMessage(after + 2, "m2", "send", "wangfang", ("liwen",), text="宝宝"),
        ArchivedMessage(after + 3, "m3", "send", LIU, ("wangfang",), roomid="wr1", text="宝宝"),
        ArchivedMessage(after + 4, "m4", "recall", LIU, ("wangfang",)),
        ArchivedMessage(after + 5, "m5", "send", LIU, ("wangfang",), msgtime=1, text="你好"),
    ]
    with database.transaction() as tx:
        result = ingest.apply_page(tx, tenant_id, after, page)
    assert (result.read, result.applied, result.hits) == (5, 1, 0)
    assert (result.skipped_unknown, result.skipped_group, result.skipped_other) == (2, 1, 1)
    session.expire_all()
    state = service.get(session, tenant_id)
    assert state is not None
    assert state.cursor_seq == after + 5
    assert (state.skipped_unknown, state.skipped_group, state.skipped_other) == (2, 1, 1)
    assert _hits(session) == 0


def test_chat_stats_count_each_sides_messages_and_their_times(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    ready(world, run_jobs)
    say(world, "你好")
    say(world, "在的，请问有什么可以帮您", sender="staff")
    say(world, "明天有位吗")
    pull(world, run_jobs)
    liu = _customer(session, LIU)
    stats = session.scalar(select(CustomerChatStats).where(CustomerChatStats.customer_id == liu.id))
    assert stats is not None
    assert (stats.inbound_count, stats.outbound_count) == (2, 1)
    assert stats.first_inbound_at is not None
    assert stats.last_inbound_at is not None
    assert stats.last_outbound_at is not None
    assert stats.first_inbound_at <= stats.last_outbound_at <= stats.last_inbound_at
    zhao = _customer(session, ZHAO)
    assert (
        session.scalar(select(CustomerChatStats).where(CustomerChatStats.customer_id == zhao.id))
        is None
    )
