"""ASGI middleware: request ids and a hard limit on request body size."""

from __future__ import annotations

import json
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siyu.errors import BodyTooLarge
from siyu.i18n import negotiate


class RequestLimits:
    """Gives each request an id (``X-Request-ID``) and refuses bodies over ``max_body_bytes``
    with 413 — by the declared length before reading, or while reading a chunked body. Paths
    that take file uploads (``upload_paths``) are allowed ``max_upload_bytes`` instead."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        *,
        upload_paths: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.upload_paths = upload_paths
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        request_id = headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        limit = self.max_body_bytes
        if self.upload_paths and str(scope.get("path", "")) in self.upload_paths:
            limit = max(limit, self.max_upload_bytes)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(headers, send_with_id, limit)
            return

        # A body without a declared length is counted as it arrives; past the limit the app sees
        # the client go away (so no handler runs on a truncated body) and the answer is a 413.
        received = 0
        too_large = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            if too_large:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        refused = False

        async def guarded_send(message: Message) -> None:
            nonlocal refused
            if too_large:
                if not refused:
                    refused = True
                    await self._refuse(headers, send_with_id, limit)
                return
            await send_with_id(message)

        await self.app(scope, counting_receive, guarded_send)

    async def _refuse(self, headers: dict[str, str], send: Send, limit: int) -> None:
        error = BodyTooLarge(limit=limit)
        body = json.dumps(
            {
                "code": error.code,
                "message": error.message(negotiate(headers.get("accept-language"))),
                "detail": None,
            },
            ensure_ascii=False,
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
