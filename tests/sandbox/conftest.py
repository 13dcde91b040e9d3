"""Sandbox fixtures: the fake WeCom on a fresh SQLite file, a real loopback callback receiver."""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.server import create_sandbox_app
from siyu.wecom.crypto import CallbackCrypto


@pytest.fixture
def sandbox_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/sb.db"


@pytest.fixture
def sandbox(sandbox_url: str) -> FastAPI:
    return create_sandbox_app(database_url=sandbox_url)


@pytest.fixture
def client(sandbox: FastAPI) -> Iterator[TestClient]:
    with TestClient(sandbox, raise_server_exceptions=True) as test_client:
        yield test_client


class WeCom:
    """A thin caller of the sandbox's WeCom API, as a client library would be."""

    def __init__(self, client: TestClient, secret: str = DEMO_CORP.contact_secret) -> None:
        self.client = client
        self.secret = secret
        self.token = self.gettoken()["access_token"]

    def gettoken(self) -> dict[str, Any]:
        params = {"corpid": DEMO_CORP.corp_id, "corpsecret": self.secret}
        body: dict[str, Any] = self.client.get("/cgi-bin/gettoken", params=params).json()
        return body

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = self.client.get(
            f"/cgi-bin/{path}", params={"access_token": self.token, **params}
        )
        body: dict[str, Any] = response.json()
        return body

    def post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(
            f"/cgi-bin/{path}", params={"access_token": self.token}, json=body or {}
        )
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def wecom(client: TestClient) -> WeCom:
    return WeCom(client)


@dataclass
class Received:
    params: dict[str, str]
    body: str
    plaintext: str


@dataclass
class Receiver:
    """A real HTTP server on a loopback port standing in for Siyu's callback endpoint."""

    url: str = ""
    crypto: CallbackCrypto = field(
        default_factory=lambda: CallbackCrypto(
            DEMO_CORP.callback_token, DEMO_CORP.encoding_aes_key, DEMO_CORP.corp_id
        )
    )
    statuses: list[int] = field(default_factory=list)  # answers to POSTs, then 200
    received: list[Received] = field(default_factory=list)
    verification_answer: str | None = None  # None: answer correctly

    def events(self) -> list[str]:
        return [r.plaintext for r in self.received]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _params(self) -> dict[str, str]:
            query = urllib.parse.urlsplit(self.path).query
            return dict(urllib.parse.parse_qsl(query))

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            params = self._params()
            crypto = receiver.crypto
            expected = crypto.sign(params["timestamp"], params["nonce"], params["echostr"])
            if expected != params["msg_signature"]:
                self._answer(403, "bad signature")
                return
            answer = receiver.verification_answer
            self._answer(200, crypto.decrypt(params["echostr"]) if answer is None else answer)

        def do_POST(self) -> None:
            params = self._params()
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            encrypted = body.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
            crypto = receiver.crypto
            assert (
                crypto.sign(params["timestamp"], params["nonce"], encrypted)
                == (params["msg_signature"])
            )
            receiver.received.append(Received(params, body, crypto.decrypt(encrypted)))
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            self._answer(status, "success" if status == 200 else "busy")

    return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/wecom/callback"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def connected(client: TestClient, receiver: Receiver) -> Receiver:
    """The demo corp's callback URL set (and verified) to the receiver."""
    response = client.post(
        f"/sandbox/corps/{DEMO_CORP.corp_id}/callback", json={"url": receiver.url}
    )
    assert response.json()["verified"], response.text
    return receiver


def field_of(xml: str, name: str) -> str:
    import xml.etree.ElementTree as ET

    node = ET.fromstring(xml).find(name)  # noqa: S314 - our own test data
    return (node.text or "") if node is not None else ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def live_sandbox(tmp_path: Path) -> Iterator[str]:
    """The sandbox in a real Uvicorn server on a loopback port, its callback sender running."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_sandbox_app(
        database_url=f"sqlite:///{tmp_path}/live.db", deliver_in_background=True, public_url=base
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield base
    server.should_exit = True
    thread.join(timeout=10)
