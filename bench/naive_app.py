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
from sqlalchemy import select

from siyu.app import create_app
from siyu.codes import friends as codes
from siyu.codes.models import ChannelCode, WelcomeSend
from siyu.customers import service as customers
from siyu.db import get_database, utcnow
from siyu.wecom import callbacks, service
from siyu.wecom.errors import WeComError
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


# --- bench/acquisition: greeting inside the callback request -----------------------------------


@app.get("/naive-greet/callback/{callback_key}", include_in_schema=False)
def naive_greet_verify(
    callback_key: str, msg_signature: str, timestamp: str, nonce: str, echostr: str
) -> PlainTextResponse:
    with database.factory() as session:
        connection = callbacks.by_callback_key(session, callback_key)
        assert connection is not None
        plain = callbacks.verify_url(
            connection,
            msg_signature=msg_signature,
            timestamp=timestamp,
            nonce=nonce,
            echostr=echostr,
        )
    return PlainTextResponse(plain)


@app.post("/naive-greet/callback/{callback_key}", include_in_schema=False)
async def naive_greet(
    callback_key: str, request: Request, msg_signature: str, timestamp: str, nonce: str
) -> PlainTextResponse:
    """The peers' way: store the event, ask WeCom who the friend is, store them, greet them —
    all before answering WeCom."""
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
            event = session.get(WeComEvent, received.event_id)
            assert event is not None
            fields, tenant_id = dict(event.fields), event.tenant_id
            connection = callbacks.by_callback_key(session, callback_key)
            assert connection is not None
            session.expunge(connection)
        external_userid = str(fields.get("ExternalUserID", ""))
        userid = str(fields.get("UserID", ""))
        client = service.client(database, settings, connection)
        detail = client.get_external_contact(external_userid)
        view = customers.view_from_detail(detail.external_contact, detail.follow_user)
        with database.transaction() as session:
            applied = customers.apply_views(session, tenant_id, [view], now=utcnow())
            customer_id = applied.customer_ids[external_userid]
            code = session.scalar(
                select(ChannelCode).where(ChannelCode.state == str(fields.get("State", "")))
            )
            welcome = code.welcome if code is not None else {}
        content = codes.content_for(welcome, detail.external_contact.name, userid, utcnow())
        status, errcode = "sent", None
        try:
            client.send_welcome_msg(str(fields.get("WelcomeCode", "")), content)
        except WeComError as exc:  # recorded like Siyu's outcomes, so both runs count alike
            status, errcode = (
                ("expired" if exc.errcode in (41049, 41050) else "failed"),
                exc.errcode,
            )
        with database.transaction() as session:
            session.add(
                WelcomeSend(
                    tenant_id=tenant_id,
                    code_id=code.id if code is not None else None,
                    customer_id=customer_id,
                    userid=userid,
                    external_userid=external_userid,
                    welcome_key=f"naive:{fields.get('WelcomeCode', '')}",
                    welcome_code=str(fields.get("WelcomeCode", "")),
                    status=status,
                    errcode=errcode,
                    added_at=utcnow(),
                    sent_at=utcnow() if status == "sent" else None,
                    content=content,
                )
            )

    await run_in_threadpool(handle)
    return PlainTextResponse("success")


# The console's catch-all GET route was registered first; these go before it.
for _ in range(2):
    app.router.routes.insert(0, app.router.routes.pop())
