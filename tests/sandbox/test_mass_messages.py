from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from tests.sandbox.conftest import WeCom

LIU = "wmSiyuDemoCust0001AAAAAAAAAAAA"
ZHAO = "wmSiyuDemoCust0002AAAAAAAAAAAA"
WU = "wmSiyuDemoCust0005AAAAAAAAAAAA"


def _send(wecom: WeCom, **body: Any) -> dict[str, Any]:
    return wecom.post(
        "externalcontact/add_msg_template",
        {"chat_type": "single", "text": {"content": "双十一会员价，今晚 8 点开抢"}} | body,
    )


def _confirm(client: TestClient, msgid: str, userid: str) -> dict[str, Any]:
    result: dict[str, Any] = client.post(
        "/sandbox/simulate/confirm_mass", json={"msgid": msgid, "userid": userid}
    ).json()
    return result


def _results(wecom: WeCom, msgid: str, userid: str) -> dict[str, int]:
    body = wecom.post(
        "externalcontact/get_groupmsg_send_result", {"msgid": msgid, "userid": userid}
    )
    return {s["external_userid"]: s["status"] for s in body["send_list"]}


def test_mass_message_waits_for_the_staff_then_delivers(client: TestClient, wecom: WeCom) -> None:
    created = _send(wecom, sender="wangfang", external_userid=[LIU, ZHAO, "wmNotACustomer"])
    assert created["errcode"] == 0
    assert created["fail_list"] == ["wmNotACustomer"]
    msgid = created["msgid"]
    tasks = wecom.post("externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"]
    assert tasks == [{"userid": "wangfang", "status": 0}]
    assert set(_results(wecom, msgid, "wangfang").values()) == {0}
    assert (
        client.get("/sandbox/inspect/effects", params={"kind": "mass_message"}).json()["count"] == 0
    )

    assert _confirm(client, msgid, "wangfang")["sent"] == 2
    assert _results(wecom, msgid, "wangfang") == {LIU: 1, ZHAO: 1}
    tasks = wecom.post("externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"]
    assert tasks[0]["status"] == 2
    effects = client.get("/sandbox/inspect/effects", params={"kind": "mass_message"}).json()
    assert {e["payload"]["external_userid"] for e in effects["effects"]} == {LIU, ZHAO}
    assert _confirm(client, msgid, "wangfang")["sent"] == 0  # confirming twice sends nothing more

    listed = wecom.post(
        "externalcontact/get_groupmsg_list_v2",
        {"chat_type": "single", "start_time": 0, "end_time": 2_000_000_000},
    )
    assert listed["errcode"] == 40058  # more than a month
    now = client.get("/sandbox/clock").json()["now"]
    listed = wecom.post(
        "externalcontact/get_groupmsg_list_v2",
        {"chat_type": "single", "start_time": now - 86400, "end_time": now + 10},
    )
    assert [m["msgid"] for m in listed["group_msg_list"]] == [msgid]
    assert listed["group_msg_list"][0]["text"]["content"].startswith("双十一")


def test_receive_limit_one_per_day_marks_the_second_status_3(
    client: TestClient, wecom: WeCom
) -> None:
    client.put(f"/sandbox/corps/{DEMO_CORP.corp_id}/settings", json={"receive_policy": "day1"})
    first = _send(wecom, sender="wangfang", external_userid=[LIU])["msgid"]
    second = _send(wecom, sender="wangfang", external_userid=[LIU, WU])["msgid"]
    _confirm(client, first, "wangfang")
    outcome = _confirm(client, second, "wangfang")
    assert outcome == {"sent": 1, "not_friend": 0, "over_limit": 1}
    assert _results(wecom, second, "wangfang") == {LIU: 3, WU: 1}
    client.post("/sandbox/clock", json={"advance_seconds": 86400})
    wecom.token = wecom.gettoken()["access_token"]  # the old one expired meanwhile
    third = _send(wecom, sender="wangfang", external_userid=[LIU])["msgid"]
    assert _confirm(client, third, "wangfang")["sent"] == 1  # a new day


def test_legacy_four_per_month_limit(client: TestClient, wecom: WeCom) -> None:
    client.put(f"/sandbox/corps/{DEMO_CORP.corp_id}/settings", json={"receive_policy": "legacy4"})
    statuses = []
    for _ in range(5):
        msgid = _send(wecom, sender="wangfang", external_userid=[LIU])["msgid"]
        _confirm(client, msgid, "wangfang")
        statuses.append(_results(wecom, msgid, "wangfang")[LIU])
    assert statuses == [1, 1, 1, 1, 3]


def test_customer_who_deleted_the_staff_gets_status_2(client: TestClient, wecom: WeCom) -> None:
    msgid = _send(wecom, sender="wangfang", external_userid=[LIU])["msgid"]
    client.post(
        "/sandbox/simulate/delete_staff", json={"userid": "wangfang", "external_userid": LIU}
    )
    _confirm(client, msgid, "wangfang")
    assert _results(wecom, msgid, "wangfang") == {LIU: 2}


def test_tag_filter_and_per_staff_tasks(client: TestClient, wecom: WeCom) -> None:
    created = _send(
        wecom, tag_filter={"group_list": [{"tag_list": ["etSiyuDemoTagNewAAAA"]}]}, sender=""
    )
    assert created["errcode"] == 40058  # neither recipients nor sender
    created = _send(
        wecom,
        external_userid=[LIU, ZHAO, WU, "wmSiyuDemoCust0003AAAAAAAAAAAA"],
        tag_filter={"group_list": [{"tag_list": ["etSiyuDemoTagNewAAAA"]}]},
    )
    msgid = created["msgid"]
    tasks = wecom.post("externalcontact/get_groupmsg_task", {"msgid": msgid})["task_list"]
    assert {t["userid"] for t in tasks} == {"wangfang", "zhangqiang", "chenjie"}
    assert LIU in created["fail_list"]  # a repeat customer, not tagged 新客


def test_no_recipient_is_41048_and_remind_is_limited(client: TestClient, wecom: WeCom) -> None:
    assert _send(wecom, external_userid=["wmNobody"])["errcode"] == 41048
    msgid = _send(wecom, sender="wangfang")["msgid"]
    codes = [
        wecom.post("externalcontact/remind_groupmsg_send", {"msgid": msgid})["errcode"]
        for _ in range(4)
    ]
    assert codes == [0, 0, 0, 45009]
    assert wecom.post("externalcontact/cancel_groupmsg_send", {"msgid": msgid})["errcode"] == 0
    assert _confirm(client, msgid, "wangfang")["errcode"] == 41047
    assert wecom.post("externalcontact/get_groupmsg_task", {"msgid": "nope"})["errcode"] == 41047


def test_group_mass_message_to_the_owners_groups(client: TestClient, wecom: WeCom) -> None:
    chat = client.post(
        "/sandbox/simulate/create_group",
        json={"owner": "wangfang", "name": "徐汇店福利群", "customers": [LIU, ZHAO]},
    ).json()["chat_id"]
    created = wecom.post(
        "externalcontact/add_msg_template",
        {"chat_type": "group", "sender": "wangfang", "text": {"content": "群福利"}},
    )
    assert created["errcode"] == 0
    _confirm(client, created["msgid"], "wangfang")
    body = wecom.post(
        "externalcontact/get_groupmsg_send_result",
        {"msgid": created["msgid"], "userid": "wangfang"},
    )
    # Every group wangfang owns (the demo corp's two and the new one) was sent to.
    sent = {row["chat_id"]: row["status"] for row in body["send_list"]}
    assert sent[chat] == 1
    assert set(sent.values()) == {1}
