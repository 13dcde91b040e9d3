"""The phone-list flow from import to auto-completed task, through the sandbox: a list is
uploaded and handed to two staff accounts; in WeCom (the sandbox) a staff member adds the number
and keeps it as the remark mobile, the customer accepts, WeCom calls back, Siyu reads the customer
again, and the task completes itself — for the account it was meant for, or as added by another."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.addfriend import events
from siyu.addfriend.models import AddFriendTask
from siyu.customers import hooks
from siyu.customers import service as customers
from siyu.customers.models import Customer, TimelineEvent
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from tests.addfriend.factories import CSV, csv_bytes
from tests.conftest import RunJobs, World

API = "/api/v1"


def _synced(world: World, database: Database, run_jobs: RunJobs) -> None:
    world.verify_callback_url()
    with database.transaction() as session:
        customers.start_sync(session, world.connection.tenant_id)
    run_jobs()


def _start_list(world: World, run_jobs: RunJobs, rows: list[list[str]], userids: list[str]) -> int:
    uploaded = world.siyu.post(
        f"{API}/add-friend-lists",
        files={"file": ("拓客.csv", csv_bytes([["手机号", "姓名"], *rows]), CSV)},
    )
    assert uploaded.status_code == 201, uploaded.text
    list_id: int = uploaded.json()["id"]
    edited = world.siyu.patch(f"{API}/add-friend-lists/{list_id}", json={"userids": userids})
    assert edited.status_code == 200, edited.text
    assert world.siyu.post(f"{API}/add-friend-lists/{list_id}/start").status_code == 202
    run_jobs()
    return list_id


def _tasks(session: Session, list_id: int) -> dict[str, AddFriendTask]:
    session.expire_all()
    return {
        t.name: t
        for t in session.scalars(select(AddFriendTask).where(AddFriendTask.list_id == list_id))
    }


def _deliver(world: World, run_jobs: RunJobs) -> None:
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()


def test_the_listener_is_registered_wherever_task_modules_load() -> None:
    jobs.load_task_modules()
    assert events.complete_tasks in hooks._listeners


def test_a_task_completes_itself_when_the_number_becomes_a_friend(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _synced(world, database, run_jobs)
    list_id = _start_list(
        world,
        run_jobs,
        [["13700000001", "林一"], ["13700000002", "林二"], ["13700000003", "林三"]],
        ["liwen", "zhangqiang"],
    )
    tasks = _tasks(session, list_id)
    assert {n: t.userid for n, t in tasks.items()} == {
        "林一": "liwen",
        "林二": "zhangqiang",
        "林三": "liwen",
    }
    # 李雯 sends the request to 林一 and keeps the number as the remark mobile; 林一 accepts.
    sent = world.siyu.post(f"{API}/add-friend-tasks/{tasks['林一'].id}/sent")
    assert sent.json()["state"] == "sent"
    world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone",
        json={"userid": "liwen", "customer": {"name": "林一"}, "phone": "+86 137-0000-0001"},
    )
    # 林二 was 张强's task, but 王芳 added her first.
    world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone",
        json={"userid": "wangfang", "customer": {"name": "林二"}, "phone": "13700000002"},
    )
    # Someone else becomes a friend: no task of theirs, nothing changes.
    world.sandbox_admin(
        "POST", "/simulate/add_by_phone", json={"userid": "liwen", "customer": {"name": "路人"}}
    )
    _deliver(world, run_jobs)

    tasks = _tasks(session, list_id)
    lin1 = session.scalar(select(Customer).where(Customer.name == "林一"))
    lin2 = session.scalar(select(Customer).where(Customer.name == "林二"))
    assert lin1 is not None
    assert lin2 is not None
    assert (tasks["林一"].state, tasks["林一"].completed_userid) == ("done", "liwen")
    assert tasks["林一"].customer_id == lin1.id
    assert tasks["林一"].finished_at is not None
    assert (tasks["林二"].state, tasks["林二"].completed_userid) == ("done", "wangfang")
    assert tasks["林二"].customer_id == lin2.id
    assert tasks["林三"].state == "pending"
    done_line = session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.customer_id == lin1.id, TimelineEvent.kind == "add_friend_done"
        )
    )
    assert done_line is not None
    assert (done_line.actor, done_line.detail["list"]) == ("liwen", "拓客")
    detail = world.siyu.get(f"{API}/add-friend-lists/{list_id}").json()
    assert detail["counts"] == {
        "pending": 1,
        "sent": 0,
        "done": 1,
        "done_by_other": 1,
        "skipped": 0,
        "cancelled": 0,
        "total": 3,
    }
    by_staff = {s["userid"]: s["counts"] for s in detail["by_staff"]}
    assert by_staff["zhangqiang"]["done_by_other"] == 1
    listed = world.siyu.get(f"{API}/add-friend-tasks", params={"list_id": list_id, "state": "done"})
    assert {(t["name"], t["by_other"]) for t in listed.json()["items"]} == {
        ("林一", False),
        ("林二", True),
    }

    # WeCom repeats itself (a full sync finds the friendships again): nothing changes twice.
    before = {n: (t.state, t.completed_userid, t.finished_at) for n, t in tasks.items()}
    _synced(world, database, run_jobs)
    after = {
        n: (t.state, t.completed_userid, t.finished_at) for n, t in _tasks(session, list_id).items()
    }
    assert after == before


def test_a_former_friend_back_by_phone_completes_the_task_from_the_number_siyu_holds(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    """WeCom reports no remark mobile here: the number Siyu holds for the customer matches."""
    _synced(world, database, run_jobs)
    former = DEMO_CORP.customers[3]  # 周建国, a friend of 陈杰
    tenant_id = world.connection.tenant_id
    customer = session.scalar(
        select(Customer).where(Customer.external_userid == former.external_userid)
    )
    assert customer is not None
    with database.transaction() as tx:
        customers.add_phone(tx, tenant_id, customer.id, "13700000009", "manual")
    world.sandbox_admin(
        "POST",
        "/simulate/delete_staff",
        json={"userid": "chenjie", "external_userid": former.external_userid},
    )
    _deliver(world, run_jobs)
    session.expire_all()
    assert session.get(Customer, customer.id).status == "lost"  # type: ignore[union-attr]

    list_id = _start_list(world, run_jobs, [["13700000009", "周建国"]], ["liwen"])
    assert _tasks(session, list_id)["周建国"].state == "pending"
    world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone",
        json={
            "userid": "liwen",
            "customer": {"external_userid": former.external_userid, "name": ""},
        },
    )
    _deliver(world, run_jobs)
    task = _tasks(session, list_id)["周建国"]
    assert (task.state, task.completed_userid, task.customer_id) == ("done", "liwen", customer.id)
