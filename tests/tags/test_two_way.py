"""Corp tags kept in step both ways with WeCom (the sandbox): made in Siyu → on WeCom; made in
WeCom's admin console → in Siyu by callback; both sides renaming one tag → the later change wins
on both sides; customers' tags reach WeCom as mark_tag, once per friendship."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import Tag, TagGroup, TagWrite
from tests.conftest import RunJobs, World

API = "/api/v1"
CORP = DEMO_CORP.corp_id


def _wecom_tags(world: World) -> dict[str, str]:
    """WeCom's corp tags, id → name."""
    groups: Any = world.sandbox_admin("GET", f"/corps/{CORP}/tags")["tag_group"]
    return {t["id"]: t["name"] for g in groups for t in g["tag"]}


def _ready(world: World, database: Database, run_jobs: RunJobs) -> None:
    world.verify_callback_url()
    with database.transaction() as session:
        customers.start_sync(session, world.connection.tenant_id)
    run_jobs()


def test_a_group_made_in_siyu_reaches_wecom(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    made = world.siyu.post(
        f"{API}/tag-groups", json={"name": "会员权益", "tags": ["生日礼", "积分"]}
    )
    assert made.status_code == 201, made.text
    group = next(g for g in made.json()["groups"] if g["name"] == "会员权益")
    assert {t["sync_state"] for t in group["tags"]} == {"pending"}
    run_jobs()
    session.expire_all()
    tags = session.scalars(select(Tag).where(Tag.name.in_(["生日礼", "积分"]))).all()
    assert all(t.sync_state == "synced" and t.wecom_id for t in tags)
    wecom = _wecom_tags(world)
    assert {wecom[t.wecom_id] for t in tags if t.wecom_id} == {"生日礼", "积分"}


def test_a_tag_made_in_wecom_arrives_by_callback(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    world.sandbox_admin(
        "POST",
        f"/corps/{CORP}/tags",
        params={"wait": "true"},
        json={"group_name": "兴趣", "tag": [{"name": "咖啡"}]},
    )
    run_jobs()
    session.expire_all()
    tag = session.scalar(select(Tag).where(Tag.name == "咖啡"))
    assert tag is not None
    assert tag.sync_state == "synced"
    group = session.get(TagGroup, tag.group_id)
    assert group is not None
    assert group.name == "兴趣"


def _level_tag(session: Session) -> Tag:
    tag = session.scalar(select(Tag).where(Tag.name == "潜在"))
    assert tag is not None
    assert tag.wecom_id
    return tag


def test_renamed_on_both_sides_the_later_change_wins_everywhere(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    tag = _level_tag(session)
    # Round 1: WeCom renames first, then Siyu (before the callback is processed): Siyu wins.
    world.sandbox_admin("PATCH", f"/corps/{CORP}/tags/{tag.wecom_id}", json={"name": "意向客户"})
    renamed = world.siyu.patch(f"{API}/tags/{tag.id}", json={"name": "潜客"})
    assert renamed.status_code == 200, renamed.text
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()
    session.expire_all()
    assert session.get(Tag, tag.id).name == "潜客"  # type: ignore[union-attr]
    assert _wecom_tags(world)[tag.wecom_id] == "潜客"  # type: ignore[index]
    # Round 2: Siyu renames (its push still queued), then WeCom renames later: WeCom wins.
    world.siyu.patch(f"{API}/tags/{tag.id}", json={"name": "观望"})
    world.sandbox_admin("POST", "/clock", json={"advance_seconds": 60})
    world.sandbox_admin(
        "PATCH",
        f"/corps/{CORP}/tags/{tag.wecom_id}",
        params={"wait": "true"},
        json={"name": "待转化"},
    )
    run_jobs("wecom.process_event")  # the callback is handled before Siyu's push goes out
    run_jobs()
    session.expire_all()
    assert session.get(Tag, tag.id).name == "待转化"  # type: ignore[union-attr]
    assert _wecom_tags(world)[tag.wecom_id] == "待转化"  # type: ignore[index]


def test_a_tag_deleted_in_wecom_leaves_siyu_and_its_customers(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    tag = session.scalar(select(Tag).where(Tag.name == "门店"))
    assert tag is not None
    world.sandbox_admin("DELETE", f"/corps/{CORP}/tags/{tag.wecom_id}", params={"wait": "true"})
    run_jobs()
    session.expire_all()
    assert session.scalar(select(Tag).where(Tag.name == "门店")) is None


def test_tagging_customers_writes_mark_tag_once_per_friendship(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    tag = _level_tag(session)
    zhao = session.scalar(
        select(Customer).where(Customer.external_userid == DEMO_CORP.customers[1].external_userid)
    )
    assert zhao is not None
    body = {"customer_ids": [zhao.id], "add": [tag.id]}
    assert world.siyu.post(f"{API}/customers/tagging", json=body).json()["writes"] == 2
    assert world.siyu.post(f"{API}/customers/tagging", json=body).json()["writes"] == 0
    run_jobs()
    marks: Any = world.sandbox_admin(
        "GET", "/inspect/effects", params={"corp_id": CORP, "kind": "mark_tag"}
    )
    items = marks["effects"] if isinstance(marks, dict) and "effects" in marks else marks
    written = [
        (m["payload"]["userid"], m["payload"]["add_tag"])
        for m in items
        if m["payload"]["external_userid"] == zhao.external_userid
    ]
    assert sorted(written) == [("wangfang", [tag.wecom_id]), ("zhangqiang", [tag.wecom_id])]
    session.expire_all()
    states = session.scalars(select(TagWrite.state).where(TagWrite.customer_id == zhao.id)).all()
    assert states == ["synced", "synced"]
    # A later full sync reads the tag back from WeCom and changes nothing.
    with database.transaction() as fresh:
        customers.start_sync(fresh, world.connection.tenant_id)
    run_jobs()
    detail = world.siyu.get(f"{API}/customers/{zhao.id}").json()
    assert tag.id in [t["id"] for t in detail["tags"]]
