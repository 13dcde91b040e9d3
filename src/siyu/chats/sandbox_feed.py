"""The sandbox's chat-archive feed, read over HTTP: the demo's and the tests' archive.

The sandbox serves ``POST /sandbox/msgaudit/chatdata {corpid, seq, limit}`` with GetChatData's
cursor semantics; its entries carry the message already decrypted (there is no SDK to decrypt
with), as ``{seq, msgid, publickey_ver, message: {msgid, action, from, tolist, …}}``.
"""

from __future__ import annotations

from typing import Any

import httpx

from siyu.chats.archive import ArchivedMessage, MalformedMessage, check_limit, message_from
from siyu.chats.errors import ArchiveFailed

FEED_PATH = "/sandbox/msgaudit/chatdata"


class SandboxArchive:
    def __init__(self, corp_id: str, base_url: str, http: httpx.Client) -> None:
        self.corp_id = corp_id
        self.base_url = base_url.rstrip("/")
        self.http = http

    def fetch(self, seq: int, limit: int) -> list[ArchivedMessage]:
        check_limit(limit)
        try:
            response = self.http.post(
                self.base_url + FEED_PATH,
                json={"corpid": self.corp_id, "seq": seq, "limit": limit},
            )
            answer: Any = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ArchiveFailed(reason=f"the sandbox feed did not answer: {exc}") from None
        if not isinstance(answer, dict) or answer.get("errcode") != 0:
            raise ArchiveFailed(reason=f"the sandbox feed refused: {answer}")
        messages = []
        try:
            for entry in answer.get("chatdata") or []:
                message = entry.get("message")
                if not isinstance(message, dict):
                    raise MalformedMessage(f"entry {entry.get('seq')} has no message")
                messages.append(message_from(int(entry["seq"]), str(entry["msgid"]), message))
        except (MalformedMessage, KeyError, TypeError, ValueError) as exc:
            raise ArchiveFailed(reason=f"the sandbox feed sent a bad entry: {exc}") from None
        return messages
