"""The demo brand's regions, stores, shop manager, staff by department and one rotation."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.staff.service import SYNC_JOB
from siyu.stores import service
from siyu.stores.models import MemberStore, Region, StaffRotation, Store, StoreAssignment
from tests.conftest import PASSWORD, RunJobs, World
from tests.helpers import login


def _counts(session: Session, tenant_id: int) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: session.scalar(
            select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
        )
        or 0
        for model in (Region, Store, StoreAssignment, MemberStore, StaffRotation)
    }


def test_the_demo_is_seeded_once_and_completed_after_the_staff_sync(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    tenant_id = world.connection.tenant_id
    service.seed_demo(session, tenant_id)  # before the staff are mirrored
    session.commit()
    assert _counts(session, tenant_id) == {
        "regions": 2,
        "stores": 2,
        "store_assignments": 0,
        "member_stores": 1,
        "staff_rotations": 0,
    }

    assert run_jobs(SYNC_JOB) >= 1
    service.seed_demo(session, tenant_id)
    session.commit()
    seeded = _counts(session, tenant_id)
    assert seeded == {
        "regions": 2,
        "stores": 2,
        "store_assignments": 3,  # 张强 and 王芳 at 徐汇, 陈杰 at 朝阳; 李雯 is head office
        "member_stores": 1,
        "staff_rotations": 3,
    }
    service.seed_demo(session, tenant_id)
    session.commit()
    assert _counts(session, tenant_id) == seeded

    stores = {s["name"]: s for s in world.siyu.get("/api/v1/stores").json()["items"]}
    assert set(stores) == {"上海徐汇店", "北京朝阳店"}
    xuhui = world.siyu.get(f"/api/v1/stores/{stores['上海徐汇店']['id']}").json()
    assert {s["userid"] for s in xuhui["staff"]} == {"zhangqiang", "wangfang"}
    assert [m["username"] for m in xuhui["managers"]] == ["zhangqiang"]
    now = world.siyu.get("/api/v1/rotations").json()["items"]
    assert [(i["userid"], i["operator_name"]) for i in now] == [("wangfang", "王芳")]

    # The demo's shop manager sees the customers of 徐汇店's staff only.
    assert world.siyu.post("/api/v1/customers-sync").status_code == 202
    run_jobs()
    everyone = world.siyu.get("/api/v1/customers").json()["items"]
    world.siyu.post("/api/v1/auth/logout")
    login(world.siyu, "zhangqiang", PASSWORD)
    theirs = world.siyu.get("/api/v1/customers").json()["items"]
    assert 0 < len(theirs) < len(everyone)
    assert {c["owner_userid"] for c in theirs} <= {"zhangqiang", "wangfang"}
