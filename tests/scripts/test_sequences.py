"""Sequences (多步话术): a run turns day N's step into one task per owner account, exactly once,
however often the job runs; staff mark customers or whole tasks done."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.auth.permissions import Role
from siyu.customers.models import Customer
from siyu.db import utcnow
from siyu.scripts import sequences
from siyu.scripts.models import ScriptTask, SequenceRun
from siyu.scripts.schemas import RunIn
from siyu.scripts.tasks import ALL_RUNS_JOB
from siyu.staff.models import StaffAccount
from siyu.stores.models import StaffRotation
from siyu.tenants.models import Tenant
from tests.conftest import RunJobs
from tests.factories import make_customer, make_staff_account, make_tenant, make_user
from tests.helpers import login
from tests.scripts.factories import make_sequence

API = "/api/v1"


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session)


@pytest.fixture
def owner(app_client: TestClient, session: Session, tenant: Tenant) -> TestClient:
    user = make_user(session, tenant)
    session.commit()
    login(app_client, user.username)
    return app_client


def _crowd(session: Session, tenant: Tenant) -> list[Customer]:
    make_staff_account(session, tenant, "staff01", "李娜")
    make_staff_account(session, tenant, "staff02", "王芳")
    customers = [
        make_customer(session, tenant, "张三", userid="staff01"),
        make_customer(session, tenant, "李四", userid="staff01"),
        make_customer(session, tenant, "王五", userid="staff02"),
        make_customer(session, tenant, "没人管", userid="staff03"),
    ]
    customers[3].owner_userid = None
    session.flush()
    return customers


def _start(client: TestClient, sequence_id: int, body: dict[str, Any]) -> Any:
    response = client.post(f"{API}/sequences/{sequence_id}/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def _tasks(session: Session, run_id: int) -> list[tuple[int, str, int]]:
    session.expire_all()
    rows = session.scalars(
        select(ScriptTask)
        .where(ScriptTask.run_id == run_id)
        .order_by(ScriptTask.day, ScriptTask.userid)
    )
    return [(t.day, t.userid, t.customers) for t in rows]


def _run_all(session: Session, run_jobs: RunJobs, slot: str) -> None:
    jobs.submit(session, ALL_RUNS_JOB, key=f"test:{slot}")
    session.commit()
    run_jobs(ALL_RUNS_JOB)


def test_day_n_becomes_one_task_per_owner_exactly_once(
    owner: TestClient, session: Session, tenant: Tenant, run_jobs: RunJobs
) -> None:
    customers = _crowd(session, tenant)
    sequence = make_sequence(session, tenant)
    session.commit()
    run = _start(owner, sequence.id, {"customer_ids": [c.id for c in customers]})
    run_jobs(sequences.RUN_JOB)
    assert _tasks(session, run["id"]) == [(1, "staff01", 2), (1, "staff02", 1)]
    # Two days later (as if started then): days 2 and 3 are made, day 1 is not made again.
    row = session.get(SequenceRun, run["id"])
    assert row is not None
    row.start_date = sequences.today() - dt.timedelta(days=2)
    session.commit()
    _run_all(session, run_jobs, "a")
    _run_all(session, run_jobs, "b")
    assert _tasks(session, run["id"]) == [
        (1, "staff01", 2),
        (1, "staff02", 1),
        (2, "staff01", 2),
        (2, "staff02", 1),
        (3, "staff01", 2),
        (3, "staff02", 1),
    ]
    shown = owner.get(f"{API}/sequence-runs/{run['id']}").json()
    assert shown["state"] == "finished"  # its last day has come
    assert shown["customers"] == 4
    assert shown["without_owner"] == 1
    assert [(d["day"], d["tasks"], d["customers"]) for d in shown["days"]] == [
        (1, 2, 3),
        (2, 2, 3),
        (3, 2, 3),
    ]


def test_task_text_is_rendered_for_the_sender_and_each_customer(
    owner: TestClient, session: Session, tenant: Tenant, run_jobs: RunJobs
) -> None:
    customers = _crowd(session, tenant)
    sequence = make_sequence(session, tenant)
    session.commit()
    run = _start(owner, sequence.id, {"customer_ids": [customers[0].id, customers[1].id]})
    run_jobs(sequences.RUN_JOB)
    page = owner.get(f"{API}/script-tasks", params={"run_id": run["id"]}).json()
    assert page["total"] == 1
    task = page["items"][0]
    assert task["text"] == "{customer_name}您好，我是的李娜"
    assert task["title"] == "7天促销 · 第1天"
    detail = owner.get(f"{API}/script-tasks/{task['id']}").json()
    assert [i["text"] for i in detail["items"]] == ["张三您好，我是的李娜", "李四您好，我是的李娜"]


def test_marking_done_by_customer_then_the_whole_task(
    owner: TestClient, session: Session, tenant: Tenant, run_jobs: RunJobs
) -> None:
    customers = _crowd(session, tenant)
    sequence = make_sequence(session, tenant)
    session.commit()
    run = _start(owner, sequence.id, {"customer_ids": [customers[0].id, customers[1].id]})
    run_jobs(sequences.RUN_JOB)
    task = owner.get(f"{API}/script-tasks", params={"run_id": run["id"]}).json()["items"][0]
    url = f"{API}/script-tasks/{task['id']}/done"
    one = owner.post(url, json={"customer_ids": [customers[0].id]}).json()
    assert (one["state"], one["done_customers"]) == ("open", 1)
    assert [i["done"] for i in one["items"]] == [True, False]
    stranger = owner.post(url, json={"customer_ids": [customers[2].id]})
    assert stranger.status_code == 422
    assert stranger.json()["code"] == "script_task_unknown_customers"
    whole = owner.post(url, json={}).json()
    assert (whole["state"], whole["done_customers"]) == ("done", 2)
    assert whole["done_at"] is not None
    days = owner.get(f"{API}/sequence-runs/{run['id']}").json()["days"]
    assert (days[0]["tasks_done"], days[0]["customers_done"]) == (1, 2)
    assert owner.get(f"{API}/script-tasks", params={"state": "open"}).json()["total"] == 0


def test_a_segment_run_takes_the_members_when_it_starts(
    owner: TestClient, session: Session, tenant: Tenant, run_jobs: RunJobs
) -> None:
    customers = _crowd(session, tenant)
    segment = owner.post(
        f"{API}/segments",
        json={"name": "好友", "rule": {"field": "follow", "op": "eq", "value": "friend"}},
    ).json()
    sequence = make_sequence(session, tenant)
    session.commit()
    run = _start(owner, sequence.id, {"segment_id": segment["id"]})
    assert run["customers"] == len(customers)
    run_jobs(sequences.RUN_JOB)
    assert _tasks(session, run["id"]) == [(1, "staff01", 2), (1, "staff02", 1)]


def test_a_stopped_run_makes_no_more_tasks(
    owner: TestClient, session: Session, tenant: Tenant, run_jobs: RunJobs
) -> None:
    customers = _crowd(session, tenant)
    sequence = make_sequence(session, tenant)
    session.commit()
    tomorrow = (sequences.today() + dt.timedelta(days=1)).isoformat()
    run = _start(owner, sequence.id, {"customer_ids": [customers[0].id], "start_date": tomorrow})
    run_jobs(sequences.RUN_JOB)
    assert _tasks(session, run["id"]) == []  # day 1 is tomorrow
    stopped = owner.post(f"{API}/sequence-runs/{run['id']}/stop").json()
    assert stopped["state"] == "stopped"
    again = owner.post(f"{API}/sequence-runs/{run['id']}/stop")
    assert again.json()["code"] == "sequence_run_not_active"
    row = session.get(SequenceRun, run["id"])
    assert row is not None
    row.start_date = sequences.today()
    session.commit()
    _run_all(session, run_jobs, "c")
    assert _tasks(session, run["id"]) == []


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "sequence_run_bad_audience"),
        ({"customer_ids": [999999]}, "sequence_run_bad_audience"),
        ({"segment_id": 999999}, "sequence_run_bad_audience"),
        ({"customer_ids": [1], "start_date": "2000-01-01"}, "sequence_run_bad_audience"),
        ({"customer_ids": [1], "start_date": "yesterday"}, "validation_error"),
    ],
)
def test_bad_runs_are_refused(
    owner: TestClient, session: Session, tenant: Tenant, body: dict[str, Any], code: str
) -> None:
    customer = make_customer(session, tenant)
    sequence = make_sequence(session, tenant)
    session.commit()
    if body.get("customer_ids") == [1]:
        body = body | {"customer_ids": [customer.id]}
    response = owner.post(f"{API}/sequences/{sequence.id}/runs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert session.scalar(select(func.count()).select_from(SequenceRun)) == 0


def test_sequence_steps_are_checked(owner: TestClient) -> None:
    script = owner.post(f"{API}/scripts", json={"title": "t", "body": "b"}).json()
    for steps, code in (
        ([{"day": 1, "text": "a"}, {"day": 1, "text": "b"}], "sequence_bad_steps"),
        ([{"day": 1}], "sequence_bad_steps"),
        ([{"day": 1, "script_id": 999999}], "sequence_bad_steps"),
        ([{"day": 1, "text": "{coupon}"}], "script_unknown_variables"),
        ([{"day": 0, "text": "a"}], "validation_error"),
        ([], "validation_error"),
    ):
        response = owner.post(f"{API}/sequences", json={"name": "s", "steps": steps})
        assert response.status_code == 422, steps
        assert response.json()["code"] == code, steps
    made = owner.post(
        f"{API}/sequences",
        json={
            "name": "两天",
            "steps": [{"day": 2, "text": "b"}, {"day": 1, "script_id": script["id"]}],
        },
    ).json()
    assert [(s["day"], s["script_title"]) for s in made["steps"]] == [(1, "t"), (2, None)]
    assert made["days"] == 2


def test_staff_see_only_the_tasks_of_accounts_they_operate(
    app_client: TestClient, session: Session, tenant: Tenant
) -> None:
    from tests.scripts.factories import make_task

    task = make_task(session, tenant)
    staff = make_user(session, tenant, role=Role.STAFF)
    session.commit()
    login(app_client, staff.username)
    assert app_client.get(f"{API}/script-tasks").json()["total"] == 0
    assert app_client.get(f"{API}/script-tasks/{task.id}").status_code == 404
    assert app_client.post(f"{API}/script-tasks/{task.id}/done", json={}).status_code == 404


def test_a_member_operating_an_account_works_its_tasks(
    app_client: TestClient, session: Session, tenant: Tenant, run_jobs: RunJobs
) -> None:
    customers = _crowd(session, tenant)
    sequence = make_sequence(session, tenant)
    run = sequences.start(
        session, tenant.id, sequence, RunIn(customer_ids=[c.id for c in customers[:3]])
    )
    staff = make_user(session, tenant, role=Role.STAFF)
    account = session.scalar(
        select(StaffAccount).where(
            StaffAccount.tenant_id == tenant.id, StaffAccount.userid == "staff02"
        )
    )
    assert account is not None
    session.add(
        StaffRotation(
            tenant_id=tenant.id,
            staff_account_id=account.id,
            operator_name="王芳",
            user_id=staff.id,
            started_at=utcnow(),
        )
    )
    session.commit()
    run_jobs(sequences.RUN_JOB)
    login(app_client, staff.username)
    page = app_client.get(f"{API}/script-tasks").json()
    assert [(t["userid"], t["customers"]) for t in page["items"]] == [("staff02", 1)]
    task = page["items"][0]
    done = app_client.post(f"{API}/script-tasks/{task['id']}/done", json={}).json()
    assert done["state"] == "done"
    assert done["items"][0]["text"].startswith("王五您好")
    assert app_client.get(f"{API}/script-tasks", params={"userid": "staff01"}).json()["total"] == 0
    assert run.id == task["run_id"]
