"""Receiving WeCom's callbacks: verify, decrypt, parse, and store each event once.

``open_callback`` is pure computation (signature, AES, XML); ``store`` writes any number of
opened callbacks in the caller's transaction with one statement per table, so a batch costs
about what one callback does. The request path hands callbacks to :mod:`siyu.wecom.intake`, which
batches them; ``receive`` does one at a time for callers that want that.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import Database, insert_ignoring, utcnow
from siyu.vault import unseal
from siyu.wecom import events
from siyu.wecom.crypto import CallbackCrypto, CallbackRejected
from siyu.wecom.models import WeComConnection, WeComEvent

PROCESS_EVENT = "wecom.process_event"
EVENTS = cast(Table, WeComEvent.__table__)


@dataclass(frozen=True)
class CallbackTarget:
    """What receiving a callback needs of a connection, cached briefly per callback URL."""

    connection_id: int
    tenant_id: int
    corp_id: str
    crypto: CallbackCrypto
    loaded_at: float


# Callback URL key → target. A callback that fails the crypto against a cached target is tried
# once more against fresh settings, so changing the token or key takes effect at once.
_targets: dict[str, CallbackTarget] = {}
TARGET_TTL_SECONDS = 60.0
CRYPTO_REASONS = frozenset({"bad_signature", "wrong_receiver", "bad_padding", "bad_plaintext"})


def by_callback_key(session: Session, key: str) -> WeComConnection | None:
    return session.scalar(select(WeComConnection).where(WeComConnection.callback_key == key))


def callback_crypto(connection: WeComConnection) -> CallbackCrypto:
    return CallbackCrypto(
        unseal(connection.callback_token_sealed),
        unseal(connection.encoding_aes_key_sealed),
        connection.corp_id,
    )


def cached_target(key: str) -> CallbackTarget | None:
    target = _targets.get(key)
    if target is not None and time.monotonic() - target.loaded_at < TARGET_TTL_SECONDS:
        return target
    return None


def load_target(session: Session, key: str) -> CallbackTarget | None:
    connection = by_callback_key(session, key)
    if connection is None:
        _targets.pop(key, None)
        return None
    target = CallbackTarget(
        connection.id,
        connection.tenant_id,
        connection.corp_id,
        callback_crypto(connection),
        time.monotonic(),
    )
    if len(_targets) > 10_000:
        _targets.clear()
    _targets[key] = target
    return target


def verify_url(
    connection: WeComConnection, *, msg_signature: str, timestamp: str, nonce: str, echostr: str
) -> str:
    """WeCom's URL check: answer the decrypted echostr. Marks the connection as verified."""
    plain = callback_crypto(connection).open(msg_signature, timestamp, nonce, echostr)
    connection.verified_at = utcnow()
    return plain


@dataclass(frozen=True)
class Incoming:
    """A callback that passed verification and decryption, ready to be stored."""

    tenant_id: int
    fields: events.Fields
    dedupe_key: str
    received_at: dt.datetime


def open_callback(
    target: CallbackTarget, body: bytes, *, msg_signature: str, timestamp: str, nonce: str
) -> Incoming:
    envelope = events.parse_envelope(body)
    if envelope.to_user and envelope.to_user != target.corp_id:
        raise CallbackRejected("wrong_receiver", "ToUserName is not this corp")
    plain = target.crypto.open(msg_signature, timestamp, nonce, envelope.encrypted)
    fields = events.parse_message(plain)
    return Incoming(target.tenant_id, fields, events.dedupe_key(fields), utcnow())


@dataclass(frozen=True)
class Received:
    event_id: int
    duplicate: bool


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _row(item: Incoming, deliveries: int) -> dict[str, Any]:
    fields = item.fields
    return {
        "tenant_id": item.tenant_id,
        "dedupe_key": item.dedupe_key,
        "msg_type": str(fields.get("MsgType", ""))[:32],
        "event": str(fields.get("Event", ""))[:64],
        "change_type": str(fields.get("ChangeType", ""))[:64],
        "create_time": _int(fields.get("CreateTime")),
        "fields": fields,
        "received_at": item.received_at,
        "state": "pending",
        "deliveries": deliveries,
    }


