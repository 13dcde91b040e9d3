"""Callback XML: the envelope WeCom posts, the event inside it, and who handles which event.

XML is parsed with defusedxml (no DTDs, no entities, no external references) and size-limited
before parsing. Domains register handlers per (Event, ChangeType); an event nobody handles is kept
as received, never dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from sqlalchemy.orm import Session

from siyu.wecom.crypto import CallbackRejected

MAX_CALLBACK_BYTES = 64 * 1024

Fields = dict[str, Any]


def _parse(xml: bytes | str, what: str) -> Element:
    if len(xml) > MAX_CALLBACK_BYTES:
        raise CallbackRejected("too_large", f"{what} is larger than {MAX_CALLBACK_BYTES} bytes")
    try:
        root = ElementTree.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise CallbackRejected("forbidden_xml", f"{what} uses DTDs or entities: {exc}") from None
    except ElementTree.ParseError as exc:
        raise CallbackRejected("bad_xml", f"{what} is not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise CallbackRejected("bad_xml", f"{what} root element is <{root.tag}>, not <xml>")
    return root


LIST_FIELDS = frozenset({"MemChangeList"})


def _value(element: Element) -> Any:
    children = list(element)
    # WeCom's lists (<MemChangeList><Item>…</Item>…</MemChangeList>) stay lists whatever their
    # length, so a handler never meets a one-member change in another shape.
    if element.tag in LIST_FIELDS or (children and all(c.tag == "Item" for c in children)):
        return [_value(child) for child in children]
    if not children:
        return (element.text or "").strip()
    return {child.tag: _value(child) for child in children}


def fields_of(root: Element) -> Fields:
    return {child.tag: _value(child) for child in root}


@dataclass(frozen=True)
class Envelope:
    to_user: str
    encrypted: str
    agent_id: str


def parse_envelope(body: bytes) -> Envelope:
    fields = fields_of(_parse(body, "callback body"))
    encrypted = fields.get("Encrypt")
    if not isinstance(encrypted, str) or not encrypted:
        raise CallbackRejected("bad_xml", "callback body has no <Encrypt>")
    return Envelope(
        to_user=str(fields.get("ToUserName", "")),
        encrypted=encrypted,
        agent_id=str(fields.get("AgentID", "")),
    )


def parse_message(plain: str) -> Fields:
    return fields_of(_parse(plain.encode(), "decrypted message"))


def dedupe_key(fields: Fields) -> str:
    """WeCom re-sends the same plaintext when it retries; messages carry a MsgId, events are
    identified by their whole content (sender, time, type and ids)."""
    if fields.get("MsgId"):
        basis = f"msg:{fields['MsgId']}"
    else:
        basis = "event:" + json.dumps(fields, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(basis.encode()).hexdigest()


Handler = Callable[[Session, int, Fields], None]
_handlers: dict[tuple[str, str], list[Handler]] = {}


def handles(event: str, change_type: str = "") -> Callable[[Handler], Handler]:
    """Register ``handler(session, tenant_id, fields)`` for an event (and change type)."""

    def register(handler: Handler) -> Handler:
        _handlers.setdefault((event, change_type), []).append(handler)
        return handler

    return register


def unregister(handler: Handler) -> None:
    for registered in _handlers.values():
        while handler in registered:
            registered.remove(handler)


def handlers_for(event: str, change_type: str) -> list[Handler]:
    return _handlers.get((event, change_type), []) + (
        _handlers.get((event, ""), []) if change_type else []
    )
