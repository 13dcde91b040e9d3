"""The WeCom client against a scripted WeCom (httpx's mock transport): retries, slowing down,
one token refresh, and an actionable message for every error code it maps."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from siyu.db import Database
from siyu.wecom import errors, schemas
from siyu.wecom.client import WeComClient
from siyu.wecom.tokens import TokenStore
from tests.factories import make_tenant

CORP, SECRET = "wwtestcorp0001", "contact-secret"
Script = Callable[[httpx.Request], httpx.Response]


def reply(body: dict[str, Any], status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode())


class FakeWeCom:
    """Hands out tokens and answers business calls from a script of replies."""

    def __init__(self) -> None:
        self.token_calls = 0
        self.calls: list[str] = []
        self.replies: list[httpx.Response | Exception] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/cgi-bin/gettoken":
            self.token_calls += 1
            return reply(
                {
                    "errcode": 0,
                    "errmsg": "ok",
                    "access_token": f"tok{self.token_calls}",
                    "expires_in": 7200,
                }
            )
        self.calls.append(request.url.params.get("access_token", ""))
        answer = (
            self.replies.pop(0)
            if self.replies
            else reply({"errcode": 0, "errmsg": "ok", "follow_user": ["wangfang"]})
        )
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def wecom() -> FakeWeCom:
    return FakeWeCom()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def client(database: Database, wecom: FakeWeCom, slept: list[float]) -> Iterator[WeComClient]:
    with database.transaction() as session:
        tenant_id = make_tenant(session).id
    http = httpx.Client(transport=httpx.MockTransport(wecom), base_url="https://wecom.test")
    yield WeComClient(
        CORP,
        SECRET,
        tokens=TokenStore(database, tenant_id),
        base_url="https://wecom.test",
        http=http,
        sleep=slept.append,
    )
    http.close()


def error_reply(errcode: int, errmsg: str = "error") -> httpx.Response:
    return reply({"errcode": errcode, "errmsg": errmsg})


def test_the_token_is_fetched_once_and_reused(client: WeComClient, wecom: FakeWeCom) -> None:
    for _ in range(3):
        assert client.get_follow_user_list() == ["wangfang"]
    assert wecom.token_calls == 1
    assert wecom.calls == ["tok1", "tok1", "tok1"]


@pytest.mark.parametrize("errcode", [40014, 42001, 40001])
def test_an_invalid_token_is_refreshed_once_and_the_call_replayed(
    client: WeComClient, wecom: FakeWeCom, errcode: int
) -> None:
    client.get_follow_user_list()
    wecom.replies = [error_reply(errcode, "access_token expired")]
    assert client.get_follow_user_list() == ["wangfang"]
    assert wecom.token_calls == 2
    assert wecom.calls[-2:] == ["tok1", "tok2"]


def test_a_token_refused_twice_is_an_error_not_a_loop(
    client: WeComClient, wecom: FakeWeCom
) -> None:
    wecom.replies = [error_reply(42001), error_reply(42001), error_reply(42001)]
    with pytest.raises(errors.TokenInvalid):
        client.get_follow_user_list()
    assert wecom.token_calls == 2


def test_system_busy_is_retried_with_backoff(
    client: WeComClient, wecom: FakeWeCom, slept: list[float]
) -> None:
    wecom.replies = [error_reply(-1, "system busy"), error_reply(-1, "system busy")]
    assert client.get_follow_user_list() == ["wangfang"]
    assert len(slept) == 2
    assert slept[1] > 0


def test_system_busy_that_persists_becomes_a_clear_error(
    client: WeComClient, wecom: FakeWeCom
) -> None:
    wecom.replies = [error_reply(-1)] * 10
    with pytest.raises(errors.SystemBusy) as raised:
        client.get_follow_user_list()
    assert raised.value.retryable


def test_network_errors_and_5xx_are_retried(client: WeComClient, wecom: FakeWeCom) -> None:
    wecom.replies = [httpx.ConnectError("refused"), reply({}, status=502)]
    assert client.get_follow_user_list() == ["wangfang"]


def test_an_unreachable_wecom_says_so(client: WeComClient, wecom: FakeWeCom) -> None:
    wecom.replies = [httpx.ConnectTimeout("timeout")] * 10
    with pytest.raises(errors.WeComUnavailable) as raised:
        client.get_follow_user_list()
    assert "get_follow_user_list" in raised.value.message("en")


def test_rate_limits_slow_down_instead_of_failing(
    client: WeComClient, wecom: FakeWeCom, slept: list[float]
) -> None:
    wecom.replies = [error_reply(45009, "api freq out of limit")] * 2
    assert client.get_follow_user_list() == ["wangfang"]
    assert sum(slept) >= 2


def test_a_rate_limit_that_lasts_names_the_limit(client: WeComClient, wecom: FakeWeCom) -> None:
    wecom.replies = [error_reply(45009, "api freq out of limit")] * 50
    with pytest.raises(errors.RateLimited) as raised:
        client.get_follow_user_list()
    assert "10,000 per minute" in raised.value.message("en")
    assert "每分钟" in raised.value.message("zh-CN")


UNTRUSTED = (
    "not allow to access from your ip, hint: [1700000000_1_abc], from ip: 203.0.113.9, "
    "more info at https://open.work.weixin.qq.com/devtool/query?e=60020"
)


@pytest.mark.parametrize(
    ("errcode", "errmsg", "error", "says_zh", "says_en"),
    [
        (60020, UNTRUSTED, errors.UntrustedIp, "企业可信IP」中加入 203.0.113.9", "add 203.0.113.9"),
        (
            48002,
            "api forbidden",
            errors.MissingPermission,
            "可调用接口的应用",
            "Apps that can call the API",
        ),
        (
            84061,
            "not external contact",
            errors.NotAFriend,
            "已不是这位成员的好友",
            "no longer a friend",
        ),
        (41050, "invalid welcome_code", errors.WelcomeCodeExpired, "20 秒", "20 seconds"),
        (
            41051,
            "externaluser has started chatting",
            errors.WelcomeAlreadySent,
            "41051",
            "already used",
        ),
        (40126, "tag count exceed", errors.LimitReached, "数量上限", "volume limit"),
        (60011, "no privilege", errors.OutOfScope, "可见范围", "visible range"),
        (40058, "invalid state", errors.InvalidArgument, "参数有误", "rejected an argument"),
        (123456, "something new", errors.WeComError, "123456", "something new"),
    ],
)
def test_each_error_code_says_what_to_do(
    client: WeComClient,
    wecom: FakeWeCom,
    errcode: int,
    errmsg: str,
    error: type[errors.WeComError],
    says_zh: str,
    says_en: str,
) -> None:
    wecom.replies = [error_reply(errcode, errmsg)]
    with pytest.raises(error) as raised:
        client.get_follow_user_list()
    assert type(raised.value) is error
    assert raised.value.errcode == errcode
    assert says_zh in raised.value.message("zh-CN")
    assert says_en in raised.value.message("en")
    assert raised.value.detail["endpoint"] == "/cgi-bin/externalcontact/get_follow_user_list"


def test_a_wrong_secret_on_gettoken_is_explained(database: Database) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return error_reply(40001, "invalid credential")

    with database.transaction() as session:
        tenant_id = make_tenant(session).id
    http = httpx.Client(transport=httpx.MockTransport(refuse))
    client = WeComClient(
        CORP,
        "wrong",
        tokens=TokenStore(database, tenant_id),
        http=http,
        base_url="https://wecom.test",
    )
    with pytest.raises(errors.InvalidSecret) as raised:
        client.get_follow_user_list()
    assert "客户联系" in raised.value.message("zh-CN")


def test_an_unexpected_shape_names_the_endpoint_and_the_field(
    client: WeComClient, wecom: FakeWeCom
) -> None:
    wecom.replies = [reply({"errcode": 0, "errmsg": "ok", "follow_user": "not-a-list"})]
    with pytest.raises(errors.UnexpectedResponse) as raised:
        client.get_follow_user_list()
    message = raised.value.message("en")
    assert "get_follow_user_list" in message
    assert "follow_user" in message


def test_a_body_that_is_not_json_is_an_unexpected_response(
    client: WeComClient, wecom: FakeWeCom
) -> None:
    wecom.replies = [httpx.Response(200, content=b"<html>gateway</html>")]
    with pytest.raises(errors.UnexpectedResponse):
        client.get_follow_user_list()


def test_a_write_is_not_retried_after_wecom_may_have_acted(
    client: WeComClient, wecom: FakeWeCom
) -> None:
    wecom.replies = [httpx.ReadTimeout("no answer"), error_reply(0)]
    with pytest.raises(errors.WeComUnavailable):
        client.post(
            "/cgi-bin/externalcontact/send_welcome_msg", schemas.Reply, {"welcome_code": "W"}
        )
    assert len(wecom.calls) == 1  # sent once; its idempotency record decides, not a blind retry


def test_a_write_is_retried_when_it_never_reached_wecom(
    client: WeComClient, wecom: FakeWeCom
) -> None:
    wecom.replies = [httpx.ConnectError("refused"), error_reply(0)]
    client.post("/cgi-bin/externalcontact/send_welcome_msg", schemas.Reply, {"welcome_code": "W"})
    assert len(wecom.calls) == 2


def test_a_read_by_post_is_retried_like_a_get(client: WeComClient, wecom: FakeWeCom) -> None:
    wecom.replies = [
        httpx.ReadTimeout("slow"),
        reply({"errcode": 0, "errmsg": "ok", "tag_group": []}),
    ]
    assert client.get_corp_tag_list() == []
