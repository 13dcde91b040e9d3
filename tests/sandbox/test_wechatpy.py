"""The proof that the sandbox speaks WeCom, not a dialect of our own: wechatpy, a WeCom client
library none of us wrote, talks to a real sandbox server and decrypts its callbacks.

wechatpy 1.8 calls the API as ``API_BASE_URL + path`` but fetches tokens from a hard-coded
``https://qyapi.weixin.qq.com/cgi-bin/gettoken``; the subclass below points only that one URL
at the sandbox, everything else is wechatpy's own request, retry and error handling.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from wechatpy.enterprise import WeChatClient, parse_message
from wechatpy.enterprise.crypto import WeChatCrypto
from wechatpy.exceptions import WeChatClientException

from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from tests.sandbox.conftest import Receiver


class SandboxWeChatClient(WeChatClient):  # type: ignore[misc]
    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=self.API_BASE_URL + "gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


def _client(base: str) -> Any:
    client = SandboxWeChatClient(DEMO_CORP.corp_id, DEMO_CORP.contact_secret)
    client.API_BASE_URL = f"{base}/cgi-bin/"
    return client


def test_wechatpy_reads_customers_and_writes_tags_and_contact_ways(live_sandbox: str) -> None:
    client = _client(live_sandbox)
    contacts = client.external_contact
    assert contacts.get_follow_user_list()["follow_user"] == [s.userid for s in DEMO_CORP.staff]
    ids = contacts.list("wangfang")["external_userid"]
    assert "wmSiyuDemoCust0001AAAAAAAAAAAA" in ids
    detail = contacts.get("wmSiyuDemoCust0001AAAAAAAAAAAA")
    assert detail["external_contact"]["name"] == "刘晓燕"
    assert detail["follow_user"][0]["remark"] == "刘姐·老客"

    added = contacts.add_corp_tag(None, "会员等级", 1, [{"name": "金卡"}, {"name": "银卡"}])
    tag_ids = [t["id"] for t in added["tag_group"]["tag"]]
    listed = contacts.get_corp_tag_list(tag_ids)["tag_group"]
    assert [t["name"] for t in listed[0]["tag"]] == ["金卡", "银卡"]
    contacts.mark_tag("wangfang", "wmSiyuDemoCust0001AAAAAAAAAAAA", add_tag=[tag_ids[0]])

    way = contacts.add_contact_way(2, 2, user=["wangfang", "chenjie"], state="wechatpy")
    assert way["qr_code"].startswith(live_sandbox)
    assert contacts.get_contact_way(way["config_id"])["contact_way"]["state"] == "wechatpy"

    # wechatpy 1.8 has no wrapper for batch/get_by_user; its generic POST still does the call.
    page = client.post(
        "externalcontact/batch/get_by_user", data={"userid_list": ["wangfang"], "limit": 2}
    )
    assert len(page["external_contact_list"]) == 2
    assert page["next_cursor"]
    rest = client.post(
        "externalcontact/batch/get_by_user",
        data={"userid_list": ["wangfang"], "limit": 2, "cursor": page["next_cursor"]},
    )
    assert len(rest["external_contact_list"]) == 1

    chats = client.external_contact_group_chat.list(limit=10)
    assert [c["chat_id"] for c in chats["group_chat_list"]] == [g[0] for g in DEMO_GROUPS]


def test_wechatpy_sees_wecom_errors_and_refreshes_expired_tokens(live_sandbox: str) -> None:
    client = _client(live_sandbox)
    with pytest.raises(WeChatClientException) as raised:
        client.external_contact.list("nobody")
    assert raised.value.errcode == 60111
    assert client.external_contact.get_follow_user_list()["errcode"] == 0
    httpx.post(f"{live_sandbox}/sandbox/faults/expire_tokens")
    # wechatpy sees 42001, fetches a new token and replays the call, as against real WeCom.
    assert client.external_contact.get_follow_user_list()["errcode"] == 0


def test_wechatpy_crypto_decrypts_a_sandbox_callback(live_sandbox: str, receiver: Receiver) -> None:
    verified = httpx.post(
        f"{live_sandbox}/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": receiver.url}
    ).json()
    assert verified["verified"], verified
    client = _client(live_sandbox)
    way = client.external_contact.add_contact_way(1, 2, user=["chenjie"], state="wx_crypto")
    scanned = httpx.post(
        f"{live_sandbox}/sandbox/simulate/scan",
        json={"config_id": way["config_id"], "customer": {"name": "黄蓉", "gender": 2}},
    ).json()
    deadline = time.monotonic() + 10  # the background sender delivers it
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert receiver.received, "the callback was not delivered"
    delivered = receiver.received[0]
    crypto = WeChatCrypto(DEMO_CORP.callback_token, DEMO_CORP.encoding_aes_key, DEMO_CORP.corp_id)
    plaintext = crypto.decrypt_message(
        delivered.body,
        delivered.params["msg_signature"],
        delivered.params["timestamp"],
        delivered.params["nonce"],
    )
    event = parse_message(plaintext)
    raw = event._data
    assert raw["Event"] == "change_external_contact"
    assert raw["ChangeType"] == "add_external_contact"
    assert raw["UserID"] == "chenjie"
    assert raw["ExternalUserID"] == scanned["external_userid"]
    assert raw["State"] == "wx_crypto"
    assert raw["WelcomeCode"] == scanned["welcome_code"]
    sent = client.external_contact.send_welcome_msg(
        {"welcome_code": raw["WelcomeCode"], "text": {"content": "欢迎来到私域示范品牌"}}
    )
    assert sent["errcode"] == 0
