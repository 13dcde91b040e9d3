from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from siyu.wecom.crypto import CallbackCrypto
from tests.sandbox.conftest import Receiver, WeCom, field_of


def _way(wecom: WeCom, **extra: Any) -> dict[str, Any]:
    body = {"type": 2, "scene": 2, "user": ["wangfang", "chenjie"], "state": "xhs_ad_1"} | extra
    return wecom.post("externalcontact/add_contact_way", body)


def _scan(client: TestClient, config_id: str, name: str = "林小雨") -> dict[str, Any]:
    body = {"config_id": config_id, "customer": {"name": name, "gender": 2}}
    result: dict[str, Any] = client.post(
        "/sandbox/simulate/scan", params={"wait": "true"}, json=body
    ).json()
    return result


def test_contact_way_create_get_update_list_delete(wecom: WeCom) -> None:
    created = _way(wecom, remark="小红书投放")
    assert created["errcode"] == 0
    assert created["qr_code"].endswith(f"/sandbox/qr/{created['config_id']}")
    way = wecom.post("externalcontact/get_contact_way", {"config_id": created["config_id"]})
    assert way["contact_way"]["state"] == "xhs_ad_1"
    assert way["contact_way"]["user"] == ["wangfang", "chenjie"]
    updated = wecom.post(
        "externalcontact/update_contact_way",
        {"config_id": created["config_id"], "user": ["liwen"], "state": "xhs_ad_2"},
    )
    assert updated["errcode"] == 0
    way = wecom.post("externalcontact/get_contact_way", {"config_id": created["config_id"]})
    assert way["contact_way"]["user"] == ["liwen"]  # the list is overwritten
    assert way["contact_way"]["state"] == "xhs_ad_2"
    listed = wecom.post("externalcontact/list_contact_way", {"limit": 10})
    assert {"config_id": created["config_id"]} in listed["contact_way"]
    assert (
        wecom.post("externalcontact/del_contact_way", {"config_id": created["config_id"]})[
            "errcode"
        ]
        == 0
    )
    gone = wecom.post("externalcontact/get_contact_way", {"config_id": created["config_id"]})
    assert gone["errcode"] != 0


def test_contact_way_state_over_30_chars_is_refused(wecom: WeCom) -> None:
    assert _way(wecom, state="s" * 31)["errcode"] == 40058
    created = _way(wecom, state="s" * 30)
    assert created["errcode"] == 0
    update = wecom.post(
        "externalcontact/update_contact_way", {"config_id": created["config_id"], "state": "s" * 31}
    )
    assert update["errcode"] == 40058


def test_contact_way_member_limits(client: TestClient, wecom: WeCom) -> None:
    for index in range(101):
        client.post(
            f"/sandbox/corps/{DEMO_CORP.corp_id}/staff",
            json={"userid": f"staff{index:03d}", "name": f"员工{index}", "department": [4]},
        )
    assert _way(wecom, user=[], party=[4])["errcode"] == 41041
    assert _way(wecom, type=1, user=["wangfang", "chenjie"])["errcode"] == 40058


def test_callback_url_is_stored_only_when_verification_passes(
    client: TestClient, receiver: Receiver
) -> None:
    receiver.verification_answer = '"wrong"'
    refused = client.post(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": receiver.url}
    ).json()
    assert refused["verified"] is False
    assert "decrypted echostr" in refused["reason"]
    assert client.get(f"/sandbox/corps/{DEMO_CORP.corp_id}").json()["callback_url"] == ""
    receiver.verification_answer = None
    accepted = client.post(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": receiver.url}
    ).json()
    assert accepted["verified"] is True
    assert client.get(f"/sandbox/corps/{DEMO_CORP.corp_id}").json()["callback_url"] == receiver.url
    unreachable = client.post(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": "http://127.0.0.1:9/x"}
    ).json()
    assert unreachable["verified"] is False


