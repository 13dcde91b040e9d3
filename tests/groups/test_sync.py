"""The full group sync reads every group and its members from the sandbox, links members who are
customers, resumes after a crash, lists by owner when WeCom answers 81017, and closes groups no
longer listed as dismissed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.db import Database
from siyu.groups import service
from siyu.groups.models import Group, GroupMember, GroupSyncRun
from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUP_STATE, DEMO_GROUPS
from tests.conftest import RunJobs, World


def sync(world: World, database: Database, run_jobs: RunJobs) -> GroupSyncRun:
    with database.transaction() as session:
        run_id = service.start_sync(session, world.connection.tenant_id).id
    run_jobs()
    with database.factory() as session:
        run = session.get(GroupSyncRun, run_id)
        assert run is not None
        return run


def test_the_sync_mirrors_the_demo_groups_and_their_members(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    with database.transaction() as s:
        customers.start_sync(s, world.connection.tenant_id)
    run_jobs()
    run = sync(world, database, run_jobs)
    assert run.state == "done"
    assert run.listed == run.read == len(DEMO_GROUPS)
    groups = {g.chat_id: g for g in session.scalars(select(Group))}
    assert set(groups) == {g[0] for g in DEMO_GROUPS}
    first = groups[DEMO_GROUPS[0][0]]
    assert first.name == "徐汇店老客福利群"
    assert first.owner_userid == "wangfang"
    assert first.notice.startswith("欢迎加入")
    # owner + zhangqiang + three named customers (no crowd in the tests' sandbox)
    assert (first.member_count, first.customer_count) == (5, 3)
    members = session.scalars(select(GroupMember).where(GroupMember.group_id == first.id)).all()
    liu = next(m for m in members if m.userid == DEMO_CORP.customers[0].external_userid)
    assert liu.member_type == "customer"
    assert liu.customer_id is not None  # the customer synced before is linked
    assert liu.name == DEMO_CORP.customers[0].name
    staff = {m.userid for m in members if m.member_type == "staff"}
    assert staff == {"wangfang", "zhangqiang"}
    by_code = session.scalar(select(func.count()).where(GroupMember.state == DEMO_GROUP_STATE))
    assert (by_code or 0) > 0

    # Synced again: nothing changes, nothing doubles.
    before = session.scalar(select(func.count()).select_from(GroupMember))
    again = sync(world, database, run_jobs)
    assert again.state == "done"
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(GroupMember)) == before


def test_a_group_dismissed_without_a_callback_is_closed_by_the_next_sync(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    sync(world, database, run_jobs)
    chat_id = DEMO_GROUPS[3][0]
    # No callback URL is set: WeCom's dismiss callback is lost.
    world.sandbox_admin("POST", "/simulate/dismiss_group", json={"chat_id": chat_id})
    run = sync(world, database, run_jobs)
    assert run.dismissed == 1
    group = session.scalar(select(Group).where(Group.chat_id == chat_id))
    assert group is not None
    assert group.status == "dismissed"


def test_a_crashed_sync_resumes_and_a_large_corp_is_listed_by_owner(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    # WeCom refuses to list without owner_filter (81017), then the first read fails once.
    world.sandbox_admin(
        "PUT",
        "/faults",
        json={
            "errors": [
                {"path": "externalcontact/groupchat/list", "errcode": 81017, "times": 1},
                {"path": "externalcontact/groupchat/get", "errcode": 40058, "times": 1},
            ]
        },
    )
    run = sync(world, database, run_jobs)
    assert run.state == "running"  # the first attempt failed part-way
    run_jobs(later=True)
    session.expire_all()
    run = session.get(GroupSyncRun, run.id)
    assert run is not None
    assert run.state == "done"
    assert run.by_owner is True
    assert "wangfang" in run.owners
    assert run.resumed >= 1
    assert session.scalar(select(func.count()).select_from(Group)) == len(DEMO_GROUPS)


def test_the_console_api_starts_the_sync_and_shows_groups(
    world: World, database: Database, run_jobs: RunJobs
) -> None:
    siyu: TestClient = world.siyu
    waiting = siyu.get("/api/v1/groups-sync").json()
    assert waiting["state"] == "running"  # the demo seed started one
    started = siyu.post("/api/v1/groups-sync")
    assert started.status_code == 202
    assert started.json()["id"] == waiting["id"]  # the sync under way is reused
    run_jobs()
    state = siyu.get("/api/v1/groups-sync").json()
    assert state["state"] == "done"
    assert state["groups_total"] == len(DEMO_GROUPS)
    page = siyu.get("/api/v1/groups", params={"q": "徐汇"}).json()
    assert [g["name"] for g in page["items"]] == ["徐汇店老客福利群", "徐汇店新客群2"]
    group_id = page["items"][0]["id"]
    detail = siyu.get(f"/api/v1/groups/{group_id}").json()
    assert detail["owner_name"] == "王芳" or detail["owner_userid"] == "wangfang"
    assert len(detail["days"]) == 14
    members = siyu.get(f"/api/v1/groups/{group_id}/members").json()
    assert members["total"] == 5
    by_code = [m for m in members["items"] if m["state"] == DEMO_GROUP_STATE]
    assert by_code


def test_the_demo_tenant_gets_a_group_code_with_joins(
    world: World, database: Database, run_jobs: RunJobs
) -> None:
    run_jobs()
    run_jobs(later=True)  # the demo's code waits for the group sync
    codes = world.siyu.get("/api/v1/group-codes").json()["items"]
    demo_code = next(c for c in codes if c["state"] == DEMO_GROUP_STATE)
    assert demo_code["name"] == "徐汇店福利群码"
    assert [g["chat_id"] for g in demo_code["groups"]] == [DEMO_GROUPS[0][0], DEMO_GROUPS[1][0]]
    assert demo_code["joins_total"] > 0
    assert demo_code["welcome_name"] == "徐汇店入群欢迎"
    assert demo_code["qr_code"]


def test_a_group_made_while_the_sync_runs_is_not_taken_for_dismissed(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    sync(world, database, run_jobs)
    world.verify_callback_url()
    # The sync lists the groups, then stops at its first read (WeCom refuses it once)…
    world.sandbox_admin(
        "PUT",
        "/faults",
        json={"errors": [{"path": "externalcontact/groupchat/get", "errcode": 40058, "times": 1}]},
    )
    with database.transaction() as s:
        run_id = service.start_sync(s, world.connection.tenant_id).id
    run_jobs("groups.sync")
    # …meanwhile a group is made, and its callback handled before the sync goes on.
    new = world.sandbox_admin(
        "POST", "/simulate/create_group", json={"owner": "liwen", "name": "同步中新建的群"}
    )
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs("wecom.process_event", "groups.refresh")
    run_jobs("groups.sync", later=True)
    session.expire_all()
    run = session.get(GroupSyncRun, run_id)
    assert run is not None
    assert run.state == "done"
    assert run.listed == len(DEMO_GROUPS)  # listed before the new group existed
    group = session.scalar(select(Group).where(Group.chat_id == new["chat_id"]))
    assert group is not None
    assert group.status == "active"
