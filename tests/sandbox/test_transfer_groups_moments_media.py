from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from tests.sandbox.conftest import Receiver, WeCom, field_of

LIU = "wmSiyuDemoCust0001AAAAAAAAAAAA"
ZHAO = "wmSiyuDemoCust0002AAAAAAAAAAAA"
WU = "wmSiyuDemoCust0005AAAAAAAAAAAA"


def _transfer(wecom: WeCom, handover: str, takeover: str, *ids: str) -> dict[str, int]:
    body = wecom.post(
        "externalcontact/transfer_customer",
        {"handover_userid": handover, "takeover_userid": takeover, "external_userid": list(ids)},
    )
    assert body["errcode"] == 0, body
    return {c["external_userid"]: c["errcode"] for c in body["customer"]}


def _result(wecom: WeCom, handover: str, takeover: str) -> dict[str, int]:
    body = wecom.post(
        "externalcontact/transfer_result",
        {"handover_userid": handover, "takeover_userid": takeover},
    )
    return {c["external_userid"]: c["status"] for c in body["customer"]}


def _advance(client: TestClient, wecom: WeCom, seconds: int) -> None:
    client.post("/sandbox/clock", json={"advance_seconds": seconds})
    wecom.token = wecom.gettoken()["access_token"]


def test_transfer_waits_24_hours_then_completes(client: TestClient, wecom: WeCom) -> None:
    assert _transfer(wecom, "wangfang", "chenjie", LIU, WU) == {LIU: 0, WU: 0}
    assert _result(wecom, "wangfang", "chenjie") == {LIU: 2, WU: 2}
    _advance(client, wecom, 24 * 3600)
    assert _result(wecom, "wangfang", "chenjie") == {LIU: 1, WU: 1}
    followers = wecom.get("externalcontact/get", external_userid=LIU)["follow_user"]
    assert [f["userid"] for f in followers] == ["chenjie"]
    assert followers[0]["remark"] == "刘姐·老客"  # the remark and tags go along


