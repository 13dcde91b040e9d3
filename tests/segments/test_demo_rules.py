"""The demo tenant's behaviour rules (行为标签): made once the WeCom sync has brought the tags in,
run over every customer at once, and never made twice."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu import demo
from siyu.customers.models import TimelineEvent
from siyu.segments import demo_rules
from siyu.segments.models import BehaviourRule, Segment
from tests.conftest import PASSWORD, RunJobs, World

API = "/api/v1"


def test_the_demo_rules_tag_the_demo_customers_once_the_tags_are_synced(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    run_jobs()  # the syncs, then the demo's rules, then their first runs
    run_jobs()
    rules = {r["name"]: r for r in world.siyu.get(f"{API}/behaviour-rules").json()}
    assert set(rules) == {d["name"] for d in demo_rules.DEMO_RULES}
    assert all(r["enabled"] and not r["running"] and r["last_run_at"] for r in rules.values())
    tags = {
        t["name"]: t["id"]
        for g in world.siyu.get(f"{API}/tags").json()["groups"]
        for t in g["tags"]
    }
    assert rules["近30天新好友 → 新客"]["tag_ids"] == [tags["新客"]]
    # 孙丽娟 came by the moments ad and has not bought again: the rule makes her a prospect.
    ad = rules["朋友圈广告来、未复购 → 潜在"]
    assert ad["members"] >= 1
    assert ad["tagged_now"] >= 1
    members = world.siyu.get(f"{API}/behaviour-rules/{ad['id']}/members").json()
    assert "孙丽娟" in {m["name"] for m in members["items"]}
    assert session.scalar(
        select(func.count())
        .select_from(TimelineEvent)
        .where(TimelineEvent.actor == f"rule:{ad['name']}")
    )
    # The demo's store customers carry 门店 already: the rule selects them and tags nobody.
    store = rules["门店码加的好友 → 门店"]
    assert store["members"] >= 1
    assert store["untag"] is False
    # A saved segment on a tag, counted like any other.
    segments = {s["name"]: s for s in world.siyu.get(f"{API}/segments").json()}
    shanghai_new = segments["上海 · 新客"]
    counted = world.siyu.post(f"{API}/segments/count", json={"rule": shanghai_new["rule"]})
    assert counted.status_code == 200, counted.text

    # Seeding again makes nothing: neither the tenant's seed nor the demo job itself.
    before = (
        session.scalar(select(func.count()).select_from(BehaviourRule)),
        session.scalar(select(func.count()).select_from(Segment)),
    )
    assert not demo.seed(session, password=PASSWORD).created
    assert demo_rules.seed(session, world.connection.tenant_id) == (0, 0)
    after = (
        session.scalar(select(func.count()).select_from(BehaviourRule)),
        session.scalar(select(func.count()).select_from(Segment)),
    )
    assert before == after
