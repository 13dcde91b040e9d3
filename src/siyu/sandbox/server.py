"""The sandbox app: WeCom's API under ``/cgi-bin/`` and the simulator under ``/sandbox/``.

Every ``/cgi-bin/`` call goes through one dispatcher: faults (latency, 5xx, injected errcodes,
rate limits) first, then the token (41001 / 40014 / 42001), the app's trusted IPs (60020) and
its customer-contact permission (48002), then the handler in a transaction of its own.
"""

from __future__ import annotations

import asyncio
import email.policy
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email.parser import BytesParser
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.config import Settings, get_settings
from siyu.sandbox import callbacks, demo
from siyu.sandbox.api import (
    contact_ways,
    contacts,
    group_welcome,
    groups,
    mass_messages,
    media,
    messages,
    moments,
    org,
    tags,
    transfer,
)
from siyu.sandbox.api.base import Ctx, Endpoint, Json
from siyu.sandbox.core import WeComError, error_body, new_id
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import App, Corp, Token, open_database

log = logging.getLogger("siyu.sandbox")

ENDPOINTS: dict[str, Endpoint] = {}
for _module in (
    org,
    contacts,
    tags,
    contact_ways,
    messages,
    mass_messages,
    groups,
    group_welcome,
    moments,
    transfer,
    media,
):
    ENDPOINTS.update(_module.registry.endpoints)


def caller_ip(request: Request) -> str:
    return request.client.host if request.client else "0.0.0.0"  # noqa: S104 - a label


def wecom_json(body: Json, status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code)


def gettoken(session: Session, runtime: Runtime, query: dict[str, str], ip: str) -> Json:
    corp_id, secret = query.get("corpid", ""), query.get("corpsecret", "")
    if not corp_id:
        raise WeComError(41002)
    if not secret:
        raise WeComError(41004)
    corp = session.get(Corp, corp_id)
    if corp is None:
        raise WeComError(40013)
    app = session.scalar(select(App).where(App.corp_id == corp_id, App.secret == secret))
    if app is None:
        raise WeComError(40001, "invalid credential, corpsecret is invalid")
    if app.trusted_ips and ip not in app.trusted_ips:
        raise WeComError(60020)
    now = runtime.clock.ts()
    token = session.scalar(
        select(Token)
        .where(Token.app_id == app.id, Token.revoked.is_(False), Token.expires_at > now)
        .order_by(Token.expires_at.desc())
    )
    if token is None:
        token = Token(token=new_id("", 64), app_id=app.id, expires_at=now + runtime.token_ttl)
        session.add(token)
    return {"access_token": token.token, "expires_in": token.expires_at - now}


def authenticate(session: Session, runtime: Runtime, query: dict[str, str], ip: str) -> App:
    value = query.get("access_token", "")
    if not value:
        raise WeComError(41001)
    token = session.get(Token, value)
    if token is None:
        raise WeComError(40014)
    if token.revoked or token.expires_at <= runtime.clock.ts():
        raise WeComError(42001)
    app = session.get(App, token.app_id)
    if app is None:
        raise WeComError(40014)
    if app.trusted_ips and ip not in app.trusted_ips:
        raise WeComError(60020)
    return app


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """The file parts of a multipart/form-data body (the stdlib parser; no extra dependency)."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + raw
    )
    if not message.is_multipart():
        raise WeComError(47001)
    files: dict[str, tuple[str, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        if isinstance(name, str) and filename is not None:
            payload = part.get_payload(decode=True)
            files[name] = (filename, payload if isinstance(payload, bytes) else b"")
    return files


async def _read_request(request: Request) -> tuple[Json, dict[str, tuple[str, bytes]]]:
    content_type = request.headers.get("content-type", "")
    raw = await request.body()
    if content_type.startswith("multipart/form-data"):
        return {}, _multipart(content_type, raw)
    if not raw.strip():
        return {}, {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise WeComError(47001) from None
    if not isinstance(body, dict):
        raise WeComError(47001)
    return body, {}


class Dispatcher:
    """Every ``/cgi-bin/`` call: faults, token, trusted IPs, permission, then the handler."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def __call__(self, request: Request, path: str) -> Response:
        ip = caller_ip(request)
        faults = self.runtime.faults
        delay = faults.latency(path)
        if delay:
            await asyncio.sleep(delay)
        self.runtime.count_call(path)
        if faults.server_error():
            return Response("<html><body>502 Bad Gateway</body></html>", status_code=502)
        injected = faults.injected(path)
        if injected is not None:
            return wecom_json(error_body(injected.errcode, injected.errmsg or None, ip))
        if faults.rate_limited(path, self.runtime.clock.now()):
            return wecom_json(error_body(45009, None, ip))
        query = dict(request.query_params)
        if path == "gettoken":
            result = await asyncio.to_thread(self._gettoken, query, ip)
            return wecom_json({"errcode": 0, "errmsg": "ok", **result})
        endpoint = ENDPOINTS.get(path)
        if endpoint is None:
            # WeCom's gateway answers unknown paths with HTTP 404; the body keeps WeCom's shape.
            return wecom_json(
                error_body(404, f"invalid api path: /cgi-bin/{path}", ip), status_code=404
            )
        if endpoint.method == "POST" and request.method != "POST":
            raise WeComError(43002)
        body, files = await _read_request(request) if request.method == "POST" else ({}, {})
        result = await asyncio.to_thread(self._run, endpoint, query, body, files, ip)
        return wecom_json({"errcode": 0, "errmsg": "ok", **result})

    def _gettoken(self, query: dict[str, str], ip: str) -> Json:
        with self.runtime.database.transaction() as session:
            return gettoken(session, self.runtime, query, ip)

    def _run(
        self,
        endpoint: Endpoint,
        query: dict[str, str],
        body: Json,
        files: dict[str, tuple[str, bytes]],
        ip: str,
    ) -> Json:
        with self.runtime.database.transaction() as session:
            app_row = authenticate(session, self.runtime, query, ip)
            corp = session.get(Corp, app_row.corp_id)
            if corp is None:
                raise WeComError(40013)
            if endpoint.customer_contact and not app_row.customer_contact:
                raise WeComError(48002)
            ctx = Ctx(session, self.runtime, corp, app_row, ip, query, body, files)
            return endpoint.handler(ctx)


