from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from tests.sandbox.conftest import WeCom


def _gettoken(client: TestClient, **params: str) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/cgi-bin/gettoken", params=params).json()
    return body


def test_gettoken_returns_wecom_shape_and_the_same_token_while_valid(client: TestClient) -> None:
    params = {"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret}
    first = _gettoken(client, **params)
    assert first["errcode"] == 0
    assert first["errmsg"] == "ok"
    assert first["expires_in"] == 7200
    assert _gettoken(client, **params)["access_token"] == first["access_token"]


def test_each_secret_gets_its_own_token(client: TestClient) -> None:
    contact = _gettoken(client, corpid=DEMO_CORP.corp_id, corpsecret=DEMO_CORP.contact_secret)
    app = _gettoken(client, corpid=DEMO_CORP.corp_id, corpsecret=DEMO_CORP.app_secret)
    assert contact["access_token"] != app["access_token"]


def test_wrong_secret_is_40001_and_wrong_corp_is_40013(client: TestClient) -> None:
    wrong_secret = _gettoken(client, corpid=DEMO_CORP.corp_id, corpsecret="nope-nope-nope")
    assert wrong_secret["errcode"] == 40001
    wrong_corp = _gettoken(client, corpid="wwnotacorp", corpsecret=DEMO_CORP.contact_secret)
    assert wrong_corp["errcode"] == 40013
    assert wrong_corp["errmsg"].startswith("invalid corpid, hint: [")
    assert wrong_corp["errmsg"].endswith(
        "more info at https://open.work.weixin.qq.com/devtool/query?e=40013"
    )


def test_missing_token_is_41001_and_unknown_token_is_40014(client: TestClient) -> None:
    missing = client.get("/cgi-bin/externalcontact/get_follow_user_list").json()
    assert missing["errcode"] == 41001
    unknown = client.get(
        "/cgi-bin/externalcontact/get_follow_user_list", params={"access_token": "forged"}
    ).json()
    assert unknown["errcode"] == 40014


def test_token_expires_with_the_clock_then_a_new_one_is_issued(
    client: TestClient, wecom: WeCom
) -> None:
    assert wecom.get("externalcontact/get_follow_user_list")["errcode"] == 0
    client.post("/sandbox/clock", json={"advance_seconds": 7200})
    assert wecom.get("externalcontact/get_follow_user_list")["errcode"] == 42001
    fresh = wecom.gettoken()
    assert fresh["access_token"] != wecom.token
    wecom.token = fresh["access_token"]
    assert wecom.get("externalcontact/get_follow_user_list")["errcode"] == 0


def test_expire_tokens_switch_makes_the_next_call_42001(client: TestClient, wecom: WeCom) -> None:
    assert client.post("/sandbox/faults/expire_tokens").json()["expired"] >= 1
    assert wecom.get("externalcontact/get_follow_user_list")["errcode"] == 42001


def test_untrusted_ip_is_60020_naming_the_caller(client: TestClient, wecom: WeCom) -> None:
    client.put(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/apps",
        json={
            "secret": DEMO_CORP.contact_secret,
            "name": "客户联系",
            "customer_contact": True,
            "trusted_ips": ["203.0.113.7"],
        },
    )
    body = wecom.get("externalcontact/get_follow_user_list")
    assert body["errcode"] == 60020
    assert body["errmsg"].startswith("not allow to access from your ip, hint: [")
    assert "from ip: testclient," in body["errmsg"]  # the TestClient's peer address
    assert wecom.gettoken()["errcode"] == 60020


def test_app_without_customer_contact_permission_is_48002(client: TestClient) -> None:
    client.put(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/apps",
        json={
            "secret": DEMO_CORP.app_secret,
            "name": "私域助手",
            "agent_id": DEMO_CORP.agent_id,
            "customer_contact": False,
        },
    )
    app = WeCom(client, DEMO_CORP.app_secret)
    assert app.get("externalcontact/get_follow_user_list")["errcode"] == 48002
    assert app.get("user/get", userid="wangfang")["errcode"] == 0  # the rest still works


def test_unknown_path_is_404_and_bad_json_is_47001(client: TestClient, wecom: WeCom) -> None:
    response = client.get("/cgi-bin/externalcontact/nope", params={"access_token": wecom.token})
    assert response.status_code == 404
    assert response.json()["errcode"] != 0
    bad = client.post(
        "/cgi-bin/externalcontact/remark",
        params={"access_token": wecom.token},
        content=b"{not json",
    ).json()
    assert bad["errcode"] == 47001


def test_post_endpoint_called_with_get_is_43002(wecom: WeCom) -> None:
    assert wecom.get("externalcontact/get_corp_tag_list")["errcode"] == 43002
