"""The WeCom API's plumbing: a handler table per area, the call context, request helpers.

Each area module (contacts, tags, …) fills a :class:`Registry`; the server mounts one dispatcher
for ``/cgi-bin/{path}`` that authenticates the token, applies faults and calls the handler, so
no endpoint can forget the token check.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from siyu.sandbox.core import WeComError
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import App, Corp, Effect, ExternalContact, Follow, User

Method = Literal["GET", "POST"]
RowT = TypeVar("RowT")
Json = dict[str, Any]


@dataclass
class Ctx:
    """One authenticated WeCom API call."""

    session: Session
    runtime: Runtime
    corp: Corp
    app: App
    ip: str
    query: dict[str, str]
    body: Json
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def now(self) -> int:
        return self.runtime.clock.ts()

    @property
    def corp_id(self) -> str:
        return self.corp.corp_id

    def effect(self, kind: str, payload: Json) -> None:
        self.session.add(Effect(corp_id=self.corp_id, kind=kind, at=self.now, payload=payload))


Handler = Callable[[Ctx], Json]


@dataclass(frozen=True)
class Endpoint:
    method: Method
    handler: Handler
    customer_contact: bool  # needs the 客户联系 permission (48002 otherwise)


class Registry:
    """The endpoints of one area, by path under ``/cgi-bin/``."""

    def __init__(self) -> None:
        self.endpoints: dict[str, Endpoint] = {}

    def route(self, method: Method, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.endpoints[path] = Endpoint(
                method, handler, customer_contact=path.startswith("externalcontact/")
            )
            return handler

        return register

    def get(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("GET", path)

    def post(self, path: str) -> Callable[[Handler], Handler]:
        return self.route("POST", path)


# --- request helpers ------------------------------------------------------------------------


def text(data: Json, key: str, *, required: bool = False, max_len: int | None = None) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise WeComError(40058, f"{key} missing")
        return ""
    if not isinstance(value, str | int):
        raise WeComError(40058, f"invalid {key}")
    result = str(value)
    if max_len is not None and len(result) > max_len:
        raise WeComError(40058, f"{key} exceed max length {max_len}")
    return result


def integer(data: Json, key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if value is None or value == "":
        if default is None:
            raise WeComError(40058, f"{key} missing")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise WeComError(40058, f"invalid {key}") from None


def str_list(data: Json, key: str) -> list[str]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise WeComError(40058, f"invalid {key}")
    return [str(v) for v in value]


def page_limit(data: Json, *, default: int, maximum: int) -> int:
    """WeCom's ``limit``: absent or 0 means the default, over the maximum is clamped."""
    limit = integer(data, "limit", default) or default
    return max(1, min(limit, maximum))


def cursor_page(
    items: list[Any], data: Json, *, default: int, maximum: int
) -> tuple[list[Any], str]:
    """Slice a stably ordered list with WeCom's opaque cursor; over-max limits are clamped.

    For small lists only (it loads them whole); large tables page with :func:`keyset_page`."""
    limit = page_limit(data, default=default, maximum=maximum)
    cursor = str(data.get("cursor") or "")
    start = 0
    if cursor:
        try:
            start = int(cursor.removeprefix("c"), 16)
        except ValueError:
            raise WeComError(40058, "invalid cursor") from None
    page = items[start : start + limit]
    following = start + limit
    return page, (f"c{following:08x}" if following < len(items) else "")


# A keyset cursor: the last returned row's id, tagged and base64url-encoded so that it reads as
# opaque as WeCom's and a string from elsewhere (an offset cursor, garbage) is told apart.
_KEYSET_TAG = b"sbk1"
_KEYSET_SIZE = len(_KEYSET_TAG) + 8


def encode_keyset_cursor(last_id: int) -> str:
    raw = _KEYSET_TAG + last_id.to_bytes(8, "big")
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_keyset_cursor(cursor: str) -> int:
    """The id after which the next page starts (0 for no cursor); 40058 when malformed."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except ValueError:  # binascii.Error included
        raw = b""
    if len(raw) != _KEYSET_SIZE or not raw.startswith(_KEYSET_TAG):
        raise WeComError(40058, "invalid cursor")
    return int.from_bytes(raw[len(_KEYSET_TAG) :], "big")


def keyset_page(
    session: Session,
    model: type[RowT],
    key: InstrumentedAttribute[int],
    where: Sequence[ColumnElement[bool]],
    data: Json,
    *,
    default: int,
    maximum: int,
) -> tuple[list[RowT], str]:
    """One page of ``model`` rows matching ``where`` in ``key`` order after the cursor's row:
    ``… AND key > ? ORDER BY key LIMIT n+1``, so no page reads the rows before the cursor.

    ``key`` is the rows' integer primary key, never reused; the cursor carries the last one
    returned and ``next_cursor`` is empty on the last page, as WeCom's is. The page's keys come
    first, from an index ending with the key (no table row is read to choose them), then the
    page's rows by primary key alone."""
    limit = page_limit(data, default=default, maximum=maximum)
    after = decode_keyset_cursor(str(data.get("cursor") or ""))
    keys = list(
        session.scalars(select(key).where(*where, key > after).order_by(key).limit(limit + 1))
    )
    page_keys = keys[:limit]
    rows = (
        list(session.scalars(select(model).where(key.in_(page_keys)).order_by(key)))
        if page_keys
        else []
    )
    return rows, (encode_keyset_cursor(page_keys[-1]) if len(keys) > limit else "")


# --- shared lookups -------------------------------------------------------------------------


def user(ctx: Ctx, userid: str) -> User:
    found = ctx.session.scalar(
        select(User).where(User.corp_id == ctx.corp_id, User.userid == userid)
    )
    if found is None:
        raise WeComError(60111, f"userid not found: {userid}" if userid else None)
    return found


def contact(ctx: Ctx, external_userid: str) -> ExternalContact:
    if not external_userid:
        raise WeComError(41035)
    found = ctx.session.scalar(
        select(ExternalContact).where(
            ExternalContact.corp_id == ctx.corp_id,
            ExternalContact.external_userid == external_userid,
        )
    )
    if found is None:
        raise WeComError(40096)
    return found


def follow(session: Session, corp_id: str, userid: str, external_userid: str) -> Follow | None:
    return session.scalar(
        select(Follow).where(
            Follow.corp_id == corp_id,
            Follow.userid == userid,
            Follow.external_userid == external_userid,
        )
    )


def required_follow(ctx: Ctx, userid: str, external_userid: str) -> Follow:
    found = follow(ctx.session, ctx.corp_id, userid, external_userid)
    if found is None:
        raise WeComError(84061)
    return found
