"""The sandbox plays WeCom's group codes: scans fill the first listed group with room, stop at
200 members, and open a new group named after the way when all are full; group edits and
dismissal send their callbacks; the group welcome template library keeps WeCom's limits."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.sandbox.conftest import Receiver, WeCom, field_of


def _group(client: TestClient, name: str, crowd: int = 0, owner: str = "wangfang") -> str:
    body = {"owner": owner, "name": name, "new_customers": crowd}
    chat_id: str = client.post("/sandbox/simulate/create_group", json=body).json()["chat_id"]
    return chat_id


def _scan(client: TestClient, config_id: str, name: str) -> dict[str, Any]:
    body = {"config_id": config_id, "customer": {"name": name}}
    result: dict[str, Any] = client.post(
        "/sandbox/simulate/scan_group_code", params={"wait": True}, json=body
    ).json()
    return result


def _members(wecom: WeCom, chat_id: str) -> list[dict[str, Any]]:
    group = wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id})["group_chat"]
    members: list[dict[str, Any]] = group["member_list"]
    return members


def test_a_scan_joins_the_first_group_with_room_then_wecom_opens_the_next(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    # 1 owner + 198 customers: one more QR join fills it to 200.
    almost = _group(client, "福利群1", crowd=198)
    way = wecom.post(
        "externalcontact/groupchat/add_join_way",
        {
            "scene": 2,
            "chat_id_list": [almost],
            "auto_create_room": 1,
            "room_base_name": "福利群",
            "room_base_id": 2,
            "state": "gc_welfare",
        },
    )
    config_id = way["config_id"]
    connected.received.clear()

    first = _scan(client, config_id, "林晓")
    assert first["chat_id"] == almost
    assert first["created"] is False
    assert len(_members(wecom, almost)) == 200
    joined = next(m for m in _members(wecom, almost) if m["userid"] == first["external_userid"])
    assert joined["join_scene"] == 3
    assert joined["state"] == "gc_welfare"
    event = connected.events()[-1]
    assert field_of(event, "UpdateDetail") == "add_member"
    assert field_of(event, "JoinScene") == "3"
    assert field_of(event, "State") == ""  # WeCom's callback has no State; groupchat/get has

    second = _scan(client, config_id, "周周")
    assert second["created"] is True
    opened = wecom.post("externalcontact/groupchat/get", {"chat_id": second["chat_id"]})
    assert opened["group_chat"]["name"] == "福利群2"
    assert opened["group_chat"]["owner"] == "wangfang"
    kinds = [(field_of(e, "ChangeType"), field_of(e, "UpdateDetail")) for e in connected.events()]
    assert kinds[-2:] == [("create", ""), ("update", "add_member")]
    listed = wecom.post("externalcontact/groupchat/get_join_way", {"config_id": config_id})
    assert listed["join_way"]["chat_id_list"] == [almost, second["chat_id"]]

    # The next scan goes to the new group (it has room); the full one is skipped.
    third = _scan(client, config_id, "陈晨")
    assert third["chat_id"] == second["chat_id"]
    assert third["created"] is False
    # A customer already inside is not added twice.
    again = client.post(
        "/sandbox/simulate/scan_group_code",
        json={"config_id": config_id, "external_userid": third["external_userid"]},
    ).json()
    assert again["already_member"] is True


def test_without_auto_create_a_full_code_turns_customers_away(
    client: TestClient, wecom: WeCom
) -> None:
    full = _group(client, "满员群", crowd=199)
    way = wecom.post(
        "externalcontact/groupchat/add_join_way",
        {"scene": 2, "chat_id_list": [full], "auto_create_room": 0, "state": "gc_full"},
    )
    answer = client.post(
        "/sandbox/simulate/scan_group_code",
        json={"config_id": way["config_id"], "customer": {"name": "迟到的人"}},
    ).json()
    assert answer["errcode"] == 40058
    assert "full" in answer["errmsg"]
    unknown = client.post(
        "/sandbox/simulate/scan_group_code", json={"config_id": "nope", "customer": {"name": "x"}}
    ).json()
    assert unknown["errcode"] == 41044


def test_renames_owner_changes_notices_and_dismissal_send_callbacks(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    chat_id = client.post(
        "/sandbox/simulate/create_group",
        params={"wait": True},
        json={"owner": "wangfang", "name": "旧名", "staff": ["zhangqiang"]},
    ).json()["chat_id"]
    connected.received.clear()
    changed = client.post(
        "/sandbox/simulate/update_group",
        params={"wait": True},
        json={"chat_id": chat_id, "name": "新名", "owner": "zhangqiang", "notice": "本周福利"},
    ).json()
    assert changed["changes"] == ["change_name", "change_owner", "change_notice"]
    assert [field_of(e, "UpdateDetail") for e in connected.events()] == changed["changes"]
    group = wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id})["group_chat"]
    assert (group["name"], group["owner"], group["notice"]) == ("新名", "zhangqiang", "本周福利")

    client.post("/sandbox/simulate/dismiss_group", params={"wait": True}, json={"chat_id": chat_id})
    assert field_of(connected.events()[-1], "ChangeType") == "dismiss"
    assert wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id})["errcode"] == 49008
    listed = wecom.post("externalcontact/groupchat/list", {"limit": 1000})["group_chat_list"]
    assert chat_id not in [c["chat_id"] for c in listed]


def test_group_welcome_templates_keep_wecoms_limits(wecom: WeCom) -> None:
    added = wecom.post(
        "externalcontact/group_welcome_template/add",
        {
            "text": {"content": "欢迎 %NICKNAME% 入群"},
            "link": {"title": "新人礼", "url": "https://example.com/gift", "desc": "领券"},
        },
    )
    template_id = added["template_id"]
    got = wecom.post("externalcontact/group_welcome_template/get", {"template_id": template_id})
    assert got["text"]["content"] == "欢迎 %NICKNAME% 入群"
    assert got["link"]["title"] == "新人礼"
    edited = wecom.post(
        "externalcontact/group_welcome_template/edit",
        {"template_id": template_id, "text": {"content": "你好"}},
    )
    assert edited["errcode"] == 0
    got = wecom.post("externalcontact/group_welcome_template/get", {"template_id": template_id})
    assert "link" not in got
    assert got["text"]["content"] == "你好"

    two = wecom.post(
        "externalcontact/group_welcome_template/add",
        {"image": {"pic_url": "https://example.com/a.png"}, "link": {"title": "t", "url": "u"}},
    )
    assert two["errcode"] == 40058  # one attachment at most
    too_long = wecom.post(
        "externalcontact/group_welcome_template/add", {"text": {"content": "长" * 1001}}
    )
    assert too_long["errcode"] == 40058  # 3003 bytes > 3000
    for n in range(99):
        body = {"text": {"content": f"模板{n}"}}
        assert wecom.post("externalcontact/group_welcome_template/add", body)["errcode"] == 0
    over = wecom.post("externalcontact/group_welcome_template/add", {"text": {"content": "多"}})
    assert over["errcode"] == 41055
    gone = wecom.post("externalcontact/group_welcome_template/del", {"template_id": template_id})
    assert gone["errcode"] == 0
    got = wecom.post("externalcontact/group_welcome_template/get", {"template_id": template_id})
    assert got["errcode"] == 40058