def test_a_completed_transfer_tells_siyu_as_wecom_does(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    """The new member gets ``add_external_contact``; the old one ``del_external_contact`` with
    ``Source=DELETE_BY_TRANSFER`` (not a staff member deleting a customer)."""
    _transfer(wecom, "wangfang", "chenjie", WU)
    client.post(
        "/sandbox/simulate/transfer_answer",
        params={"wait": "true"},
        json={"external_userid": WU, "accept": True},
    )
    changes = [
        (field_of(e, "ChangeType"), field_of(e, "UserID"), field_of(e, "Source"))
        for e in connected.events()
        if field_of(e, "ExternalUserID") == WU
    ]
    assert changes[-2:] == [
        ("add_external_contact", "chenjie", ""),
        ("del_external_contact", "wangfang", "DELETE_BY_TRANSFER"),
    ]


def test_transfer_per_customer_errors(wecom: WeCom) -> None:
    codes = _transfer(wecom, "wangfang", "wangfang", LIU)
    assert codes == {LIU: 40130}
    assert _transfer(wecom, "chenjie", "liwen", LIU) == {LIU: 40131}
    assert _transfer(wecom, "wangfang", "chenjie", LIU) == {LIU: 0}
    assert _transfer(wecom, "wangfang", "liwen", LIU) == {LIU: 40129}  # already in transfer
    too_many = wecom.post(
        "externalcontact/transfer_customer",
        {
            "handover_userid": "wangfang",
            "takeover_userid": "chenjie",
            "external_userid": [f"wm{i}" for i in range(101)],
        },
    )
    assert too_many["errcode"] == 40058


def test_a_third_transfer_within_90_days_is_40128(client: TestClient, wecom: WeCom) -> None:
    assert _transfer(wecom, "wangfang", "chenjie", LIU) == {LIU: 0}
    _advance(client, wecom, 24 * 3600)
    assert _transfer(wecom, "chenjie", "liwen", LIU) == {LIU: 0}
    _advance(client, wecom, 24 * 3600)
    assert _transfer(wecom, "liwen", "wangfang", LIU) == {LIU: 40128}
    _advance(client, wecom, 89 * 24 * 3600)
    assert _transfer(wecom, "liwen", "wangfang", LIU) == {LIU: 0}


def test_customer_refusing_a_transfer(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    _transfer(wecom, "wangfang", "chenjie", WU)
    client.post(
        "/sandbox/simulate/transfer_answer",
        params={"wait": "true"},
        json={"external_userid": WU, "accept": False},
    )
    assert _result(wecom, "wangfang", "chenjie") == {WU: 3}
    event = connected.events()[-1]
    assert field_of(event, "ChangeType") == "transfer_fail"
    assert field_of(event, "FailReason") == "customer_refused"
    assert field_of(event, "UserID") == "chenjie"


def test_resigned_staff_customers_are_unassigned_then_transferred(
    client: TestClient, wecom: WeCom
) -> None:
    early = wecom.post(
        "externalcontact/resigned/transfer_customer",
        {"handover_userid": "chenjie", "takeover_userid": "liwen", "external_userid": [ZHAO]},
    )
    assert early["errcode"] == 40097  # not resigned
    client.post(f"/sandbox/corps/{DEMO_CORP.corp_id}/staff/chenjie/resign")
    unassigned = wecom.post("externalcontact/get_unassigned_list", {})
    assert {i["external_userid"] for i in unassigned["info"]} == {
        "wmSiyuDemoCust0003AAAAAAAAAAAA",
        "wmSiyuDemoCust0004AAAAAAAAAAAA",
    }
    assert unassigned["is_last"] is True
    started = wecom.post(
        "externalcontact/resigned/transfer_customer",
        {
            "handover_userid": "chenjie",
            "takeover_userid": "liwen",
            "external_userid": ["wmSiyuDemoCust0003AAAAAAAAAAAA"],
        },
    )
    assert started["customer"][0]["errcode"] == 0
    result = wecom.post(
        "externalcontact/resigned/transfer_result",
        {"handover_userid": "chenjie", "takeover_userid": "liwen"},
    )
    assert result["customer"][0]["status"] == 2


def _group(client: TestClient, owner: str = "wangfang", **extra: Any) -> str:
    body = {"owner": owner, "name": "徐汇店福利群", "customers": [LIU]} | extra
    chat_id: str = client.post("/sandbox/simulate/create_group", json=body).json()["chat_id"]
    return chat_id


def test_groups_list_get_and_member_events(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    chat_id = _group(client)
    _group(client, owner="chenjie", name="朝阳店群")
    assert wecom.post("externalcontact/groupchat/list", {})["errcode"] == 40058  # limit required
    mine = wecom.post(
        "externalcontact/groupchat/list",
        {"owner_filter": {"userid_list": ["wangfang"]}, "limit": 10},
    )
    demo_groups = [g[0] for g in DEMO_GROUPS if g[2] == "wangfang"]  # the demo corp's own
    assert mine["group_chat_list"] == [
        *({"chat_id": c, "status": 0} for c in demo_groups),
        {"chat_id": chat_id, "status": 0},
    ]
    everyone = wecom.post("externalcontact/groupchat/list", {"limit": 1})
    assert len(everyone["group_chat_list"]) == 1
    assert everyone["next_cursor"]
    before = wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id})["group_chat"]
    joined = client.post(
        "/sandbox/simulate/join_group",
        params={"wait": "true"},
        json={"chat_id": chat_id, "customer": {"name": "新群友"}, "join_scene": 3},
    ).json()
    after = wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 1})[
        "group_chat"
    ]
    assert after["member_version"] != before["member_version"]
    newcomer = next(m for m in after["member_list"] if m["userid"] == joined["external_userid"])
    assert newcomer["type"] == 2
    assert newcomer["join_scene"] == 3
    assert newcomer["name"] == "新群友"
    client.post(
        "/sandbox/simulate/leave_group",
        params={"wait": "true"},
        json={"chat_id": chat_id, "external_userid": joined["external_userid"]},
    )
    events = connected.events()
    assert [field_of(e, "ChangeType") for e in events] == ["create", "create", "update", "update"]
    add, remove = events[2], events[3]
    assert field_of(add, "UpdateDetail") == "add_member"
    assert field_of(add, "JoinScene") == "3"
    assert field_of(add, "CurMemVer") == after["member_version"]
    assert field_of(add, "LastMemVer") == before["member_version"]
    assert joined["external_userid"] in add
    assert field_of(remove, "UpdateDetail") == "del_member"
    assert field_of(remove, "QuitScene") == "0"


def test_a_line_said_in_a_group_reaches_the_chat_archive_with_its_room(
    client: TestClient, connected: Receiver
) -> None:
    chat_id = _group(client, staff=["zhangqiang"])
    said = client.post(
        "/sandbox/simulate/group_chat",
        params={"wait": "true"},
        json={"chat_id": chat_id, "sender": LIU, "text": "周末有活动吗？"},
    ).json()
    assert said["seq"] > 0
    outsider = {"chat_id": chat_id, "sender": "wmNotInTheGroup", "text": "hi"}
    assert client.post("/sandbox/simulate/group_chat", json=outsider).json()["errcode"] == 40058
    assert "msgaudit_notify" in connected.events()[-1]
    page = client.post("/sandbox/msgaudit/chatdata", json={"seq": said["seq"] - 1, "limit": 10})
    (entry,) = page.json()["chatdata"]
    message = entry["message"]
    assert (message["roomid"], message["from"]) == (chat_id, LIU)
    assert sorted(message["tolist"]) == ["wangfang", "zhangqiang"]  # everyone else in the group
    assert message["text"]["content"] == "周末有活动吗？"


