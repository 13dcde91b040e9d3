"""What Siyu reads from WeCom's chat archive (会话存档), whichever way it is read.

WeCom's ``GetChatData(seq, limit)`` is a cursor: it returns the messages whose ``seq`` is greater
than the one given, at most ``limit`` (≤ 1000) of them, in ``seq`` order. Every source here keeps
exactly those semantics, so the ingest (:mod:`siyu.chats.ingest`) cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

MAX_LIMIT = 1000  # WeCom: GetChatData returns at most 1000 messages per call
SEND, RECALL, SWITCH = "send", "recall", "switch"


@dataclass(frozen=True)
class ArchivedMessage:
    """One archived message as WeCom's decrypted JSON has it (text only for content)."""

    seq: int
    msgid: str
    action: str
    sender: str  # WeCom's ``from``
    tolist: tuple[str, ...] = ()
    roomid: str = ""
    msgtime: int = 0  # milliseconds since the epoch
    msgtype: str = "text"
    text: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)


class ChatArchive(Protocol):
    def fetch(self, seq: int, limit: int) -> list[ArchivedMessage]:
        """Messages with a seq greater than ``seq``, at most ``limit`` (≤ 1000), in seq order."""
        ...


class MalformedMessage(ValueError):
    pass


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValueError(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")


def message_from(seq: int, msgid: str, decrypted: Mapping[str, Any]) -> ArchivedMessage:
    """An :class:`ArchivedMessage` from a ``chatdata`` entry's seq and msgid and its decrypted
    message JSON (``msgid, action, from, tolist, roomid, msgtime, msgtype, text{content}``).
    A ``switch`` message (a member switching enterprises) has ``user`` and ``time`` instead."""
    action = str(decrypted.get("action", SEND))
    tolist = decrypted.get("tolist") or []
    if not isinstance(tolist, list):
        raise MalformedMessage(f"message {msgid}: tolist is not a list")
    text = ""
    body = decrypted.get("text")
    if isinstance(body, Mapping):
        text = str(body.get("content", ""))
    try:
        msgtime = int(decrypted.get("msgtime", decrypted.get("time", 0)) or 0)
    except (TypeError, ValueError):
        raise MalformedMessage(f"message {msgid}: msgtime is not a number") from None
    return ArchivedMessage(
        seq=seq,
        msgid=str(decrypted.get("msgid") or msgid),
        action=action,
        sender=str(decrypted.get("from", decrypted.get("user", ""))),
        tolist=tuple(str(t) for t in tolist),
        roomid=str(decrypted.get("roomid") or ""),
        msgtime=msgtime,
        msgtype=str(decrypted.get("msgtype", "")),
        text=text,
    )
