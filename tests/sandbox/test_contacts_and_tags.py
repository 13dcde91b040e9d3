from __future__ import annotations

from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from tests.sandbox.conftest import WeCom

ZHAO = "wmSiyuDemoCust0002AAAAAAAAAAAA"


def _add_customers(client: TestClient, userid: str, count: int) -> list[str]:
    ids = []
    for index in range(count):
        body = {"userid": userid, "customer": {"name": f"顾客{index}", "gender": 2}}
        ids.append(
            client.post("/sandbox/simulate/add_by_phone", json=body).json()["external_userid"]
        )
    return ids


def test_org_endpoints_speak_wecom_fields(wecom: WeCom) -> None:
    departments = wecom.get("department/list")["department"]
    assert {d["name"] for d in departments} >= {"总部", "上海徐汇店", "北京朝阳店"}
    assert set(departments[0]) == {
        "id",
        "name",
        "name_en",
        "parentid",
        "order",
        "department_leader",
    }
    store = wecom.get("department/list", id=3)["department"]
    assert [d["id"] for d in store] == [3]
    simple = wecom.get("user/simplelist", department_id=3)["userlist"]
    assert {u["userid"] for u in simple} == {"zhangqiang", "wangfang"}
    detail = wecom.get("user/get", userid="wangfang")
    assert detail["name"] == "王芳"
    assert detail["department"] == [3]
    assert detail["position"] == "导购"
    # Since 2022-06-20 WeCom withholds these from 客户联系 and newly created apps.
    assert not {"mobile", "gender", "email", "avatar", "qr_code", "address"} & set(detail)
    assert wecom.get("user/get", userid="nobody")["errcode"] == 60111


def test_follow_users_list_and_get(wecom: WeCom) -> None:
    assert wecom.get("externalcontact/get_follow_user_list")["follow_user"] == [
        s.userid for s in DEMO_CORP.staff
    ]
    assert ZHAO in wecom.get("externalcontact/list", userid="wangfang")["external_userid"]
    detail = wecom.get("externalcontact/get", external_userid=ZHAO)
    assert detail["external_contact"]["name"] == "赵明"
    follows = {f["userid"]: f for f in detail["follow_user"]}
    assert set(follows) == {"wangfang", "zhangqiang"}
    assert follows["wangfang"]["state"] == "parcel_card"
    assert {t["tag_name"] for t in follows["wangfang"]["tags"]} == {"快递卡片", "新客"}
    assert detail["next_cursor"] == ""


def test_list_without_customers_is_84061(client: TestClient, wecom: WeCom) -> None:
    client.post(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/staff", json={"userid": "newbie", "name": "新人"}
    )
    assert wecom.get("externalcontact/list", userid="newbie")["errcode"] == 84061


def test_batch_get_by_user_pages_with_a_cursor_over_a_stable_order(
    client: TestClient, wecom: WeCom
) -> None:
    added = _add_customers(client, "chenjie", 7)
    seen: list[str] = []
    cursor = ""
    pages = 0
    while True:
        body = wecom.post(
            "externalcontact/batch/get_by_user",
            {"userid_list": ["chenjie"], "cursor": cursor, "limit": 3},
        )
        assert body["errcode"] == 0
        assert len(body["external_contact_list"]) <= 3
        seen += [
            item["external_contact"]["external_userid"] for item in body["external_contact_list"]
        ]
        assert all(i["follow_info"]["userid"] == "chenjie" for i in body["external_contact_list"])
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 3  # 2 demo customers + 7 new = 9 follows
    assert len(seen) == len(set(seen)) == 9
    assert set(added) <= set(seen)


def test_batch_limit_is_clamped_to_100(client: TestClient, wecom: WeCom) -> None:
    _add_customers(client, "liwen", 105)
    body = wecom.post("externalcontact/batch/get_by_user", {"userid_list": ["liwen"], "limit": 500})
    assert len(body["external_contact_list"]) == 100
    assert body["next_cursor"]
    default = wecom.post("externalcontact/batch/get_by_user", {"userid_list": ["liwen"]})
    assert len(default["external_contact_list"]) == 50


def test_remark_checks_friendship_and_lengths_and_records_an_effect(
    client: TestClient, wecom: WeCom
) -> None:
    ok = wecom.post(
        "externalcontact/remark",
        {
            "userid": "wangfang",
            "external_userid": ZHAO,
            "remark": "赵哥",
            "description": "爱喝美式",
        },
    )
    assert ok["errcode"] == 0
    assert (
        wecom.get("externalcontact/get", external_userid=ZHAO)["follow_user"][0]["remark"] == "赵哥"
    )
    not_friend = wecom.post(
        "externalcontact/remark", {"userid": "chenjie", "external_userid": ZHAO, "remark": "x"}
    )
    assert not_friend["errcode"] == 84061
    too_long = wecom.post(
        "externalcontact/remark",
        {"userid": "wangfang", "external_userid": ZHAO, "remark": "长" * 21},
    )
    assert too_long["errcode"] == 40058
    effects = client.get("/sandbox/inspect/effects", params={"kind": "remark"}).json()["effects"]
    assert len(effects) == 1
    assert effects[0]["payload"]["remark"] == "赵哥"


