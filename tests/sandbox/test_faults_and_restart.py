from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.server import create_sandbox_app
from tests.sandbox.conftest import WeCom


def test_injected_errcode_once_then_normal(client: TestClient, wecom: WeCom) -> None:
    client.put(
        "/sandbox/faults",
        json={
            "errors": [{"path": "externalcontact/get_follow_user_list", "errcode": -1, "times": 1}]
        },
    )
    busy = wecom.get("externalcontact/get_follow_user_list")
    assert busy["errcode"] == -1
    assert busy["errmsg"].startswith("system busy, hint: [")
    assert wecom.get("externalcontact/get_follow_user_list")["errcode"] == 0


@pytest.mark.parametrize("errcode", [45009, 45033, 60020, 48002, 84061])
def test_injected_errcode_always_until_reset(
    client: TestClient, wecom: WeCom, errcode: int
) -> None:
    client.put(
        "/sandbox/faults", json={"errors": [{"path": "externalcontact/*", "errcode": errcode}]}
    )
    for _ in range(3):
        body = wecom.get("externalcontact/list", userid="wangfang")
        assert body["errcode"] == errcode
        assert body["errmsg"].endswith(f"query?e={errcode}")
    assert wecom.get("user/get", userid="wangfang")["errcode"] == 0  # other paths unaffected
    client.delete("/sandbox/faults")
    assert wecom.get("externalcontact/list", userid="wangfang")["errcode"] == 0


def test_injected_errcode_n_times(client: TestClient, wecom: WeCom) -> None:
    client.put(
        "/sandbox/faults", json={"errors": [{"path": "user/get", "errcode": 45033, "times": 2}]}
    )
    codes = [wecom.get("user/get", userid="wangfang")["errcode"] for _ in range(3)]
    assert codes == [45033, 45033, 0]


def test_added_latency_per_path(client: TestClient, wecom: WeCom) -> None:
    client.put("/sandbox/faults", json={"latency_ms": {"user/*": 300}})
    started = time.monotonic()
    wecom.get("user/get", userid="wangfang")
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    wecom.get("department/list")
    assert time.monotonic() - started < 0.3


def test_rate_limit_per_api_per_minute_is_45009(client: TestClient, wecom: WeCom) -> None:
    client.put("/sandbox/faults", json={"rate_limit_per_minute": {"user/get": 3, "gettoken": 1}})
    codes = [wecom.get("user/get", userid="wangfang")["errcode"] for _ in range(5)]
    assert codes == [0, 0, 0, 45009, 45009]
    assert wecom.get("department/list")["errcode"] == 0
    assert [wecom.gettoken()["errcode"] for _ in range(2)] == [0, 45009]


def test_http_5xx_rate(client: TestClient, wecom: WeCom) -> None:
    client.put("/sandbox/faults", json={"http_5xx_rate": 1.0})
    response = client.get("/cgi-bin/user/get", params={"access_token": wecom.token, "userid": "x"})
    assert response.status_code == 502


def test_counters_count_calls_per_path(client: TestClient, wecom: WeCom) -> None:
    for _ in range(3):
        wecom.get("externalcontact/get_follow_user_list")
    counters = client.get("/sandbox/inspect/counters").json()["api_calls"]
    assert counters["externalcontact/get_follow_user_list"] == 3
    assert counters["gettoken"] == 1


def test_state_survives_recreating_the_app_on_the_same_database(sandbox_url: str) -> None:
    first = create_sandbox_app(database_url=sandbox_url)
    with TestClient(first) as client:
        wecom = WeCom(client)
        tag = wecom.post(
            "externalcontact/add_corp_tag", {"group_name": "重启", "tag": [{"name": "不丢"}]}
        )
        client.post("/sandbox/clock", json={"advance_seconds": 600})
        client.put("/sandbox/faults", json={"latency_ms": {"media/*": 5}})
        token = wecom.token
        now = client.get("/sandbox/clock").json()["now"]
    second = create_sandbox_app(database_url=sandbox_url)
    with TestClient(second) as client:
        wecom = WeCom(client)
        assert wecom.token == token  # the same token, still valid
        groups = wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
        assert tag["tag_group"]["group_id"] in {g["group_id"] for g in groups}
        assert client.get("/sandbox/clock").json()["now"] >= now
        assert client.get("/sandbox/faults").json()["latency_ms"] == {"media/*": 5}
        corp = client.get(f"/sandbox/corps/{DEMO_CORP.corp_id}").json()
        assert len(corp["apps"]) == 2  # the demo corp was not seeded twice


def test_pending_callbacks_survive_a_restart(sandbox_url: str) -> None:
    import httpx

    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            from siyu.wecom.crypto import CallbackCrypto

            crypto = CallbackCrypto(
                DEMO_CORP.callback_token, DEMO_CORP.encoding_aes_key, DEMO_CORP.corp_id
            )
            return httpx.Response(200, text=crypto.decrypt(request.url.params["echostr"]))
        sent.append(request.content.decode())
        return httpx.Response(200, text="success")

    transport = httpx.Client(transport=httpx.MockTransport(handler))
    with TestClient(create_sandbox_app(database_url=sandbox_url, http_client=transport)) as client:
        client.post(
            f"/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": "http://siyu.test/cb"}
        )
        client.post(
            "/sandbox/simulate/add_by_phone",
            json={"userid": "wangfang", "customer": {"name": "重启后"}},
        )
    assert sent == []
    with TestClient(create_sandbox_app(database_url=sandbox_url, http_client=transport)) as client:
        assert client.post("/sandbox/callbacks/deliver").json()["attempts"] == 1
    assert len(sent) == 1
