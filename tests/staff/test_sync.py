"""Staff and departments mirrored from WeCom (the sandbox), through the real job and client."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import Database, utcnow
from siyu.jobs import Job
from siyu.sandbox.demo import DEMO_CORP
from siyu.staff.models import Department, StaffAccount
from siyu.staff.service import SYNC_JOB
from tests.conftest import World


def _run_sync(world: World, database: Database) -> dict[str, object]:
    started = world.siyu.post("/api/v1/staff/sync")
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "pending"
    with database.factory() as session:
        pending = session.scalars(
            select(Job.id).where(Job.kind == SYNC_JOB, Job.state == "pending")
        ).all()
    for job_id in pending:
        assert jobs.run_job(database, job_id) is True
    state: dict[str, object] = world.siyu.get("/api/v1/staff/sync").json()
    return state


def test_a_sync_mirrors_departments_and_staff(
    world: World, database: Database, session: Session
) -> None:
    state = _run_sync(world, database)
    assert state["state"] == "done"
    assert state["active"] == len(DEMO_CORP.staff)
    assert state["departments"] == len(DEMO_CORP.departments)
    staff = world.siyu.get("/api/v1/staff", params={"page_size": 50}).json()
    by_userid = {s["userid"]: s for s in staff["items"]}
    assert set(by_userid) == {s.userid for s in DEMO_CORP.staff}
    for demo_staff in DEMO_CORP.staff:
        mirrored = by_userid[demo_staff.userid]
        assert mirrored["name"] == demo_staff.name
        assert mirrored["department_ids"] == list(demo_staff.departments)
        assert mirrored["customer_contact"] is True
    departments = {d["id"]: d for d in world.siyu.get("/api/v1/departments").json()["items"]}
    assert {d.id: d.name for d in DEMO_CORP.departments} == {
        i: d["name"] for i, d in departments.items()
    }
    store = next(d for d in DEMO_CORP.departments if d.name == "上海徐汇店")
    expected = sum(1 for s in DEMO_CORP.staff if store.id in s.departments)
    assert departments[store.id]["staff_count"] == expected
    filtered = world.siyu.get("/api/v1/staff", params={"department_id": store.id}).json()
    assert filtered["total"] == expected


def test_syncing_again_changes_nothing_and_a_member_who_left_is_kept_as_left(
    world: World, database: Database, session: Session
) -> None:
    _run_sync(world, database)
    before = {(s.userid, s.name, s.status) for s in session.scalars(select(StaffAccount))}
    _run_sync(world, database)
    session.expire_all()
    assert {(s.userid, s.name, s.status) for s in session.scalars(select(StaffAccount))} == before
    leaving = DEMO_CORP.staff[-1].userid
    world.sandbox_admin("POST", f"/corps/{DEMO_CORP.corp_id}/staff/{leaving}/resign")
    state = _run_sync(world, database)
    assert (state["active"], state["left"]) == (len(DEMO_CORP.staff) - 1, 1)
    session.expire_all()
    gone = session.scalars(select(StaffAccount).where(StaffAccount.userid == leaving)).one()
    assert gone.status == "left"
    assert gone.left_at is not None
    assert session.scalar(select(Department.id).limit(1)) is not None


def test_a_sync_already_waiting_is_not_doubled(world: World, session: Session) -> None:
    first = world.siyu.post("/api/v1/staff/sync").json()
    second = world.siyu.post("/api/v1/staff/sync").json()
    assert first["requested_at"] == second["requested_at"]
    assert (
        len(session.scalars(select(Job).where(Job.kind == SYNC_JOB, Job.state == "pending")).all())
        == 1
    )


def test_a_failing_wecom_leaves_the_error_for_the_console(
    world: World, database: Database, drain_jobs: Callable[[], int]
) -> None:
    world.sandbox_admin(
        "PUT",
        "/faults",
        json={"errors": [{"path": "user/list", "errcode": 60011, "times": None}]},
    )
    world.siyu.post("/api/v1/staff/sync")
    with database.factory() as session:
        job_id = session.scalars(
            select(Job.id).where(Job.kind == SYNC_JOB, Job.state == "pending")
        ).first()
    assert job_id is not None
    assert jobs.run_job(database, job_id) is False
    state = world.siyu.get("/api/v1/staff/sync").json()
    assert state["state"] == "pending"  # retried later with backoff
    assert "60011" in state["last_error"]


def _run_due_jobs(database: Database) -> list[str]:
    """Run job rows as a worker would, until none is due; returns the kinds run."""
    ran: list[str] = []
    while True:
        with database.factory() as session:
            due = session.execute(
                select(Job.id, Job.kind)
                .where(Job.state == "pending", Job.run_after <= utcnow())
                .order_by(Job.id)
            ).all()
        if not due:
            return ran
        for job_id, kind in due:
            assert jobs.run_job(database, job_id) is True, kind
            ran.append(kind)


def test_a_member_added_or_leaving_in_wecom_reaches_siyu_by_callback(
    world: World, database: Database, session: Session
) -> None:
    world.verify_callback_url()
    _run_due_jobs(database)  # the demo's first sync
    world.sandbox_admin(
        "POST",
        f"/corps/{DEMO_CORP.corp_id}/staff",
        json={"userid": "sunli", "name": "孙丽", "department": [3], "position": "导购"},
    )
    world.sandbox_admin("POST", f"/corps/{DEMO_CORP.corp_id}/staff/chenjie/resign")
    world.sandbox_admin("POST", "/callbacks/deliver")
    ran = _run_due_jobs(database)
    assert ran.count("wecom.process_event") == 2
    # Changes within one minute share one sync (two if the test straddles a minute).
    assert ran.count(SYNC_JOB) in (1, 2)
    session.expire_all()
    statuses = {s.userid: s.status for s in session.scalars(select(StaffAccount))}
    assert statuses["sunli"] == "active"
    assert statuses["chenjie"] == "left"


def test_a_burst_of_contact_changes_makes_one_sync(world: World, session: Session) -> None:
    from siyu.staff.events import resync_on_contact_change

    tenant_id = world.connection.tenant_id
    for change in ("create_user", "update_user", "delete_user"):
        resync_on_contact_change(session, tenant_id, {"ChangeType": change})
    waiting = select(Job).where(Job.kind == SYNC_JOB, Job.state == "pending")
    jobs_waiting = session.scalars(waiting).all()
    assert len(jobs_waiting) == 1  # the burst shares the sync that waits
    # A change that arrives once that sync has started gets a sync of its own.
    jobs_waiting[0].state = "running"
    resync_on_contact_change(session, tenant_id, {"ChangeType": "update_user"})
    assert len(session.scalars(waiting).all()) == 1