def store(session: Session, items: list[Incoming], *, enqueue: bool = True) -> list[Received]:
    """Store opened callbacks, each event once: the unique (tenant, dedupe key) decides, within
    the batch and against earlier ones. A repeat counts one more delivery and creates nothing.
    New events get their processing job in the same transaction. Results follow ``items``."""
    first: dict[tuple[int, str], Incoming] = {}
    count: dict[tuple[int, str], int] = {}
    for item in items:
        key = (item.tenant_id, item.dedupe_key)
        first.setdefault(key, item)
        count[key] = count.get(key, 0) + 1
    ids: dict[tuple[int, str], int] = {
        (tenant_id, dedupe_key): event_id
        for event_id, tenant_id, dedupe_key in session.execute(
            insert_ignoring(session, EVENTS, ["tenant_id", "dedupe_key"]).returning(
                EVENTS.c.id, EVENTS.c.tenant_id, EVENTS.c.dedupe_key
            ),
            [_row(item, count[key]) for key, item in first.items()],
        )
    }
    new = set(ids)
    for key in first.keys() - new:  # delivered in an earlier batch
        ids[key] = session.execute(
            update(WeComEvent)
            .where(WeComEvent.tenant_id == key[0], WeComEvent.dedupe_key == key[1])
            .values(deliveries=WeComEvent.deliveries + count[key])
            .returning(WeComEvent.id)
        ).scalar_one()
    if enqueue and new:
        jobs.submit_many(
            session,
            PROCESS_EVENT,
            [(key[0], f"wecom-event:{ids[key]}", {"event_id": ids[key]}) for key in new],
        )
    return [
        Received(
            ids[(item.tenant_id, item.dedupe_key)],
            duplicate=not (
                (item.tenant_id, item.dedupe_key) in new
                and first[(item.tenant_id, item.dedupe_key)] is item
            ),
        )
        for item in items
    ]


def open_for_key(
    database: Database, key: str, body: bytes, *, msg_signature: str, timestamp: str, nonce: str
) -> Incoming | None:
    """Open a callback sent to callback URL ``key``; None for an unknown URL. A cached target
    that fails the crypto is reloaded once, so new settings take effect at once."""
    target = cached_target(key)
    if target is None:
        with database.factory() as session:
            target = load_target(session, key)
        if target is None:
            return None
    params = {"msg_signature": msg_signature, "timestamp": timestamp, "nonce": nonce}
    try:
        return open_callback(target, body, **params)
    except CallbackRejected as rejected:
        if rejected.reason not in CRYPTO_REASONS:
            raise
    with database.factory() as session:
        target = load_target(session, key)
    return open_callback(target, body, **params) if target is not None else None


def receive(
    database: Database,
    session: Session,
    key: str,
    *,
    msg_signature: str,
    timestamp: str,
    nonce: str,
    body: bytes,
    enqueue: bool = True,
) -> Received | None:
    """Open and store one callback in ``session``'s transaction; None for an unknown URL.
    ``enqueue=False`` stores without the job, for a caller that processes the event itself."""
    item = open_for_key(
        database, key, body, msg_signature=msg_signature, timestamp=timestamp, nonce=nonce
    )
    return store(session, [item], enqueue=enqueue)[0] if item is not None else None


def process(session: Session, event: WeComEvent) -> None:
    """Hand a stored event to the domains that handle it; keep it when none does."""
    if event.state != "pending":
        return
    handlers = events.handlers_for(event.event or event.msg_type, event.change_type)
    for handler in handlers:
        handler(session, event.tenant_id, event.fields)
    event.state = "processed" if handlers else "kept"
    event.processed_at = utcnow()