def create_sandbox_app(
    settings: Settings | None = None,
    database_url: str | None = None,
    *,
    http_client: httpx.Client | None = None,
    deliver_in_background: bool = False,
    public_url: str | None = None,
    demo_crowd: int = 0,
) -> FastAPI:
    """The fake WeCom. The background callback sender runs only when asked (``siyu sandbox
    serve`` asks); tests deliver synchronously with ``POST /sandbox/callbacks/deliver`` or
    ``?wait=true`` on the simulator. ``http_client`` carries callbacks (tests may inject one).
    ``demo_crowd`` adds that many customers to the demo corp's staff (``serve`` adds a few
    thousand; tests keep the six named ones)."""
    settings = settings or get_settings()
    database = open_database(database_url or settings.effective_sandbox_database_url)
    runtime = Runtime(database=database, public_url=public_url or settings.sandbox_url)
    if http_client is not None:
        runtime.http = http_client
    with database.transaction() as session:
        runtime.clock.load(session)
        runtime.faults.load(session)
        demo.seed(session, runtime.clock.ts())
        demo.seed_crowd(session, runtime.clock.ts(), demo_crowd)
        demo.seed_groups(session, runtime.clock.ts())
        if demo_crowd > 0:
            from siyu.sandbox import msgaudit

            msgaudit.seed_chats(session, runtime.clock.ts())
            msgaudit.seed_group_chats(session, runtime.clock.ts())
    callbacks.recover(runtime)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        senders = [
            callbacks.Deliverer(runtime)
            for _ in range(settings.sandbox_callback_senders if deliver_in_background else 0)
        ]
        for sender in senders:
            sender.start()
        try:
            yield
        finally:
            for sender in senders:
                sender.stop()
            with database.transaction() as session:
                runtime.flush_calls(session)

    app = FastAPI(
        title="Siyu sandbox — a fake WeCom",
        description="WeCom's server API (/cgi-bin/…) and a customer and staff simulator "
        "(/sandbox/…).",
        lifespan=lifespan,
    )
    app.state.runtime = runtime

    @app.exception_handler(WeComError)
    async def _wecom_error(request: Request, exc: WeComError) -> Response:
        return wecom_json(error_body(exc.errcode, exc.text, caller_ip(request)))

    dispatch = Dispatcher(runtime)

    @app.api_route("/cgi-bin/{path:path}", methods=["GET", "POST"], include_in_schema=False)
    async def cgi_bin(request: Request, path: str) -> Response:
        return await dispatch(request, path)

    from siyu.sandbox import (
        admin,
        admin_tags,
        inspection,
        msgaudit,
        qr_images,
        simulate,
        simulate_group_codes,
        simulate_groups,
        simulate_staff,
    )

    for module in (
        admin,
        admin_tags,
        inspection,
        msgaudit,
        qr_images,
        simulate,
        simulate_staff,
        simulate_groups,
        simulate_group_codes,
    ):
        app.include_router(module.router)
    return app


def runtime_of(app: FastAPI) -> Runtime:
    runtime: Any = app.state.runtime
    assert isinstance(runtime, Runtime)
    return runtime
