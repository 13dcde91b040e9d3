"""Callbacks as WeCom sends them: plaintext XML events, encrypted and signed, POSTed with retries.

Each callback is first a row (the outbox) written in the transaction that caused it; a worker
thread sends due rows, so a restart loses nothing. An attempt succeeds only on HTTP 200; WeCom
waits 5 s and tries 3 times in all. Every attempt is recorded.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import Callback, CallbackAttempt, Corp
from siyu.wecom.crypto import CallbackCrypto

log = logging.getLogger("siyu.sandbox.callbacks")

FieldValue = str | int | list[str]


def _cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def event_xml(corp_id: str, create_time: int, event: str, fields: dict[str, FieldValue]) -> str:
    """The plaintext event: ToUserName, FromUserName sys, CreateTime, MsgType event, Event, …"""
    parts = [
        f"<ToUserName>{_cdata(corp_id)}</ToUserName>",
        f"<FromUserName>{_cdata('sys')}</FromUserName>",
        f"<CreateTime>{create_time}</CreateTime>",
        f"<MsgType>{_cdata('event')}</MsgType>",
        f"<Event>{_cdata(event)}</Event>",
    ]
    for name, value in fields.items():
        if isinstance(value, int):
            parts.append(f"<{name}>{value}</{name}>")
        elif isinstance(value, list):
            items = "".join(f"<Item>{_cdata(v)}</Item>" for v in value)
            parts.append(f"<{name}>{items}</{name}>")
        else:
            parts.append(f"<{name}>{_cdata(value)}</{name}>")
    return "<xml>" + "".join(parts) + "</xml>"


def emit(
    session: Session,
    runtime: Runtime,
    corp: Corp,
    event: str,
    fields: dict[str, FieldValue],
) -> list[Callback]:
    """Queue an event for the corp's callback URL (nothing when the corp has none)."""
    if not corp.callback_url:
        return []
    faults = runtime.faults.faults
    now = runtime.clock.ts()
    xml = event_xml(corp.corp_id, now, event, fields)
    change_type = str(fields.get("ChangeType", ""))
    copies = 2 if faults.duplicate_callbacks else 1
    status = "held" if faults.shuffle_callbacks > 1 else "pending"
    rows = [
        Callback(
            corp_id=corp.corp_id,
            url=corp.callback_url,
            event=event,
            change_type=change_type,
            xml=xml,
            status=status,
            created_at=now,
            next_attempt_at=0.0,
        )
        for _ in range(copies)
    ]
    session.add_all(rows)
    session.flush()
    if status == "held":
        release_held(session, runtime, minimum=faults.shuffle_callbacks)
    return rows


def release_held(session: Session, runtime: Runtime, minimum: int = 0) -> int:
    """Release held callbacks in random order once ``minimum`` are waiting (0: release now)."""
    held = list(session.scalars(select(Callback).where(Callback.status == "held")))
    if not held or len(held) < minimum:
        return 0
    order = list(range(len(held)))
    random.shuffle(order)
    base = time.time()
    for position, index in enumerate(order):
        held[index].status = "pending"
        # Tiny offsets give the worker a shuffled order to follow (it sends by due time).
        held[index].next_attempt_at = base + position * 0.001
    return len(held)


def crypto_for(corp: Corp) -> CallbackCrypto:
    # The envelope's timestamp is wall time, as the network sees it, even when tests moved the
    # sandbox clock: the receiver's replay window compares it with its own clock. The event's
    # CreateTime inside is sandbox time, the time of the business fact.
    return CallbackCrypto(corp.callback_token, corp.encoding_aes_key, corp.corp_id)


