"""Customer transfers against the sandbox: 在职继承 with the customer refusing or letting the 24
hours pass, 离职继承 after a member leaves, WeCom's 2-per-90-days limit, the clear refusals of
the API, and a worker stopping mid-send that never makes WeCom transfer a customer twice."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers import service as customers
from siyu.customers.models import ChurnAlert, Customer, Follow, TimelineEvent
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.transfers import events
from siyu.transfers.models import Transfer, TransferItem
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from tests.conftest import RunJobs, World

API = "/api/v1"
CORP = DEMO_CORP.corp_id
LIU, ZHAO, SUN, ZHOU, WU, ZHENG = (c.external_userid for c in DEMO_CORP.customers)
DAY = 86400
SEND_CALL = "externalcontact/transfer_customer"


def _ready(world: World, database: Database, run_jobs: RunJobs) -> None:
    """Callbacks verified; staff and customers mirrored (the demo seed asked for both)."""
    world.verify_callback_url()
    with database.transaction() as session:
        customers.start_sync(session, world.connection.tenant_id)
    run_jobs()


def _deliver(world: World, run_jobs: RunJobs) -> None:
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()


def _customer(session: Session, external_userid: str) -> Customer:
    session.expire_all()
    row = session.scalar(select(Customer).where(Customer.external_userid == external_userid))
    assert row is not None
    return row


def _calls(world: World, path: str = SEND_CALL) -> int:
    counters: Any = world.sandbox_admin("GET", "/inspect/counters")
    return int(counters["api_calls"].get(path, 0))


def _start(world: World, **body: Any) -> dict[str, Any]:
    response = world.siyu.post(f"{API}/transfers", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _get(world: World, transfer_id: int, **params: Any) -> dict[str, Any]:
    response = world.siyu.get(f"{API}/transfers/{transfer_id}", params=params)
    assert response.status_code == 200, response.text
    detail: dict[str, Any] = response.json()
    return detail


def _items(world: World, transfer_id: int) -> dict[str, dict[str, Any]]:
    return {i["external_userid"]: i for i in _get(world, transfer_id, page_size=200)["items"]}


def _answer(world: World, external_userid: str, *, accept: bool) -> None:
    world.sandbox_admin(
        "POST",
        "/simulate/transfer_answer",
        json={"external_userid": external_userid, "accept": accept},
    )


def _advance(world: World, seconds: int) -> None:
    world.sandbox_admin("POST", "/clock", json={"advance_seconds": seconds})


def test_active_transfer_one_refused_one_accepted_after_24_hours(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    liu, wu = _customer(session, LIU), _customer(session, WU)
    created = _start(
        world,
        kind="active",
        handover_userid="wangfang",
        takeover_userid="zhangqiang",
        customer_ids=[liu.id, wu.id],
        message="您好，王芳调岗了，之后由店长张强为您服务",
    )
    assert created["state"] == "sending"
    assert created["counts"]["queued"] == 2
    assert created["handover_name"] == "王芳"
    assert created["takeover_name"] == "张强"

    run_jobs()  # sent: WeCom begins both, the customers have 24 hours to refuse
    detail = _get(world, created["id"])
    assert detail["state"] == "waiting"
    assert detail["counts"]["waiting"] == 2
    assert _calls(world) == 1  # both customers in one call

    # 刘晓燕 refuses in WeChat: WeCom's transfer_fail callback settles her at once.
    _answer(world, LIU, accept=False)
    _deliver(world, run_jobs)
    items = _items(world, created["id"])
    assert items[LIU]["status"] == "refused"
    assert items[LIU]["reason"] == "customer_refused"
    assert "拒绝" in items[LIU]["reason_text"]
    assert items[WU]["status"] == "waiting"

    # 吴佳怡 lets the 24 hours pass: the next look at WeCom's results finds her moved.
    _advance(world, DAY + 60)
    refreshed = world.siyu.post(f"{API}/transfers/{created['id']}/refresh")
    assert refreshed.status_code == 200, refreshed.text
    assert refreshed.json()["state"] == "done"
    assert refreshed.json()["counts"] | {"total": 0} == {
        "queued": 0,
        "sending": 0,
        "waiting": 0,
        "accepted": 1,
        "refused": 1,
        "failed": 0,
        "total": 0,
    }
    assert _customer(session, WU).owner_userid == "zhangqiang"
    assert _customer(session, LIU).owner_userid == "wangfang"
    line = session.scalar(
        select(TimelineEvent).where(
            TimelineEvent.customer_id == wu.id, TimelineEvent.kind == "transferred"
        )
    )
    assert line is not None
    assert line.detail == {
        "from": "wangfang",
        "to": "zhangqiang",
        "kind": "active",
        "transfer_id": created["id"],
    }

    # WeCom's add/delete callbacks bring the friendships: moved, not lost (no churn alert).
    _deliver(world, run_jobs)
    session.expire_all()
    follows = dict(
        session.execute(
            select(Follow.userid, Follow.status).where(Follow.customer_id == wu.id)
        ).all()
    )
    assert follows == {"wangfang": "transferred", "zhangqiang": "friend"}
    assert _customer(session, WU).owner_userid == "zhangqiang"
    assert not session.scalars(select(ChurnAlert).where(ChurnAlert.customer_id == wu.id)).all()
    timeline = world.siyu.get(f"{API}/customers/{wu.id}/timeline").json()["items"]
    assert "transferred" in [t["kind"] for t in timeline]

    listed = world.siyu.get(f"{API}/transfers").json()
    assert listed["total"] == 1
    assert listed["items"][0]["counts"]["accepted"] == 1
    refused = _get(world, created["id"], status="refused")
    assert [i["customer_name"] for i in refused["items"]] == ["刘晓燕"]
    assert refused["items_total"] == 1


@pytest.mark.parametrize("seen_first_by", ["callbacks", "results"])
def test_accepted_at_once_the_takeover_owns_a_customer_with_other_friends(
    seen_first_by: str, world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    zhao = _customer(session, ZHAO)  # friend of wangfang (owner) and zhangqiang
    assert zhao.owner_userid == "wangfang"
    created = _start(
        world,
        kind="active",
        handover_userid="wangfang",
        takeover_userid="liwen",
        customer_ids=[zhao.id],
    )
    run_jobs()
    _advance(world, 60)
    _answer(world, ZHAO, accept=True)
    if seen_first_by == "results":
        world.siyu.post(f"{API}/transfers/{created['id']}/refresh")
        assert _items(world, created["id"])[ZHAO]["status"] == "accepted"
    # The callbacks: wangfang's friendship ended by transfer, liwen's began.
    _deliver(world, run_jobs)
    assert _items(world, created["id"])[ZHAO]["status"] == "accepted"
    session.expire_all()
    assert _customer(session, ZHAO).owner_userid == "liwen"
    follows = dict(
        session.execute(
            select(Follow.userid, Follow.status).where(Follow.customer_id == zhao.id)
        ).all()
    )
    assert follows == {"wangfang": "transferred", "zhangqiang": "friend", "liwen": "friend"}
    assert _calls(world, "externalcontact/transfer_result") == (seen_first_by == "results")


def test_resigned_inheritance_after_a_member_leaves(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    world.sandbox_admin("POST", f"/corps/{CORP}/staff/chenjie/resign")
    _deliver(world, run_jobs)  # the contact change makes the staff sync mark chenjie as left

    # Still chenjie's on WeCom, waiting for someone to take them over.
    unassigned = world.siyu.get(f"{API}/transfers/unassigned").json()
    assert {(i["handover_userid"], i["customer_name"]) for i in unassigned["items"]} == {
        ("chenjie", "孙丽娟"),
        ("chenjie", "周建国"),
    }
    assert all(i["customer_id"] for i in unassigned["items"])

    # An active transfer is no longer possible for chenjie, nor is giving customers to him.
    refused = world.siyu.post(
        f"{API}/transfers",
        json={"kind": "active", "handover_userid": "chenjie", "takeover_userid": "liwen"},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "transfer_handover_left"
    refused = world.siyu.post(
        f"{API}/transfers",
        json={"kind": "active", "handover_userid": "liwen", "takeover_userid": "chenjie"},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "transfer_takeover_left"

    created = _start(world, kind="resigned", handover_userid="chenjie", takeover_userid="liwen")
    assert created["counts"]["total"] == 2  # by default every customer chenjie still has
    run_jobs()
    assert _calls(world, "externalcontact/resigned/transfer_customer") == 1
    assert _get(world, created["id"])["counts"]["waiting"] == 2

    # After 24 hours the scheduled look at the results finds both moved.
    _advance(world, DAY + 60)
    with database.transaction() as tx:
        jobs.submit(tx, "transfers.poll_all")
    run_jobs("transfers.poll_all")
    run_jobs("transfers.poll", later=True)
    detail = _get(world, created["id"])
    assert detail["state"] == "done"
    assert detail["counts"]["accepted"] == 2
    assert {_customer(session, SUN).owner_userid, _customer(session, ZHOU).owner_userid} == {
        "liwen"
    }
    _deliver(world, run_jobs)
    session.expire_all()
    sun = _customer(session, SUN)
    follows = dict(
        session.execute(
            select(Follow.userid, Follow.status).where(Follow.customer_id == sun.id)
        ).all()
    )
    assert follows == {"chenjie": "transferred", "liwen": "friend"}
    assert world.siyu.get(f"{API}/transfers/unassigned").json()["items"] == []


def test_the_2_per_90_days_limit_fails_the_customer_with_the_reason(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    zheng = _customer(session, ZHENG)  # liwen's

    def moved(handover: str, takeover: str) -> None:
        created = _start(
            world,
            kind="active",
            handover_userid=handover,
            takeover_userid=takeover,
            customer_ids=[zheng.id],
        )
        run_jobs()
        _advance(world, 60)
        _answer(world, ZHENG, accept=True)  # accepting at once: WeCom moves the customer
        _deliver(world, run_jobs)  # … and its callbacks say so (no need to wait for a look)
        assert _items(world, created["id"])[ZHENG]["status"] == "accepted"

    moved("liwen", "chenjie")
    moved("chenjie", "liwen")
    assert _calls(world) == 2

    third = _start(
        world,
        kind="active",
        handover_userid="liwen",
        takeover_userid="chenjie",
        customer_ids=[zheng.id],
    )
    item = _items(world, third["id"])[ZHENG]
    assert item["status"] == "failed"
    assert item["reason"] == "too_frequent"
    assert "90 天内最多转接 2 次" in item["reason_text"]
    assert third["state"] == "done"
    run_jobs()
    assert _calls(world) == 2  # Siyu knew WeCom would refuse: it did not ask


def test_wecom_refuses_a_customer_transferred_twice_elsewhere(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    client = wecom.client_for_tenant(database, world.connection.tenant_id)
    assert client is not None
    # Two transfers Siyu did not make (another tool, or WeCom's own admin console).
    for handover, takeover in (("chenjie", "zhangqiang"), ("zhangqiang", "chenjie")):
        started = client.transfer_customer(handover, takeover, [SUN])
        assert started[0].errcode == 0
        _answer(world, SUN, accept=True)
    sun = _customer(session, SUN)
    created = _start(
        world,
        kind="active",
        handover_userid="chenjie",
        takeover_userid="liwen",
        customer_ids=[sun.id],
    )
    run_jobs()
    item = _items(world, created["id"])[SUN]
    assert item["status"] == "failed"
    assert item["reason"] == "too_frequent"
    assert item["errcode"] == 40128
    assert "90 天内最多转接 2 次" in item["reason_text"]
    assert _calls(world) == 3  # WeCom was asked: Siyu did not know of the other two


def test_a_full_takeover_account_fails_the_customer_at_once(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    wu = _customer(session, WU)
    created = _start(
        world,
        kind="active",
        handover_userid="wangfang",
        takeover_userid="liwen",
        customer_ids=[wu.id],
    )
    run_jobs()
    # WeCom's transfer_fail callback: the takeover has as many customers as WeCom allows.
    fields = {
        "ChangeType": "transfer_fail",
        "FailReason": "customer_limit_exceed",
        "UserID": "liwen",
        "ExternalUserID": WU,
    }
    with database.transaction() as tx:
        events.transfer_failed(tx, world.connection.tenant_id, fields)
    item = _items(world, created["id"])[WU]
    assert item["status"] == "failed"
    assert item["reason"] == "takeover_limit"
    assert _get(world, created["id"])["state"] == "done"


@pytest.mark.parametrize("stop", ["before_the_call", "after_wecom_answered"])
def test_a_worker_stopping_mid_send_never_transfers_twice(
    stop: str,
    world: World,
    database: Database,
    session: Session,
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _ready(world, database, run_jobs)
    liu, wu = _customer(session, LIU), _customer(session, WU)
    original = WeComClient.transfer_customer

    def stopping(self: WeComClient, *args: Any, **kwargs: Any) -> Any:
        if stop == "after_wecom_answered":
            original(self, *args, **kwargs)
        raise RuntimeError("the worker was stopped")

    monkeypatch.setattr(WeComClient, "transfer_customer", stopping)
    created = _start(
        world,
        kind="active",
        handover_userid="wangfang",
        takeover_userid="zhangqiang",
        customer_ids=[liu.id, wu.id],
    )
    run_jobs()
    session.expire_all()
    statuses = session.scalars(
        select(TransferItem.status).where(TransferItem.transfer_id == created["id"])
    ).all()
    assert statuses == ["sending", "sending"]  # written before the call, kept after it broke
    assert _calls(world) == (1 if stop == "after_wecom_answered" else 0)

    monkeypatch.setattr(WeComClient, "transfer_customer", original)
    run_jobs(later=True)  # the retry looks them up in WeCom's transfer results first
    detail = _get(world, created["id"])
    assert detail["counts"]["waiting"] == 2, detail
    assert _calls(world) == 1  # asked once in all
    assert _calls(world, "externalcontact/transfer_result") >= 1
    transfer = session.get(Transfer, created["id"])
    assert transfer is not None
    assert transfer.state == "waiting"


def test_refusals_are_clear_422s(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    world.sandbox_admin("POST", f"/corps/{CORP}/staff", json={"userid": "xinren", "name": "新人"})
    _deliver(world, run_jobs)
    liu = _customer(session, LIU)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"kind": "active", "handover_userid": "wangfang", "takeover_userid": "wangfang"},
            "transfer_same_staff",
            "wangfang",
        ),
        (
            {"kind": "active", "handover_userid": "wangfang", "takeover_userid": "nobody"},
            "transfer_unknown_staff",
            "nobody",
        ),
        (
            {"kind": "active", "handover_userid": "xinren", "takeover_userid": "wangfang"},
            "transfer_no_customers",
            "xinren",
        ),
        (
            {
                "kind": "active",
                "handover_userid": "chenjie",
                "takeover_userid": "wangfang",
                "customer_ids": [liu.id],
            },
            "transfer_not_handover_customers",
            str(liu.id),
        ),
        (
            {"kind": "resigned", "handover_userid": "wangfang", "takeover_userid": "liwen"},
            "transfer_handover_not_left",
            "wangfang",
        ),
    ]
    for body, code, named in cases:
        response = world.siyu.post(f"{API}/transfers", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == code
        assert named in response.json()["message"]
    too_long = world.siyu.post(
        f"{API}/transfers",
        json={
            "kind": "active",
            "handover_userid": "wangfang",
            "takeover_userid": "liwen",
            "message": "字" * 201,
        },
    )
    assert too_long.status_code == 422
    assert too_long.json()["code"] == "validation_error"
    session.expire_all()
    assert session.scalars(select(Transfer)).all() == []


def test_a_customer_left_out_of_wecoms_answer_is_looked_up(
    world: World,
    database: Database,
    session: Session,
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _ready(world, database, run_jobs)
    liu, wu = _customer(session, LIU), _customer(session, WU)
    original = WeComClient.transfer_customer

    def forgetful(self: WeComClient, *args: Any, **kwargs: Any) -> Any:
        return [o for o in original(self, *args, **kwargs) if o.external_userid != WU]

    monkeypatch.setattr(WeComClient, "transfer_customer", forgetful)
    created = _start(
        world,
        kind="active",
        handover_userid="wangfang",
        takeover_userid="zhangqiang",
        customer_ids=[liu.id, wu.id],
    )
    run_jobs()
    items = _items(world, created["id"])
    assert {items[LIU]["status"], items[WU]["status"]} == {"waiting"}
    assert _calls(world) == 1
    assert _calls(world, "externalcontact/transfer_result") == 1
