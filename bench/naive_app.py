"""The alternative a user would otherwise get: the callback is verified, decrypted, parsed **and
processed before answering** — the contact is fetched from WeCom and the event handled inline — as
the open-source peers' callback controllers do. Same crypto, same database, same event rows.

Run by ``bench/callbacks.py`` as ``uvicorn bench.naive_app:app``.
"""

from __future__ import annotations

import os

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from siyu.app import create_app
from siyu.db import get_database
from siyu.wecom import callbacks, service
from siyu.wecom.models import WeComEvent

app = create_app()
database = get_database()
settings = app.state.settings
# WeCom, or the sandbox standing in for it (set by the benchmark).
WECOM_CONTACT_PATH = os.environ.get("BENCH_NAIVE_FETCH", "1") == "1"


@app.post("/naive/callback/{callback_key}", include_in_schema=False)
async def naive_callback(
    callback_key: str, request: Request, msg_signature: str, timestamp: str, nonce: str
) -> PlainTextResponse:
    body = await request.body()

    def handle() -> None:
        with database.transaction() as session:
            received = callbacks.receive(
                database,
                session,
                callback_key,
                msg_signature=msg_signature,
                timestamp=timestamp,
                nonce=nonce,
                body=body,
                enqueue=False,
            )
            assert received is not None
            connection = callbacks.by_callback_key(session, callback_key)
            assert connection is not None
            session.expunge(connection)
        # No transaction is held across the call to WeCom (SQLite has one writer).
        with database.factory() as session:
            event = session.get(WeComEvent, received.event_id)
            assert event is not None
            external_userid = str(event.fields.get("ExternalUserID", ""))
        if WECOM_CONTACT_PATH:
            # What processing an add event means: ask WeCom who the new friend is.
            client = service.client(database, settings, connection)
            client.get_external_contact(external_userid)
        with database.transaction() as session:
            event = session.get(WeComEvent, received.event_id)
            assert event is not None
            callbacks.process(session, event)

    await run_in_threadpool(handle)
    return PlainTextResponse("success")