def _attempt(runtime: Runtime, corp: Corp, callback: Callback) -> CallbackAttempt:
    started = time.monotonic()
    attempt = CallbackAttempt(callback_id=callback.id, at=time.time())
    if runtime.faults.faults.callback_url_down:
        attempt.error = "callback URL down (fault switch)"
        return attempt
    params, body = crypto_for(corp).envelope(callback.xml)
    try:
        response = runtime.http.post(
            callback.url,
            params=params,
            content=body.encode(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=runtime.callback_timeout,
        )
        attempt.status_code = response.status_code
        attempt.response = response.text[:2000]
    except httpx.HTTPError as exc:
        attempt.error = f"{type(exc).__name__}: {exc}"[:2000]
    attempt.elapsed_ms = int((time.monotonic() - started) * 1000)
    return attempt


def _claim(runtime: Runtime, *, ignore_delays: bool) -> int | None:
    """Take the next due pending callback, atomically, so two senders never send one twice."""
    with runtime.database.transaction() as session:
        query = select(Callback.id).where(Callback.status == "pending")
        if not ignore_delays:
            query = query.where(Callback.next_attempt_at <= time.time())
        callback_id = session.scalar(query.order_by(Callback.next_attempt_at, Callback.id))
        if callback_id is None:
            return None
        claimed = session.execute(
            update(Callback)
            .where(Callback.id == callback_id, Callback.status == "pending")
            .values(status="sending")
        )
        return callback_id if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def deliver_one(runtime: Runtime, callback_id: int) -> None:
    with runtime.database.transaction() as session:
        callback = session.get(Callback, callback_id)
        corp = session.get(Corp, callback.corp_id) if callback else None
        if callback is None or corp is None:
            return
        session.expunge(callback)
        session.expunge(corp)
    attempt = _attempt(runtime, corp, callback)
    with runtime.database.transaction() as session:
        session.add(attempt)
        row = session.get(Callback, callback_id)
        if row is None:
            return
        row.attempts += 1
        if attempt.status_code == 200:
            row.status = "delivered"
        elif row.attempts >= runtime.callback_attempts:
            row.status = "failed"
        else:
            row.status = "pending"
            delays = runtime.callback_retry_delays or (0.0,)
            row.next_attempt_at = time.time() + delays[min(row.attempts - 1, len(delays) - 1)]


def deliver_pending(runtime: Runtime, *, ignore_delays: bool = True, limit: int = 10_000) -> int:
    """Send every pending callback now (tests' synchronous mode); returns attempts made."""
    attempts = 0
    while attempts < limit and (callback_id := _claim(runtime, ignore_delays=ignore_delays)):
        deliver_one(runtime, callback_id)
        attempts += 1
    return attempts


def recover(runtime: Runtime) -> None:
    """Rows a crash left 'sending' go back to pending: at-least-once, like WeCom."""
    with runtime.database.transaction() as session:
        session.execute(
            update(Callback).where(Callback.status == "sending").values(status="pending")
        )


class Deliverer(threading.Thread):
    """The sandbox process's background sender."""

    def __init__(self, runtime: Runtime, interval: float = 0.2) -> None:
        super().__init__(name="sandbox-callbacks", daemon=True)
        self.runtime = runtime
        self.interval = interval
        self.stopping = threading.Event()
        self.wake = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                sent = deliver_pending(self.runtime, ignore_delays=False, limit=50)
            except Exception:
                log.exception("callback delivery failed")
                sent = 0
            if not sent:
                self.wake.wait(self.interval)
                self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout=10)


# --- URL verification, as the admin console does it ------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    reason: str
    status_code: int | None = None
    answer: str = ""


def verify_url(runtime: Runtime, corp: Corp, url: str) -> Verification:
    """Send WeCom's verification GET; the URL is good only if it answers the decrypted echostr."""
    crypto = crypto_for(corp)
    plain = str(secrets.randbelow(9 * 10**18) + 10**18)
    echostr = crypto.encrypt(plain)
    timestamp = str(int(time.time()))
    nonce = str(secrets.randbelow(10**10))
    params = {
        "msg_signature": crypto.sign(timestamp, nonce, echostr),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": echostr,
    }
    try:
        response = runtime.http.get(url, params=params, timeout=runtime.callback_timeout)
    except httpx.HTTPError as exc:
        return Verification(False, f"request failed: {type(exc).__name__}: {exc}")
    answer = response.text
    if response.status_code != 200:
        return Verification(False, f"answered HTTP {response.status_code}", response.status_code)
    if answer != plain:
        return Verification(
            False,
            f"answer {escape(answer[:100])!r} is not the decrypted echostr {plain!r} "
            "(reply with the plaintext only: no quotes, BOM or newline)",
            response.status_code,
            answer[:200],
        )
    return Verification(True, "ok", response.status_code, answer)