def test_join_ways(client: TestClient, wecom: WeCom) -> None:
    chats = [_group(client, name=f"群{i}") for i in range(6)]
    too_many = wecom.post(
        "externalcontact/groupchat/add_join_way", {"scene": 2, "chat_id_list": chats}
    )
    assert too_many["errcode"] == 40058
    created = wecom.post(
        "externalcontact/groupchat/add_join_way",
        {
            "scene": 2,
            "chat_id_list": chats[:2],
            "auto_create_room": 1,
            "room_base_name": "福利群",
            "room_base_id": 10,
            "state": "group_code_1",
        },
    )
    assert created["errcode"] == 0
    way = wecom.post("externalcontact/groupchat/get_join_way", {"config_id": created["config_id"]})
    assert way["join_way"]["chat_id_list"] == chats[:2]
    assert way["join_way"]["room_base_name"] == "福利群"
    assert way["join_way"]["qr_code"].endswith(created["config_id"])
    updated = wecom.post(
        "externalcontact/groupchat/update_join_way",
        {"config_id": created["config_id"], "scene": 2, "chat_id_list": [chats[3]]},
    )
    assert updated["errcode"] == 0
    way = wecom.post("externalcontact/groupchat/get_join_way", {"config_id": created["config_id"]})
    assert way["join_way"]["chat_id_list"] == [chats[3]]
    deleted = wecom.post(
        "externalcontact/groupchat/del_join_way", {"config_id": created["config_id"]}
    )
    assert deleted["errcode"] == 0


def test_moments_are_published_by_staff(client: TestClient, wecom: WeCom) -> None:
    job = wecom.post(
        "externalcontact/add_moment_task",
        {
            "text": {"content": "秋冬新品到店，欢迎来试"},
            "visible_range": {"sender_list": {"user_list": ["wangfang", "ghost"]}},
        },
    )
    pending = wecom.get("externalcontact/get_moment_task_result", jobid=job["jobid"])
    assert pending["status"] in (1, 2)
    assert "result" not in pending  # not ready yet: a client must poll
    client.post("/sandbox/clock", json={"advance_seconds": 5})
    result = wecom.get("externalcontact/get_moment_task_result", jobid=job["jobid"])
    assert result["status"] == 3
    assert result["result"]["invalid_sender_list"]["user_list"] == ["ghost"]
    moment_id = result["result"]["moment_id"]
    tasks = wecom.post("externalcontact/get_moment_task", {"moment_id": moment_id})["task_list"]
    assert tasks == [{"userid": "wangfang", "publish_status": 0}]
    client.post(
        "/sandbox/simulate/publish_moment", json={"moment_id": moment_id, "userid": "wangfang"}
    )
    tasks = wecom.post("externalcontact/get_moment_task", {"moment_id": moment_id})["task_list"]
    assert tasks[0]["publish_status"] == 1
    moments = client.get("/sandbox/inspect/effects", params={"kind": "moment"}).json()
    assert moments["count"] == 1
    now = client.get("/sandbox/clock").json()["now"]
    listed = wecom.post(
        "externalcontact/get_moment_list", {"start_time": now - 3600, "end_time": now + 10}
    )
    assert listed["moment_list"][0]["text"]["content"].startswith("秋冬新品")
    # Her customer likes it, then comments: WeCom lists both for her copy.
    reaction = {"moment_id": moment_id, "userid": "wangfang", "external_userid": LIU}
    for kind in ("like", "comment"):
        client.post("/sandbox/simulate/moment_interaction", json=reaction | {"kind": kind})
    reactions = wecom.post(
        "externalcontact/get_moment_comments", {"moment_id": moment_id, "userid": "wangfang"}
    )
    assert [r["external_userid"] for r in reactions["like_list"]] == [LIU]
    assert [r["external_userid"] for r in reactions["comment_list"]] == [LIU]
    assert reactions["like_list"][0]["create_time"] > 0
    assert (
        wecom.post("externalcontact/cancel_moment_task", {"moment_id": moment_id})["errcode"] == 0
    )


def test_media_upload_and_three_day_expiry(client: TestClient, wecom: WeCom) -> None:
    uploaded = client.post(
        "/cgi-bin/media/upload",
        params={"access_token": wecom.token, "type": "image"},
        files={"media": ("coupon.png", b"\x89PNG fake image", "image/png")},
    ).json()
    assert uploaded["errcode"] == 0
    assert uploaded["type"] == "image"
    assert uploaded["media_id"]
    bad_type = client.post(
        "/cgi-bin/media/upload",
        params={"access_token": wecom.token, "type": "gif"},
        files={"media": ("a.gif", b"x", "image/gif")},
    ).json()
    assert bad_type["errcode"] == 40004
    img = client.post(
        "/cgi-bin/media/uploadimg",
        params={"access_token": wecom.token},
        files={"media": ("a.png", b"png", "image/png")},
    ).json()
    assert img["url"].startswith("https://")

    way = wecom.post(
        "externalcontact/add_contact_way", {"type": 1, "scene": 2, "user": ["wangfang"]}
    )
    image = {"msgtype": "image", "image": {"media_id": uploaded["media_id"]}}
    for advance, expected in ((0, 0), (3 * 86400, 40007)):
        _advance(client, wecom, advance)
        scanned = client.post(
            "/sandbox/simulate/scan",
            json={"config_id": way["config_id"], "customer": {"name": "小图"}},
        ).json()
        sent = wecom.post(
            "externalcontact/send_welcome_msg",
            {"welcome_code": scanned["welcome_code"], "attachments": [image]},
        )
        assert sent["errcode"] == expected