def test_corp_tag_crud(client: TestClient, wecom: WeCom) -> None:
    added = wecom.post(
        "externalcontact/add_corp_tag",
        {"group_name": "兴趣", "tag": [{"name": "咖啡"}, {"name": "茶"}, {"name": "咖啡"}]},
    )
    assert added["errcode"] == 0
    group = added["tag_group"]
    assert group["group_name"] == "兴趣"
    assert [t["name"] for t in group["tag"]] == ["咖啡", "茶"]  # duplicates collapse
    assert all(t["id"].startswith("et") for t in group["tag"])
    again = wecom.post(
        "externalcontact/add_corp_tag", {"group_name": "兴趣", "tag": [{"name": "咖啡"}]}
    )
    assert again["tag_group"]["group_id"] == group["group_id"]
    assert again["tag_group"]["tag"][0]["id"] == group["tag"][0]["id"]
    coffee, tea = (t["id"] for t in group["tag"])
    assert (
        wecom.post("externalcontact/edit_corp_tag", {"id": coffee, "name": "手冲咖啡"})["errcode"]
        == 0
    )
    listed = wecom.post("externalcontact/get_corp_tag_list", {"tag_id": [coffee]})["tag_group"]
    assert [t["name"] for t in listed[0]["tag"]] == ["手冲咖啡"]
    assert wecom.post("externalcontact/del_corp_tag", {"tag_id": [coffee, tea]})["errcode"] == 0
    remaining = wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    assert group["group_id"] not in {g["group_id"] for g in remaining}  # emptied group is gone
    kinds = client.get("/sandbox/inspect/effects", params={"kind": "corp_tag"}).json()
    assert [e["payload"]["action"] for e in kinds["effects"]] == ["add", "add", "edit", "delete"]


def test_corp_tag_limits(wecom: WeCom) -> None:
    long_name = wecom.post(
        "externalcontact/add_corp_tag", {"group_name": "组", "tag": [{"name": "长" * 31}]}
    )
    assert long_name["errcode"] == 40058
    existing = sum(
        len(g["tag"]) for g in wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
    )
    for batch in range(3):
        body = {
            "group_name": f"批量{batch}",
            "tag": [
                {"name": f"t{batch}-{i}"} for i in range(1000 - (existing if batch == 0 else 0))
            ],
        }
        assert wecom.post("externalcontact/add_corp_tag", body)["errcode"] == 0
    over = wecom.post(
        "externalcontact/add_corp_tag", {"group_name": "再来", "tag": [{"name": "x"}]}
    )
    assert over["errcode"] == 40126


def test_mark_tag_needs_a_friend_and_known_tags(client: TestClient, wecom: WeCom) -> None:
    repeat = "etSiyuDemoTagRepeatAAAA"
    ok = wecom.post(
        "externalcontact/mark_tag",
        {"userid": "wangfang", "external_userid": ZHAO, "add_tag": [repeat]},
    )
    assert ok["errcode"] == 0
    follow = wecom.get("externalcontact/get", external_userid=ZHAO)["follow_user"][0]
    assert repeat in {t["tag_id"] for t in follow["tags"]}
    assert (
        wecom.post(
            "externalcontact/mark_tag",
            {"userid": "chenjie", "external_userid": ZHAO, "add_tag": [repeat]},
        )["errcode"]
        == 84061
    )
    assert (
        wecom.post(
            "externalcontact/mark_tag",
            {"userid": "wangfang", "external_userid": ZHAO, "add_tag": ["etNoSuchTag"]},
        )["errcode"]
        == 40068
    )
    marks = client.get("/sandbox/inspect/effects", params={"kind": "mark_tag"}).json()
    assert marks["count"] == 1


def test_added_by_phone_with_the_number_kept_as_the_remark_mobile(
    client: TestClient, wecom: WeCom
) -> None:
    """The staff member searched the number and sent the request: WeCom reports the number only
    because it was kept as the remark mobile, and the member as the one who asked."""
    body = {"userid": "wangfang", "customer": {"name": "林一"}, "phone": "13700000001"}
    by_staff = client.post("/sandbox/simulate/add_by_phone", json=body).json()["external_userid"]
    follow = wecom.get("externalcontact/get", external_userid=by_staff)["follow_user"][0]
    assert follow["remark_mobiles"] == ["13700000001"]
    assert (follow["add_way"], follow["oper_userid"]) == (2, "wangfang")
    # Without the number: the customer found the member's number and asked; nothing reported.
    by_customer = client.post(
        "/sandbox/simulate/add_by_phone", json={"userid": "wangfang", "customer": {"name": "林二"}}
    ).json()["external_userid"]
    follow = wecom.get("externalcontact/get", external_userid=by_customer)["follow_user"][0]
    assert follow["remark_mobiles"] == []
    assert (follow["add_way"], follow["oper_userid"]) == (2, by_customer)
