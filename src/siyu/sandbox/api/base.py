"""The WeCom API's plumbing: a handler table per area, the call context, request helpers.

Each area module (contacts, tags, …) fills a :class:`Registry`; the server mounts one dispatcher
for ``/cgi-bin/{path}`` that authenticates the token, applies faults and calls the handler, so
no endpoint can forget the token check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox.core import WeComError
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import App, Corp, Effect, ExternalContact, Follow, User

Method = Literal["GET", "POST"]
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


def cursor_page(
    items: list[Any], data: Json, *, default: int, maximum: int
) -> tuple[list[Any], str]:
    """Slice a stably ordered list with WeCom's opaque cursor; over-max limits are clamped."""
    limit = integer(data, "limit", default) or default
    limit = max(1, min(limit, maximum))
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
