"""Tags edited in WeCom's admin console: the sandbox's state changes and
``change_external_tag`` callbacks are sent; the API's own tag writes send none."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from tests.sandbox.conftest import Receiver, WeCom, field_of

TAGS = f"/sandbox/corps/{DEMO_CORP.corp_id}/tags"
ZHAO = "wmSiyuDemoCust0002AAAAAAAAAAAA"


def _events(receiver: Receiver) -> list[tuple[str, str, str]]:
    return [
        (field_of(x, "ChangeType"), field_of(x, "TagType"), field_of(x, "Id"))
        for x in receiver.events()
        if field_of(x, "Event") == "change_external_tag"
    ]


def _tag_groups(wecom: WeCom) -> dict[str, dict[str, Any]]:
    groups = wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    return {g["group_name"]: g for g in groups}


def test_creating_a_group_with_tags_sends_one_group_event(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    made = client.post(
        TAGS,
        params={"wait": "true"},
        json={"group_name": "季节偏好", "order": 7, "tag": [{"name": "春"}, {"name": "夏"}]},
    ).json()
    assert made["created_group"] is True
    assert [t["name"] for t in made["tag"]] == ["春", "夏"]
    assert made["callback_attempts"] == 1
    group = _tag_groups(wecom)["季节偏好"]
    assert group["group_id"] == made["group_id"]
    assert group["order"] == 7
    assert {t["name"] for t in group["tag"]} == {"春", "夏"}
    assert _events(connected) == [("create", "tag_group", made["group_id"])]
    plaintext = connected.received[0].plaintext
    root = ET.fromstring(plaintext)  # noqa: S314 - our own test data
    assert [child.tag for child in root] == [
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "Event",
        "Id",
        "TagType",
        "ChangeType",
    ]
    assert field_of(plaintext, "ToUserName") == DEMO_CORP.corp_id
    assert field_of(plaintext, "FromUserName") == "sys"
    assert field_of(plaintext, "MsgType") == "event"

    more = client.post(
        TAGS,
        params={"wait": "true"},
        json={"group_name": "季节偏好", "tag": [{"name": "夏"}, {"name": "秋"}]},
    ).json()
    assert more["created_group"] is False
    autumn = next(t for t in more["tag"] if t["name"] == "秋")
    assert [t["created"] for t in more["tag"]] == [False, True]
    assert _events(connected)[1:] == [("create", "tag", autumn["id"])]  # none for 夏 again


def test_rename_and_reorder_send_update_and_shuffle(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    made = client.post(
        TAGS, json={"group_name": "口味", "tag": [{"name": "甜"}, {"name": "咸"}]}
    ).json()
    sweet = made["tag"][0]["id"]
    group_id = made["group_id"]
    renamed = client.patch(f"{TAGS}/{sweet}", params={"wait": "true"}, json={"name": "微甜"})
    assert renamed.json()["tag_type"] == "tag"
    assert [t["name"] for t in _tag_groups(wecom)["口味"]["tag"]] == ["微甜", "咸"]
    client.patch(f"{TAGS}/{sweet}", json={"order": 1})  # tags: reordered within their group
    client.patch(f"{TAGS}/{group_id}", json={"name": "口味偏好"})
    client.patch(f"{TAGS}/{group_id}", json={"order": 99})  # groups: reordered among groups
    client.patch(f"{TAGS}/{group_id}", json={"order": 99})  # no change, no event
    client.post("/sandbox/callbacks/deliver")
    groups = _tag_groups(wecom)
    assert "口味偏好" in groups
    assert groups["口味偏好"]["order"] == 99
    assert [t["name"] for t in groups["口味偏好"]["tag"]] == ["微甜", "咸"]
    assert [t["order"] for t in groups["口味偏好"]["tag"]] == [1, 0]
    assert _events(connected) == [
        ("create", "tag_group", group_id),
        ("update", "tag", sweet),
        ("shuffle", "", group_id),
        ("update", "tag_group", group_id),
        ("shuffle", "", ""),
    ]
    taken = client.patch(f"{TAGS}/{made['tag'][1]['id']}", json={"name": "微甜"}).json()
    assert taken["errcode"] == 40071
    assert client.patch(f"{TAGS}/etNoSuchTag", json={"name": "x"}).json()["errcode"] == 40068


def test_deleting_tags_and_groups(client: TestClient, wecom: WeCom, connected: Receiver) -> None:
    made = client.post(
        TAGS, json={"group_name": "活动", "tag": [{"name": "双11"}, {"name": "618"}]}
    ).json()
    eleven, june = (t["id"] for t in made["tag"])
    marked = wecom.post(
        "externalcontact/mark_tag",
        {"userid": "wangfang", "external_userid": ZHAO, "add_tag": [eleven, june]},
    )
    assert marked["errcode"] == 0

    one = client.delete(f"{TAGS}/{eleven}", params={"wait": "true"}).json()
    assert one["deleted_tags"] == [eleven]
    assert one["deleted_groups"] == []
    follow = wecom.get("externalcontact/get", external_userid=ZHAO)["follow_user"][0]
    assert {t["tag_id"] for t in follow["tags"]} & {eleven, june} == {june}

    group = client.delete(f"{TAGS}/{made['group_id']}", params={"wait": "true"}).json()
    assert group["deleted_tags"] == [june]
    assert "活动" not in _tag_groups(wecom)
    follow = wecom.get("externalcontact/get", external_userid=ZHAO)["follow_user"][0]
    assert june not in {t["tag_id"] for t in follow["tags"]}
    assert _events(connected)[1:] == [
        ("delete", "tag", eleven),
        ("delete", "tag_group", made["group_id"]),  # one event for the group, none per tag
    ]

    lonely = client.post(TAGS, json={"group_name": "临时", "tag": [{"name": "唯一"}]}).json()
    last = client.delete(f"{TAGS}/{lonely['tag'][0]['id']}", params={"wait": "true"}).json()
    assert last["deleted_groups"] == [lonely["group_id"]]  # its last tag gone, the group goes
    assert _events(connected)[-2:] == [
        ("delete", "tag", lonely["tag"][0]["id"]),
        ("delete", "tag_group", lonely["group_id"]),
    ]
    assert client.delete(f"{TAGS}/{eleven}").json()["errcode"] == 40068


def test_the_outbox_holds_the_events(client: TestClient, connected: Receiver) -> None:
    made = client.post(TAGS, json={"group_name": "渠道", "tag": [{"name": "抖音"}]}).json()
    client.patch(f"{TAGS}/{made['tag'][0]['id']}", json={"name": "抖音直播"})
    rows = client.get(
        "/sandbox/inspect/callbacks", params={"corp_id": DEMO_CORP.corp_id, "status": "pending"}
    ).json()["callbacks"]
    assert [(r["event"], r["change_type"]) for r in rows] == [
        ("change_external_tag", "create"),
        ("change_external_tag", "update"),
    ]
    assert f"<Id><![CDATA[{made['group_id']}]]></Id>" in rows[0]["xml"]


def test_api_tag_writes_send_no_callback(
    client: TestClient, wecom: WeCom, connected: Receiver
) -> None:
    added = wecom.post(
        "externalcontact/add_corp_tag", {"group_name": "接口", "tag": [{"name": "甲"}]}
    )
    tag_id = added["tag_group"]["tag"][0]["id"]
    wecom.post("externalcontact/edit_corp_tag", {"id": tag_id, "name": "乙"})
    wecom.post("externalcontact/del_corp_tag", {"tag_id": [tag_id]})
    client.post("/sandbox/callbacks/deliver")
    assert _events(connected) == []
    rows = client.get("/sandbox/inspect/callbacks").json()["callbacks"]
    assert not [r for r in rows if r["event"] == "change_external_tag"]


def test_bad_input_changes_nothing(client: TestClient, wecom: WeCom, connected: Receiver) -> None:
    long_name = client.post(TAGS, json={"group_name": "组", "tag": [{"name": "长" * 31}]})
    assert long_name.json()["errcode"] == 40058
    assert client.post(TAGS, json={"group_id": "etNoSuchGroup", "tag": [{"name": "a"}]}).json()[
        "errcode"
    ] == (40068)
    assert client.post(TAGS, json={"group_name": "组", "tag": []}).status_code == 422
    assert "组" not in _tag_groups(wecom)
    client.post("/sandbox/callbacks/deliver")
    assert _events(connected) == []


def test_without_a_callback_url_nothing_is_queued(client: TestClient, wecom: WeCom) -> None:
    made = client.post(TAGS, json={"group_name": "静默", "tag": [{"name": "一"}]}).json()
    assert made["events"] == [
        {"Id": made["group_id"], "TagType": "tag_group", "ChangeType": "create"}
    ]
    assert "静默" in _tag_groups(wecom)
    listed = client.get(TAGS).json()["tag_group"]
    assert "静默" in {g["group_name"] for g in listed}
    assert client.get("/sandbox/inspect/callbacks").json()["callbacks"] == []


def test_deleting_a_big_group_untags_customers(client: TestClient, wecom: WeCom) -> None:
    made = client.post(
        TAGS, json={"group_name": "大组", "tag": [{"name": f"标签{i}"} for i in range(60)]}
    ).json()
    last = made["tag"][-1]["id"]
    wecom.post(
        "externalcontact/mark_tag",
        {"userid": "wangfang", "external_userid": ZHAO, "add_tag": [last]},
    )
    deleted = client.delete(f"{TAGS}/{made['group_id']}").json()
    assert len(deleted["deleted_tags"]) == 60
    follow = wecom.get("externalcontact/get", external_userid=ZHAO)["follow_user"][0]
    assert last not in {t["tag_id"] for t in follow["tags"]}
    assert follow["tags"]  # the demo tags it had stay
