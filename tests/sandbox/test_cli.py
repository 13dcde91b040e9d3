"""``siyu sandbox …`` commands against a running sandbox, and its background callback sender."""

from __future__ import annotations

import json
import time

import httpx
from typer.testing import CliRunner

from siyu.cli import app
from siyu.sandbox.demo import DEMO_CORP
from tests.sandbox.conftest import Receiver, field_of

runner = CliRunner()


def _run(base: str, *args: str) -> str:
    result = runner.invoke(app, ["sandbox", *args, "--url", base])
    assert result.exit_code == 0, result.output
    return result.output


def _token(base: str) -> str:
    params = {"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret}
    token: str = httpx.get(f"{base}/cgi-bin/gettoken", params=params).json()["access_token"]
    return token


def test_cli_plays_customers_and_staff(live_sandbox: str, receiver: Receiver) -> None:
    assert "verified" in _run(live_sandbox, "set-callback", receiver.url)
    token = _token(live_sandbox)
    way = httpx.post(
        f"{live_sandbox}/cgi-bin/externalcontact/add_contact_way",
        params={"access_token": token},
        json={"type": 1, "scene": 2, "user": ["wangfang"], "state": "cli"},
    ).json()
    output = _run(
        live_sandbox, "scan", "--config-id", way["config_id"], "--customer-name", "张三", "--wait"
    )
    external_userid = json.loads(output)["external_userid"]
    _run(live_sandbox, "say", "--userid", "wangfang", "--external-userid", external_userid, "在吗")
    _run(
        live_sandbox,
        "delete-staff",
        "--userid",
        "wangfang",
        "--external-userid",
        external_userid,
        "--wait",
    )
    events = receiver.events()
    changes = [field_of(x, "ChangeType") for x in events if field_of(x, "ChangeType")]
    assert changes == ["add_external_contact", "del_follow_user"]
    # The line of chat went to the chat archive, which WeCom announces with msgaudit_notify.
    assert [field_of(x, "Event") for x in events].count("msgaudit_notify") == 1
    _run(live_sandbox, "faults", '{"latency_ms": {"user/*": 10}}')
    assert json.loads(_run(live_sandbox, "faults"))["latency_ms"] == {"user/*": 10}
    _run(live_sandbox, "faults", "reset")
    assert json.loads(_run(live_sandbox, "clock", "--advance", "30"))["offset"] == 30


def test_cli_plays_an_admin_editing_tags(live_sandbox: str, receiver: Receiver) -> None:
    _run(live_sandbox, "set-callback", receiver.url)
    made = json.loads(
        _run(live_sandbox, "tag-create", "--group-name", "命令行", "--tag", "甲", "--tag", "乙")
    )
    first = made["tag"][0]["id"]
    _run(live_sandbox, "tag-edit", first, "--name", "丙")
    _run(live_sandbox, "tag-delete", made["group_id"], "--wait")
    assert "命令行" not in _run(live_sandbox, "tags")
    deadline = time.monotonic() + 10  # the background sender may still hold one
    while len(receiver.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    events = {(field_of(x, "ChangeType"), field_of(x, "Id")) for x in receiver.events()}
    assert events == {
        ("create", made["group_id"]),
        ("update", first),
        ("delete", made["group_id"]),
    }


def test_cli_reports_a_sandbox_that_does_not_answer() -> None:
    result = runner.invoke(app, ["sandbox", "counters", "--url", "http://127.0.0.1:9"])
    assert result.exit_code == 1
    assert "does not answer" in result.output


def test_background_sender_retries_after_a_delay(live_sandbox: str, receiver: Receiver) -> None:
    httpx.post(
        f"{live_sandbox}/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": receiver.url}
    )
    receiver.statuses = [503]
    httpx.post(
        f"{live_sandbox}/sandbox/simulate/add_by_phone",
        json={"userid": "chenjie", "customer": {"name": "重试"}},
    )
    deadline = time.monotonic() + 10
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(receiver.received) == 2
    rows = httpx.get(f"{live_sandbox}/sandbox/inspect/callbacks").json()["callbacks"]
    attempts = rows[0]["attempts"]
    assert [a["status_code"] for a in attempts] == [503, 200]
    assert attempts[1]["at"] - attempts[0]["at"] >= 1.0  # the worker waited before retrying
    assert rows[0]["status"] == "delivered"
