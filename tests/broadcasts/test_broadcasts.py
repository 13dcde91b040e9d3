"""Broadcasts against the sandbox: a segment's customers split into one WeCom task per sender,
staff confirmations and per-customer results read back, a customer friended by two accounts
messaged once by their owner, a worker stopped right after WeCom made a task and a storm of
45009 rate limits that still leave every customer messaged exactly once, receive limits, the
tenant's cap and quiet hours."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.broadcasts import dispatch
from siyu.broadcasts import service as broadcasts
from siyu.broadcasts.models import BroadcastRecipient, BroadcastTask
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.jobs import Job
from siyu.sandbox.demo import DEMO_CORP
from siyu.segments.models import Segment
from siyu.wecom import service as wecom
from siyu.wecom.schemas import Reply
from tests.broadcasts.conftest import API, compose, customer_ids, results, sandbox_sends
from tests.conftest import RunJobs, World

FRIENDS = {"field": "follow", "op": "eq", "value": "friend"}
ADD_MSG = "externalcontact/add_msg_template"


def _segment(session: Session, tenant_id: int, rule: dict[str, Any] = FRIENDS) -> int:
    segment = Segment(tenant_id=tenant_id, name="全部好友", rule=rule)
    session.add(segment)
    session.commit()
    return segment.id


def _tasks(session: Session, broadcast_id: int) -> list[BroadcastTask]:
    session.expire_all()
    return list(
        session.scalars(
            select(BroadcastTask)
            .where(BroadcastTask.broadcast_id == broadcast_id)
            .order_by(BroadcastTask.sender)
        )
    )


def _recipients(session: Session, broadcast_id: int) -> dict[int, BroadcastRecipient]:
    session.expire_all()
    rows = session.scalars(
        select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast_id)
    )
    return {r.customer_id or 0: r for r in rows}


def _confirm_all(world: World, session: Session, broadcast_id: int) -> None:
    for task in _tasks(session, broadcast_id):
        assert task.msgid, task.state
        world.sandbox_admin(
            "POST", "/simulate/confirm_mass", json={"msgid": task.msgid, "userid": task.sender}
        )


def _sync(world: World, run_jobs: RunJobs, broadcast_id: int) -> None:
    response = world.siyu.post(f"{API}/broadcasts/{broadcast_id}/sync")
    assert response.status_code == 202, response.text
    run_jobs()


def _run_pending(database: Database, now: Any) -> None:
    with database.factory() as session:
        pending = list(session.scalars(select(Job.id).where(Job.state == jobs.PENDING)))
    for job_id in pending:
        jobs.run_job(database, job_id, now=now)


def _wecom_messages(database: Database, tenant_id: int, broadcast_start: int) -> list[str]:
    client = wecom.client_for_tenant(database, tenant_id)
    assert client is not None
    page = client.list_group_msgs("single", broadcast_start, broadcast_start + 7200)
    return [m.msgid for m in page.group_msg_list]


def test_a_segment_broadcast_goes_once_per_customer_from_the_owner(
    ready: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    tenant_id = ready.connection.tenant_id
    ids = customer_ids(session)
    segment_id = _segment(session, tenant_id)
    created = compose(ready, audience={"kind": "segment", "segment_id": segment_id})
    assert created["state"] == "scheduled"
    run_jobs()

    tasks = _tasks(session, created["id"])
    recipients = _recipients(session, created["id"])
    owners = {
        c.id: c.owner_userid
        for c in session.scalars(select(Customer).where(Customer.tenant_id == tenant_id))
    }
    # One recipient row per customer, sent by the owner account; one task per sender.
    assert set(recipients) == set(ids.values())
    for customer_id, row in recipients.items():
        assert row.sender == owners[customer_id], (customer_id, row.sender)
        assert row.status == "planned"  # stored so; shown as waiting once its task is made
    by_sender = Counter(r.sender for r in recipients.values())
    assert {t.sender: t.recipients for t in tasks} == dict(by_sender)
    assert all(t.state == "created" and t.msgid for t in tasks)
    two_accounts = ids[DEMO_CORP.customers[1].external_userid]  # 赵明: wangfang and zhangqiang
    assert recipients[two_accounts].sender == owners[two_accounts]

    # Nothing reaches a customer until the staff confirm in their client.
    assert sandbox_sends(ready) == []
    before = results(ready, created["id"])
    assert before["counts"]["waiting"] == len(ids)
    assert not any(s["confirmed"] for s in before["senders"])

    first = tasks[0]
    ready.sandbox_admin(
        "POST", "/simulate/confirm_mass", json={"msgid": first.msgid, "userid": first.sender}
    )
    _sync(ready, run_jobs, created["id"])
    partly = results(ready, created["id"])
    assert partly["counts"]["sent"] == first.recipients
    assert partly["broadcast"]["state"] == "sent"
    confirmed = {s["sender"]: s["confirmed"] for s in partly["senders"]}
    assert confirmed[first.sender] is True
    assert sum(confirmed.values()) == 1

    _confirm_all(ready, session, created["id"])
    _sync(ready, run_jobs, created["id"])
    done = results(ready, created["id"])
    assert done["counts"]["sent"] == len(ids)
    assert done["broadcast"]["state"] == "done"
    delivered = Counter(e["payload"]["external_userid"] for e in sandbox_sends(ready))
    assert delivered == Counter(set(ids))  # every customer exactly once

    sheet = ready.siyu.get(f"{API}/broadcasts/{created['id']}/results.xlsx")
    assert sheet.status_code == 200
    assert sheet.content[:2] == b"PK"
    page = ready.siyu.get(f"{API}/broadcasts/{created['id']}/recipients", params={"status": "sent"})
    assert page.json()["total"] == len(ids)
    assert {row["name"] for row in page.json()["items"]} >= {"刘晓燕", "赵明"}


def test_a_stopped_worker_and_a_storm_of_rate_limits_message_everyone_once(
    ready: World,
    session: Session,
    database: Database,
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant_id = ready.connection.tenant_id
    ids = customer_ids(session)
    ready.sandbox_admin(
        "PUT", "/faults", json={"errors": [{"path": ADD_MSG, "errcode": 45009, "times": 7}]}
    )
    crashes: list[str] = []

    def crash_once(task: BroadcastTask) -> None:
        if not crashes:
            crashes.append(task.sender)
            raise RuntimeError("worker stopped after WeCom made the task")

    monkeypatch.setattr(dispatch, "after_call", crash_once)
    start = int(broadcasts.utcnow().timestamp()) - 60
    created = compose(ready, audience={"kind": "customers", "customer_ids": list(ids.values())})
    for hours in range(2, 60, 2):  # each retry waits out its backoff
        _run_pending(database, broadcasts.utcnow() + broadcasts.dt.timedelta(hours=hours))
    tasks = _tasks(session, created["id"])
    assert crashes, "the stop was injected"
    assert all(t.state == "created" for t in tasks), [(t.sender, t.state) for t in tasks]
    assert sum(t.rate_limited for t in tasks) >= 1
    # WeCom holds exactly one mass message per task: the stopped one was found, not remade.
    made = _wecom_messages(database, tenant_id, start)
    assert sorted(made) == sorted(t.msgid for t in tasks)

    ready.sandbox_admin("DELETE", "/faults")
    _confirm_all(ready, session, created["id"])
    _sync(ready, run_jobs, created["id"])
    delivered = Counter(e["payload"]["external_userid"] for e in sandbox_sends(ready))
    assert delivered == Counter(set(ids))
    assert results(ready, created["id"])["counts"]["sent"] == len(ids)


def test_receive_limits_and_the_tenants_cap_are_reported_not_dropped(
    ready: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    ids = customer_ids(session)
    everyone = {"kind": "customers", "customer_ids": list(ids.values())}
    # WeCom set to one mass message a day per customer; Siyu not told (it predicts nothing).
    ready.sandbox_admin(
        "PUT", f"/corps/{DEMO_CORP.corp_id}/settings", json={"receive_policy": "day1"}
    )
    first = compose(ready, name="第一条", audience=everyone)
    run_jobs()
    _confirm_all(ready, session, first["id"])
    _sync(ready, run_jobs, first["id"])
    assert results(ready, first["id"])["counts"]["sent"] == len(ids)

    second = compose(ready, name="第二条", audience=everyone)
    run_jobs()
    _confirm_all(ready, session, second["id"])
    _sync(ready, run_jobs, second["id"])
    # WeCom refused them (status 3): each is reported over the limit.
    assert results(ready, second["id"])["counts"]["over_limit"] == len(ids)

    # Told the policy, Siyu keeps them out of the next task and says why; its own cap too.
    saved = ready.siyu.put(
        f"{API}/reach-settings",
        json={
            "quiet_start": "00:00",
            "quiet_end": "00:00",
            "cap_count": 5,
            "cap_days": 7,
            "wecom_policy": "day1",
        },
    )
    assert saved.status_code == 200, saved.text
    third = compose(ready, name="第三条", audience=everyone)
    run_jobs()
    counts = results(ready, third["id"])["counts"]
    assert counts["over_limit"] == len(ids), counts
    assert _tasks(session, third["id"]) == []

    ready.siyu.put(
        f"{API}/reach-settings",
        json={
            "quiet_start": "00:00",
            "quiet_end": "00:00",
            "cap_count": 1,
            "cap_days": 7,
            "wecom_policy": "month",
        },
    )
    # Only the first reached them (the others were refused): a cap of one a week stops this.
    fourth = compose(ready, name="第四条", audience=everyone)
    run_jobs()
    assert results(ready, fourth["id"])["counts"]["over_cap"] == len(ids)


def test_quiet_hours_move_the_send_and_nothing_goes_before(
    ready: World, session: Session, run_jobs: RunJobs
) -> None:
    ready.siyu.put(
        f"{API}/reach-settings",
        json={
            "quiet_start": "00:00",
            "quiet_end": "23:59",
            "cap_count": 3,
            "cap_days": 7,
            "wecom_policy": "month",
        },
    )
    ids = customer_ids(session)
    created = compose(ready, audience={"kind": "customers", "customer_ids": list(ids.values())})
    local_now = broadcasts.local(broadcasts.utcnow())
    if (local_now.hour, local_now.minute) < (23, 59):
        assert created["moved_by_quiet_hours"] is True
        assert (
            broadcasts.local(broadcasts.dt.datetime.fromisoformat(created["due_at"])).strftime(
                "%H:%M"
            )
            == "23:59"
        )
        run_jobs()
        assert _tasks(session, created["id"]) == []
        assert ready.siyu.get(f"{API}/broadcasts/{created['id']}").json()["state"] == "scheduled"


def test_a_daily_repeat_makes_its_next_occurrence_once(
    ready: World, session: Session, run_jobs: RunJobs
) -> None:
    ids = customer_ids(session)
    today = broadcasts.local(broadcasts.utcnow()).date()
    created = compose(
        ready,
        audience={"kind": "customers", "customer_ids": list(ids.values())[:2]},
        repeat={"every": "day", "until": str(today + broadcasts.dt.timedelta(days=3))},
    )
    run_jobs()
    listed = ready.siyu.get(f"{API}/broadcasts").json()["items"]
    children = [b for b in listed if b["parent_id"] == created["id"]]
    assert len(children) == 1
    assert children[0]["state"] == "scheduled"
    assert children[0]["send_at"] > created["send_at"]


def test_bad_input_is_refused_clearly(ready: World, session: Session) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"audience": {"kind": "segment", "segment_id": 999999}}, 404, "not_found"),
        (
            {"audience": {"kind": "customers", "customer_ids": [1]}, "text": " "},
            422,
            "broadcast_empty",
        ),
        ({"audience": {"kind": "groups"}}, 422, "broadcast_wrong_audience_kind"),
        (
            {
                "audience": {"kind": "customers", "customer_ids": [1]},
                "send_at": "2020-01-01T08:00:00+08:00",
            },
            422,
            "broadcast_bad_time",
        ),
        ({"audience": {"kind": "tags", "tag_ids": [987654]}}, 422, "segment_unknown_references"),
        ({"audience": {"kind": "nobody"}}, 422, "validation_error"),
        ({"audience": {"kind": "customers", "customer_ids": ["x"]}}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        payload = {"name": "x", "text": "hello"} | body
        response = ready.siyu.post(f"{API}/broadcasts", json=payload)
        assert response.status_code == status, (body, response.text)
        assert response.json()["code"] == code, (body, response.text)


def test_cancelling_a_sent_broadcast_withdraws_unconfirmed_tasks(
    ready: World, session: Session, run_jobs: RunJobs
) -> None:
    ids = customer_ids(session)
    created = compose(ready, audience={"kind": "customers", "customer_ids": list(ids.values())})
    run_jobs()
    cancelled = ready.siyu.post(f"{API}/broadcasts/{created['id']}/cancel")
    assert cancelled.status_code == 200
    run_jobs()
    counts = results(ready, created["id"])["counts"]
    assert counts["cancelled"] == len(ids)
    task = _tasks(session, created["id"])[0]
    refused = ready.sandbox.post(
        "/sandbox/simulate/confirm_mass", json={"msgid": task.msgid, "userid": task.sender}
    )
    assert refused.status_code >= 400 or refused.json().get("errcode") == 41047


def test_materials_and_the_senders_variables_reach_wecom(
    ready: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    ids = customer_ids(session)
    link = ready.siyu.post(
        f"{API}/materials/links",
        json={"title": "秋冬新品目录", "url": "https://example.com/catalog", "description": "新品"},
    )
    assert link.status_code == 201, link.text
    start = int(broadcasts.utcnow().timestamp()) - 60
    created = compose(
        ready,
        audience={"kind": "customers", "customer_ids": list(ids.values())},
        text="我是{staff_name}，{today}新品目录请查收",
        material_ids=[link.json()["id"]],
    )
    run_jobs()
    client = wecom.client_for_tenant(database, ready.connection.tenant_id)
    assert client is not None
    page = client.post(
        "/cgi-bin/externalcontact/get_groupmsg_list_v2",
        GroupMsgRaw,
        {"chat_type": "single", "start_time": start, "end_time": start + 7200, "filter_type": 0},
        idempotent=True,
    )
    messages = page.group_msg_list
    names = {t.sender: t for t in _tasks(session, created["id"])}
    assert len(messages) == len(names)
    for message in messages:
        assert message["attachments"][0]["msgtype"] == "link"
        assert message["attachments"][0]["link"]["url"] == "https://example.com/catalog"
        text = message["text"]["content"]
        assert "{staff_name}" not in text
        assert text.startswith("我是")
        assert "新品目录请查收" in text

    # A customer's own variable cannot be filled in a mass message: refused, not sent blank.
    refused = ready.siyu.post(
        f"{API}/broadcasts",
        json={
            "name": "x",
            "text": "{customer_name}您好",
            "audience": {"kind": "customers", "customer_ids": [1]},
        },
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "broadcast_unknown_variables"
    unknown = ready.siyu.post(
        f"{API}/broadcasts",
        json={
            "name": "x",
            "text": "hi",
            "material_ids": [987654],
            "audience": {"kind": "customers", "customer_ids": [1]},
        },
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "materials_unknown"


class GroupMsgRaw(Reply):
    group_msg_list: list[dict[str, Any]]
