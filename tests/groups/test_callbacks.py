"""Callbacks keep groups in step between syncs: joins and leaves apply at once (history kept),
repeats change nothing, a lost or reordered callback makes Siyu read the group again, renames,
new owners and notices are read back, new groups appear and dismissed ones close."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.db import Database
from siyu.groups.models import Group, GroupMember
from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from tests.conftest import RunJobs, World
from tests.groups.test_sync import sync

CHAT = DEMO_GROUPS[1][0]  # 徐汇店新客群2: wangfang + 吴佳怡, 郑浩


def _ready(world: World, database: Database, run_jobs: RunJobs) -> None:
    world.verify_callback_url()
    sync(world, database, run_jobs)


def _deliver(world: World, run_jobs: RunJobs) -> None:
    world.sandbox_admin("POST", "/callbacks/deliver", params={"release_held": True})
    run_jobs()


def _group(session: Session, chat_id: str = CHAT) -> Group:
    session.expire_all()
    group = session.scalar(select(Group).where(Group.chat_id == chat_id))
    assert group is not None
    return group


def _wecom_members(world: World, chat_id: str = CHAT) -> set[str]:
    """What WeCom itself holds, read through the sandbox's API as Siyu's client would."""
    token = world.sandbox.get(
        "/cgi-bin/gettoken",
        params={"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret},
    ).json()["access_token"]
    group = world.sandbox.post(
        "/cgi-bin/externalcontact/groupchat/get",
        params={"access_token": token},
        json={"chat_id": chat_id},
    ).json()["group_chat"]
    return {m["userid"] for m in group["member_list"]}


def _ours(session: Session, chat_id: str = CHAT) -> set[str]:
    group = _group(session, chat_id)
    return set(
        session.scalars(
            select(GroupMember.userid).where(
                GroupMember.group_id == group.id, GroupMember.left_at.is_(None)
            )
        )
    )


def test_a_join_and_a_leave_apply_at_once_and_keep_history(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    before = _group(session).member_count
    joined = world.sandbox_admin(
        "POST",
        "/simulate/join_group",
        json={"chat_id": CHAT, "customer": {"name": "钱多多"}, "join_scene": 1},
    )
    _deliver(world, run_jobs)
    group = _group(session)
    assert group.member_count == before + 1
    assert group.refresh_requested_at is None  # and read back for the newcomer's name
    assert group.member_version == joined["member_version"]
    world.sandbox_admin(
        "POST",
        "/simulate/leave_group",
        json={"chat_id": CHAT, "external_userid": joined["external_userid"], "quit_scene": 1},
    )
    _deliver(world, run_jobs)
    assert _group(session).member_count == before
    stay = session.scalar(
        select(GroupMember).where(GroupMember.userid == joined["external_userid"])
    )
    assert stay is not None
    assert stay.left_at is not None
    assert stay.quit_scene == 1
    assert stay.join_scene == 1
    assert _ours(session) == _wecom_members(world)


def test_repeated_callbacks_change_nothing_the_second_time(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    world.sandbox_admin("PUT", "/faults", json={"duplicate_callbacks": True})
    for name in ("甲", "乙", "丙"):
        world.sandbox_admin(
            "POST",
            "/simulate/join_group",
            json={"chat_id": CHAT, "customer": {"name": name}, "join_scene": 2},
        )
    _deliver(world, run_jobs)
    group = _group(session)
    rows = session.scalar(
        select(func.count()).where(GroupMember.group_id == group.id, GroupMember.left_at.is_(None))
    )
    assert rows == group.member_count == len(_wecom_members(world))
    assert _ours(session) == _wecom_members(world)


def test_lost_and_reordered_callbacks_are_mended_by_reading_the_group(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    # A join whose callback never arrives (the URL is down for all three attempts).
    world.sandbox_admin("PUT", "/faults", json={"callback_url_down": True})
    lost = world.sandbox_admin(
        "POST", "/simulate/join_group", json={"chat_id": CHAT, "customer": {"name": "失联"}}
    )
    for _ in range(3):
        world.sandbox_admin("POST", "/callbacks/deliver")
    world.sandbox_admin("DELETE", "/faults")
    # Then a join and a leave delivered in the wrong order.
    world.sandbox_admin("PUT", "/faults", json={"shuffle_callbacks": 2})
    late = world.sandbox_admin(
        "POST", "/simulate/join_group", json={"chat_id": CHAT, "customer": {"name": "迟到"}}
    )
    world.sandbox_admin(
        "POST",
        "/simulate/leave_group",
        json={"chat_id": CHAT, "external_userid": late["external_userid"]},
    )
    _deliver(world, run_jobs)
    ours = _ours(session)
    assert ours == _wecom_members(world)
    assert lost["external_userid"] in ours
    assert late["external_userid"] not in ours
    # The QR join (scene 3, the default) was read back with its state (none here) and count.
    assert _group(session).member_count == len(ours)
    assert _group(session).refresh_requested_at is None


def test_renames_owners_notices_new_and_dismissed_groups_are_read_back(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    world.sandbox_admin(
        "POST",
        "/simulate/update_group",
        json={"chat_id": CHAT, "name": "徐汇店新客群·改名", "notice": "周三上新"},
    )
    created = world.sandbox_admin(
        "POST",
        "/simulate/create_group",
        json={
            "owner": "chenjie",
            "name": "朝阳店新群",
            "customers": ["wmSiyuDemoCust0003AAAAAAAAAAAA"],
        },
    )
    world.sandbox_admin("POST", "/simulate/dismiss_group", json={"chat_id": DEMO_GROUPS[3][0]})
    _deliver(world, run_jobs)
    group = _group(session)
    assert (group.name, group.notice) == ("徐汇店新客群·改名", "周三上新")
    new = _group(session, created["chat_id"])
    assert new.name == "朝阳店新群"
    assert new.owner_userid == "chenjie"
    assert new.member_count == 2
    assert _group(session, DEMO_GROUPS[3][0]).status == "dismissed"


def test_the_group_page_counts_joins_and_leaves_per_day(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    for name in ("一", "二"):
        joined = world.sandbox_admin(
            "POST",
            "/simulate/join_group",
            json={"chat_id": CHAT, "customer": {"name": name}, "join_scene": 1},
        )
    world.sandbox_admin(
        "POST",
        "/simulate/leave_group",
        json={"chat_id": CHAT, "external_userid": joined["external_userid"]},
    )
    _deliver(world, run_jobs)
    group_id = _group(session).id
    detail = world.siyu.get(f"/api/v1/groups/{group_id}").json()
    today = detail["days"][-1]
    assert (today["joins"], today["leaves"]) == (2, 1)
    left = world.siyu.get(f"/api/v1/groups/{group_id}/members", params={"which": "left"}).json()
    # Gone before Siyu read the group: WeCom no longer lists them, so only the id is known.
    assert [m["userid"] for m in left["items"]] == [joined["external_userid"]]
