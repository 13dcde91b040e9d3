"""Channel codes against the sandbox: made in WeCom, scanned, the new friend credited, tagged and
greeted exactly once — whatever WeCom repeats and wherever a worker dies."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu import qr
from siyu.codes import tasks
from siyu.codes.models import Acquisition, ChannelCode, WelcomeSend
from siyu.customers.models import Customer, TimelineEvent
from siyu.db import Database
from siyu.jobs import Job
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import CustomerTag, Tag
from siyu.wecom.callbacks import load_target
from tests.conftest import RunJobs, World

API = "/api/v1"


def _ready(world: World, run_jobs: RunJobs) -> None:
    world.verify_callback_url()
    run_jobs()  # the demo tenant's staff and customer syncs


def _tag_id(session: Session, name: str) -> int:
    tag_id = session.scalar(select(Tag.id).where(Tag.name == name))
    assert tag_id is not None
    return tag_id


def make_code(world: World, run_jobs: RunJobs, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "门店收银台",
        "members": [{"userid": "chenjie"}],
        "welcome": {"enabled": True, "text": "{客户昵称}您好，我是{员工姓名}，送您¥1烤串券"},
    } | overrides
    response = world.siyu.post(f"{API}/channel-codes", json=body)
    assert response.status_code == 201, response.text
    run_jobs()
    code = world.siyu.get(f"{API}/channel-codes/{response.json()['id']}").json()
    assert code["status"] == "live", code
    return code


def scan(world: World, config_id: str, name: str, *, wait: bool = True) -> dict[str, Any]:
    return world.sandbox_admin(
        "POST",
        f"/simulate/scan?wait={'true' if wait else 'false'}",
        json={"config_id": config_id, "customer": {"name": name}},
    )


def contact_way(world: World, config_id: str) -> dict[str, Any]:
    """The contact way as WeCom holds it (asked with a token of the demo corp)."""
    token = world.sandbox.get(
        "/cgi-bin/gettoken",
        params={"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret},
    ).json()["access_token"]
    answer = world.sandbox.post(
        "/cgi-bin/externalcontact/get_contact_way",
        params={"access_token": token},
        json={"config_id": config_id},
    ).json()
    assert isinstance(answer, dict)
    return answer


def effects(world: World, kind: str) -> list[dict[str, Any]]:
    found = world.sandbox_admin("GET", f"/inspect/effects?kind={kind}")["effects"]
    assert isinstance(found, list)
    return found


def test_a_code_is_made_in_wecom_and_its_qr_decodes_to_the_contact_way_link(
    world: World, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    code = make_code(world, run_jobs)
    way = contact_way(world, code["config_id"])["contact_way"]
    assert (way["state"], way["user"], way["remark"]) == (code["state"], ["chenjie"], "门店收银台")
    png = world.siyu.get(f"{API}/channel-codes/{code['id']}/qr?format=png&size=print")
    assert png.headers["content-type"] == "image/png"
    link = qr.decode(png.content)
    assert link == f"http://sandbox.test/sandbox/ways/{code['config_id']}"
    wecom_image = world.sandbox.get(f"/sandbox/qr/{code['config_id']}")
    assert qr.decode(wecom_image.content) == link
    svg = world.siyu.get(f"{API}/channel-codes/{code['id']}/qr?format=svg&size=screen")
    assert svg.text.startswith("<svg")
    poster = world.siyu.get(f"{API}/channel-codes/{code['id']}/poster.svg?title=扫码领券")
    assert "扫码领券" in poster.text
    bad = world.siyu.get(f"{API}/channel-codes/{code['id']}/qr?size=9")
    assert bad.status_code == 422
    assert bad.json()["code"] == "code_bad_qr_request"


def test_a_scan_credits_tags_and_greets_the_new_friend_once(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    tag = _tag_id(session, "门店")
    code = make_code(world, run_jobs, tag_ids=[tag], remark_template="{渠道}·{客户昵称}")
    scan(world, code["config_id"], "烤串哥")
    run_jobs()
    customer = session.scalar(select(Customer).where(Customer.name == "烤串哥"))
    assert customer is not None
    assert customer.source_channel == code["state"]
    assert session.scalar(
        select(func.count()).where(
            CustomerTag.customer_id == customer.id, CustomerTag.tag_id == tag
        )
    )
    welcomes = effects(world, "welcome")
    assert len(welcomes) == 1
    assert welcomes[0]["payload"]["text"]["content"] == "烤串哥您好，我是陈杰，送您¥1烤串券"
    marks = [
        e
        for e in effects(world, "mark_tag")
        if e["payload"]["external_userid"] == customer.external_userid
    ]
    assert len(marks) == 1
    remarks = effects(world, "remark")
    assert [r["payload"].get("remark") for r in remarks] == ["门店收银台·烤串哥"]
    row = session.scalar(select(WelcomeSend).where(WelcomeSend.customer_id == customer.id))
    assert row is not None
    assert (row.status, row.code_id) == ("sent", code["id"])
    kinds = set(
        session.scalars(select(TimelineEvent.kind).where(TimelineEvent.customer_id == customer.id))
    )
    assert {"friend_added", "tagged", "welcomed"} <= kinds
    listed = world.siyu.get(f"{API}/welcomes?code_id={code['id']}").json()
    assert listed["items"][0]["status"] == "sent"
    again = world.siyu.get(f"{API}/channel-codes/{code['id']}").json()
    assert again["counts"] == {"today": 1, "total": 1, "net": 1, "greeted": 1}


def _redeliver(world: World, database: Database, times: int) -> None:
    """WeCom delivering the same add callback again (a retry: same event, new envelope)."""
    callbacks = world.sandbox_admin("GET", "/inspect/callbacks")["callbacks"]
    add = [c for c in callbacks if c["change_type"] == "add_external_contact"][-1]
    with database.factory() as session:
        target = load_target(session, world.connection.callback_key)
    assert target is not None
    for _ in range(times):
        params, body = target.crypto.envelope(add["xml"])
        answer = world.siyu.post(
            f"/wecom/callback/{world.connection.callback_key}", params=params, content=body
        )
        assert answer.status_code == 200


def test_three_deliveries_and_a_worker_killed_mid_send_give_one_welcome_and_one_tag_write(
    world: World,
    database: Database,
    session: Session,
    run_jobs: RunJobs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _ready(world, run_jobs)
    code = make_code(world, run_jobs, tag_ids=[_tag_id(session, "门店")])
    scan(world, code["config_id"], "重试客户")
    _redeliver(world, database, times=2)  # three deliveries in all
    real_send = tasks.WeComClient.send_welcome_msg

    def send_then_die(self: Any, welcome_code: str, content: dict[str, Any]) -> None:
        real_send(self, welcome_code, content)
        raise SystemError("worker killed after WeCom took the welcome")

    monkeypatch.setattr(tasks.WeComClient, "send_welcome_msg", send_then_die)
    run_jobs()
    monkeypatch.setattr(tasks.WeComClient, "send_welcome_msg", real_send)
    run_jobs(later=True)  # the retry, after the backoff
    assert len(effects(world, "welcome")) == 1
    customer = session.scalar(select(Customer).where(Customer.name == "重试客户"))
    assert customer is not None
    marks = [
        e
        for e in effects(world, "mark_tag")
        if e["payload"]["external_userid"] == customer.external_userid
    ]
    assert len(marks) == 1
    credited = select(func.count()).where(Acquisition.customer_id == customer.id)
    assert session.scalar(credited) == 1
    row = session.scalar(select(WelcomeSend).where(WelcomeSend.customer_id == customer.id))
    assert row is not None
    assert row.status == "unconfirmed"  # WeCom refused the used code: the first attempt sent it
    assert row.attempts == 2
    dead = session.scalar(select(func.count()).where(Job.state == "dead"))
    assert dead == 0


def test_an_expired_welcome_code_is_recorded_not_retried(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    code = make_code(world, run_jobs)
    scan(world, code["config_id"], "慢吞吞")
    world.sandbox_admin("POST", "/clock", json={"advance_seconds": 30})
    run_jobs()
    row = session.scalar(select(WelcomeSend))
    assert row is not None
    assert (row.status, row.errcode, row.reason) == ("expired", 41050, "window_passed")
    assert effects(world, "welcome") == []
    pending = session.scalar(
        select(func.count()).where(Job.kind == "codes.welcome", Job.state != "done")
    )
    assert pending == 0


def test_a_friend_who_chatted_first_is_skipped_and_the_default_welcome_greets_others(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    answer = world.siyu.put(
        f"{API}/default-welcome",
        json={"welcome": {"enabled": True, "text": "欢迎{客户昵称}"}},
    )
    assert answer.status_code == 200, answer.text
    added = world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone?wait=true",
        json={"userid": "wangfang", "customer": {"name": "自来客"}},
    )
    run_jobs()
    assert [e["payload"]["text"]["content"] for e in effects(world, "welcome")] == ["欢迎自来客"]
    second = world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone?wait=true",
        json={"userid": "chenjie", "customer": {"name": "先说话"}},
    )
    world.sandbox_admin(
        "POST",
        "/simulate/chat",
        json={"userid": "chenjie", "external_userid": second["external_userid"], "text": "在吗"},
    )
    run_jobs()
    assert len(effects(world, "welcome")) == 1
    rows = dict(session.execute(select(WelcomeSend.external_userid, WelcomeSend.status)).all())
    assert rows == {added["external_userid"]: "sent", second["external_userid"]: "skipped"}


def test_rules_change_on_wecom_without_a_new_qr_and_caps_move_friends_to_the_backup(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    code = make_code(
        world,
        run_jobs,
        members=[
            {"userid": "chenjie", "daily_cap": 2},
            {"userid": "wangfang", "backup": True},
        ],
        fallback_userids=["liwen"],
    )
    assert code["roster"] == ["chenjie"]
    owners = []
    for i in range(5):
        owners.append(scan(world, code["config_id"], f"排队{i}")["userid"])
        run_jobs()
    assert owners == ["chenjie", "chenjie", "wangfang", "wangfang", "wangfang"]
    way = session.scalar(select(ChannelCode).where(ChannelCode.id == code["id"]))
    assert way is not None
    session.refresh(way)
    assert way.roster == ["wangfang"]
    patched = world.siyu.patch(
        f"{API}/channel-codes/{code['id']}",
        json={"members": [{"userid": "zhangqiang"}], "routing": "round_robin"},
    )
    assert patched.status_code == 200, patched.text
    run_jobs()
    after = world.siyu.get(f"{API}/channel-codes/{code['id']}").json()
    assert (after["config_id"], after["roster"], after["in_step"]) == (
        code["config_id"],
        ["zhangqiang"],
        True,
    )
    assert contact_way(world, code["config_id"])["contact_way"]["user"] == ["zhangqiang"]
    assert scan(world, code["config_id"], "新规则")["userid"] == "zhangqiang"


def test_bad_rules_are_refused_with_reasons(world: World, run_jobs: RunJobs) -> None:
    _ready(world, run_jobs)
    unknown = world.siyu.post(
        f"{API}/channel-codes", json={"name": "x", "members": [{"userid": "nobody"}]}
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "code_unknown_members"
    twice = world.siyu.post(
        f"{API}/channel-codes",
        json={"name": "x", "members": [{"userid": "chenjie"}, {"userid": "chenjie"}]},
    )
    assert twice.status_code == 422
    hours = world.siyu.post(
        f"{API}/channel-codes",
        json={
            "name": "x",
            "members": [
                {"userid": "chenjie", "hours": [{"days": [1], "start": "9点", "end": "18:00"}]}
            ],
        },
    )
    assert hours.status_code == 422
    empty = world.siyu.post(
        f"{API}/channel-codes",
        json={"name": "x", "members": [{"userid": "chenjie"}], "welcome": {"enabled": True}},
    )
    assert empty.status_code == 422