def test_scan_delivers_an_encrypted_add_event_with_state_and_welcome_code(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    way = _way(wecom)
    scanned = _scan(client, way["config_id"])
    assert scanned["userid"] in {"wangfang", "chenjie"}
    assert len(connected.received) == 1
    delivered = connected.received[0]
    assert f"<ToUserName><![CDATA[{DEMO_CORP.corp_id}]]></ToUserName>" in delivered.body
    # Siyu's own verifier accepts it (signature, timestamp, receive id).
    crypto = CallbackCrypto(DEMO_CORP.callback_token, DEMO_CORP.encoding_aes_key, DEMO_CORP.corp_id)
    encrypted = delivered.body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    params = delivered.params
    plaintext = crypto.open(
        params["msg_signature"], params["timestamp"], params["nonce"], encrypted
    )
    assert field_of(plaintext, "FromUserName") == "sys"
    assert field_of(plaintext, "MsgType") == "event"
    assert field_of(plaintext, "Event") == "change_external_contact"
    assert field_of(plaintext, "ChangeType") == "add_external_contact"
    assert field_of(plaintext, "UserID") == scanned["userid"]
    assert field_of(plaintext, "ExternalUserID") == scanned["external_userid"]
    assert field_of(plaintext, "State") == "xhs_ad_1"
    assert field_of(plaintext, "WelcomeCode") == scanned["welcome_code"]
    customer = wecom.get("externalcontact/get", external_userid=scanned["external_userid"])
    assert customer["external_contact"]["name"] == "林小雨"
    assert customer["follow_user"][0]["state"] == "xhs_ad_1"
    assert customer["follow_user"][0]["add_way"] == 1


def test_callbacks_carry_wall_time_so_receivers_accept_them_after_the_clock_moved(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    client.post("/sandbox/clock", json={"advance_seconds": 3 * 86400})
    wecom.token = wecom.gettoken()["access_token"]
    scanned = _scan(client, _way(wecom)["config_id"])
    crypto = CallbackCrypto(DEMO_CORP.callback_token, DEMO_CORP.encoding_aes_key, DEMO_CORP.corp_id)
    delivered = connected.received[-1]
    encrypted = delivered.body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    params = delivered.params
    plaintext = crypto.open(
        params["msg_signature"], params["timestamp"], params["nonce"], encrypted
    )
    assert field_of(plaintext, "ExternalUserID") == scanned["external_userid"]
    sandbox_now = client.get("/sandbox/clock").json()["now"]
    assert abs(int(field_of(plaintext, "CreateTime")) - sandbox_now) < 60  # the business time


def test_scans_spread_over_the_ways_staff(client: TestClient, wecom: WeCom) -> None:
    way = _way(wecom)
    staff = [_scan(client, way["config_id"], f"客{i}")["userid"] for i in range(4)]
    assert staff == ["wangfang", "chenjie", "wangfang", "chenjie"]


def test_welcome_code_is_valid_once(client: TestClient, wecom: WeCom) -> None:
    scanned = _scan(client, _way(wecom)["config_id"])
    body = {"welcome_code": scanned["welcome_code"], "text": {"content": "欢迎光临！"}}
    assert wecom.post("externalcontact/send_welcome_msg", body)["errcode"] == 0
    assert wecom.post("externalcontact/send_welcome_msg", body)["errcode"] == 41051
    welcomes = client.get("/sandbox/inspect/effects", params={"kind": "welcome"}).json()
    assert welcomes["count"] == 1
    assert welcomes["effects"][0]["payload"]["text"]["content"] == "欢迎光临！"
    assert welcomes["effects"][0]["payload"]["external_userid"] == scanned["external_userid"]
    feed = client.get("/sandbox/inspect/chat").json()["chatdata"]
    assert [(m["from"], m["tolist"], m["text"]["content"]) for m in feed] == [
        (scanned["userid"], [scanned["external_userid"]], "欢迎光临！")
    ]


def test_welcome_code_expires_after_20_seconds(client: TestClient, wecom: WeCom) -> None:
    scanned = _scan(client, _way(wecom)["config_id"])
    client.post("/sandbox/clock", json={"advance_seconds": 21})
    body = {"welcome_code": scanned["welcome_code"], "text": {"content": "欢迎"}}
    assert wecom.post("externalcontact/send_welcome_msg", body)["errcode"] == 41050
    unknown = {"welcome_code": "nope", "text": {"content": "欢迎"}}
    assert wecom.post("externalcontact/send_welcome_msg", unknown)["errcode"] == 41050


def test_welcome_attachments_are_validated(client: TestClient, wecom: WeCom) -> None:
    scanned = _scan(client, _way(wecom)["config_id"])
    link = {"msgtype": "link", "link": {"title": "新人礼", "url": "https://example.com/gift"}}
    too_many = {"welcome_code": scanned["welcome_code"], "attachments": [link] * 10}
    assert wecom.post("externalcontact/send_welcome_msg", too_many)["errcode"] == 40058
    bad_link = {"welcome_code": scanned["welcome_code"], "attachments": [{"msgtype": "link"}]}
    assert wecom.post("externalcontact/send_welcome_msg", bad_link)["errcode"] == 40058
    dead_media = {
        "welcome_code": scanned["welcome_code"],
        "attachments": [{"msgtype": "image", "image": {"media_id": "3nope"}}],
    }
    assert wecom.post("externalcontact/send_welcome_msg", dead_media)["errcode"] == 40007
    ok = {"welcome_code": scanned["welcome_code"], "text": {"content": "hi"}, "attachments": [link]}
    assert wecom.post("externalcontact/send_welcome_msg", ok)["errcode"] == 0


def test_customer_chatting_first_spends_the_welcome_code(client: TestClient, wecom: WeCom) -> None:
    scanned = _scan(client, _way(wecom)["config_id"])
    chat = client.post(
        "/sandbox/simulate/chat",
        json={
            "userid": scanned["userid"],
            "external_userid": scanned["external_userid"],
            "text": "你好，在吗？",
        },
    ).json()
    second = client.post(
        "/sandbox/simulate/chat",
        json={
            "userid": scanned["userid"],
            "external_userid": scanned["external_userid"],
            "text": "想问下会员价",
        },
    ).json()
    assert second["seq"] > chat["seq"]
    body = {"welcome_code": scanned["welcome_code"], "text": {"content": "欢迎"}}
    assert wecom.post("externalcontact/send_welcome_msg", body)["errcode"] == 41051
    feed = client.get("/sandbox/inspect/chat", params={"seq": chat["seq"] - 1}).json()["chatdata"]
    assert [m["text"]["content"] for m in feed] == ["你好，在吗？", "想问下会员价"]


def test_customer_deleting_staff_and_staff_edits_emit_events(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    zhao = "wmSiyuDemoCust0002AAAAAAAAAAAA"
    relation = {"userid": "zhangqiang", "external_userid": zhao}
    edit = relation | {"remark": "老赵", "add_tag": ["etSiyuDemoTagRepeatAAAA"]}
    client.post("/sandbox/simulate/edit_customer", params={"wait": "true"}, json=edit)
    client.post("/sandbox/simulate/delete_staff", params={"wait": "true"}, json=relation)
    other = {"userid": "wangfang", "external_userid": zhao}
    client.post("/sandbox/simulate/staff_delete_customer", params={"wait": "true"}, json=other)
    changes = [field_of(x, "ChangeType") for x in connected.events()]
    assert changes == ["edit_external_contact", "del_follow_user", "del_external_contact"]
    assert wecom.get("externalcontact/get", external_userid=zhao)["errcode"] == 84061


def test_retry_until_200_at_most_three_attempts(client: TestClient, connected: Receiver) -> None:
    connected.statuses = [500, 200]
    body = {"userid": "wangfang", "customer": {"name": "周一"}}
    client.post("/sandbox/simulate/add_by_phone", params={"wait": "true"}, json=body)
    assert len(connected.received) == 2
    assert connected.received[0].plaintext == connected.received[1].plaintext
    connected.statuses = [500, 502, 503, 200]
    client.post("/sandbox/simulate/add_by_phone", params={"wait": "true"}, json=body)
    assert len(connected.received) == 5  # three attempts, then WeCom gives up
    rows = client.get("/sandbox/inspect/callbacks").json()["callbacks"]
    assert [r["status"] for r in rows] == ["delivered", "failed"]
    assert [a["status_code"] for a in rows[0]["attempts"]] == [500, 200]
    assert [a["status_code"] for a in rows[1]["attempts"]] == [500, 502, 503]


def test_callback_url_down_fails_after_three_attempts(
    client: TestClient, connected: Receiver
) -> None:
    client.put("/sandbox/faults", json={"callback_url_down": True})
    body = {"userid": "wangfang", "customer": {"name": "周二"}}
    client.post("/sandbox/simulate/add_by_phone", params={"wait": "true"}, json=body)
    rows = client.get("/sandbox/inspect/callbacks").json()["callbacks"]
    assert rows[0]["status"] == "failed"
    assert len(rows[0]["attempts"]) == 3
    assert connected.received == []


def test_duplicated_callbacks_fault_sends_each_twice(
    client: TestClient, connected: Receiver
) -> None:
    client.put("/sandbox/faults", json={"duplicate_callbacks": True})
    body = {"userid": "wangfang", "customer": {"name": "周三"}}
    client.post("/sandbox/simulate/add_by_phone", params={"wait": "true"}, json=body)
    assert len(connected.received) == 2
    assert connected.received[0].plaintext == connected.received[1].plaintext


def test_out_of_order_fault_holds_a_batch_then_releases_it_shuffled(
    client: TestClient, connected: Receiver
) -> None:
    client.put("/sandbox/faults", json={"shuffle_callbacks": 6})
    names = [f"乱序{i}" for i in range(6)]
    ids = []
    for name in names[:5]:
        body = {"userid": "wangfang", "customer": {"name": name}}
        result = client.post("/sandbox/simulate/add_by_phone", params={"wait": "true"}, json=body)
        ids.append(result.json()["external_userid"])
    assert connected.received == []  # held until the batch is full
    last = {"userid": "wangfang", "customer": {"name": names[5]}}
    ids.append(
        client.post("/sandbox/simulate/add_by_phone", params={"wait": "true"}, json=last).json()[
            "external_userid"
        ]
    )
    got = [field_of(x, "ExternalUserID") for x in connected.events()]
    assert sorted(got) == sorted(ids)
