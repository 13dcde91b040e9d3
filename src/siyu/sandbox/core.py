"""What every part of the sandbox shares: WeCom errors, the movable clock, fault switches, ids."""

from __future__ import annotations

import calendar
import datetime as dt
import fnmatch
import random
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from siyu.sandbox.state import Meta

# WeCom's English errmsg texts for the codes the sandbox produces.
ERROR_TEXTS: dict[int, str] = {
    -1: "system busy",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid userid",
    40013: "invalid corpid",
    40014: "invalid access_token",
    40058: "invalid Request Parameter",
    40063: "some parameters are empty",
    40068: "invalid tagid",
    40096: "invalid external userid",
    40097: "invalid handover userid",
    40126: "corp tag count exceed limit",
    40128: "transfer customer too frequently",
    40129: "customer is on transfer",
    40130: "handover userid is same as takeover userid",
    40131: "handover user is not follow user",
    41001: "access_token missing",
    41002: "corpid missing",
    41004: "corpsecret missing",
    41035: "external_userid missing",
    41041: "contact way user count exceed limit",
    41046: "msgid missing",
    41047: "invalid msgid",
    41048: "no customer to send",
    41049: "welcome_code missing",
    41050: "invalid welcome_code or welcome_code expired",
    41051: "externaluser has started chatting",
    42001: "access_token expired",
    43002: "require POST method",
    45009: "api freq out of limit",
    45033: "api concurrent out of limit",
    47001: "data format error",
    48002: "api forbidden",
    60020: "not allow to access from your ip",
    60111: "userid not found",
    81017: "too many items to get",
    84061: "not external contact",
    40007: "invalid media_id",
    40004: "invalid media type",
    44001: "empty media data",
    90501: "chat is not external group chat",
    41044: "invalid config_id",
    41055: "group welcome template count exceed limit",
    49008: "chat has been dismissed",
    45001: "exceed file size limit",
}


class WeComError(Exception):
    """A WeCom API error: rendered as ``{"errcode", "errmsg"}`` with HTTP 200, as WeCom does."""

    def __init__(self, errcode: int, text: str | None = None) -> None:
        self.errcode = errcode
        self.text = text or ERROR_TEXTS.get(errcode, "error")
        super().__init__(f"{errcode}: {self.text}")


def errmsg(errcode: int, text: str, ip: str) -> str:
    hint = "".join(secrets.choice(string.digits) for _ in range(25))
    return (
        f"{text}, hint: [{hint}], from ip: {ip}, "
        f"more info at https://open.work.weixin.qq.com/devtool/query?e={errcode}"
    )


def error_body(errcode: int, text: str | None, ip: str) -> dict[str, Any]:
    return {"errcode": errcode, "errmsg": errmsg(errcode, text or ERROR_TEXTS.get(errcode, ""), ip)}


def new_id(prefix: str, length: int = 28, suffix: str = "") -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length)) + suffix


class Clock:
    """Wall time plus an offset that tests move forward; the offset is kept in the database."""

    def __init__(self, base: Callable[[], float] = time.time) -> None:
        self.base = base
        self.offset = 0.0

    def now(self) -> float:
        return self.base() + self.offset

    def ts(self) -> int:
        return int(self.now())

    def load(self, session: Session) -> None:
        row = session.get(Meta, "clock")
        self.offset = float(row.value["offset"]) if row else 0.0

    def advance(self, session: Session, seconds: float) -> None:
        self.offset += seconds
        _save_meta(session, "clock", {"offset": self.offset})


def _save_meta(session: Session, key: str, value: dict[str, Any]) -> None:
    row = session.get(Meta, key)
    if row is None:
        session.add(Meta(key=key, value=value))
    else:
        row.value = value


@dataclass
class InjectedError:
    path: str  # fnmatch pattern over the path after /cgi-bin/, e.g. "externalcontact/*"
    errcode: int
    times: int | None = None  # None: always; N: the next N matching calls
    errmsg: str = ""


@dataclass
class Faults:
    """Switches that make the sandbox misbehave the ways WeCom and networks do."""

    latency_ms: dict[str, int] = field(default_factory=dict)  # path pattern → added latency
    http_5xx_rate: float = 0.0
    errors: list[InjectedError] = field(default_factory=list)
    rate_limit_per_minute: dict[str, int] = field(default_factory=dict)  # path pattern → calls
    duplicate_callbacks: bool = False
    shuffle_callbacks: int = 0  # hold this many callbacks, then release them in random order
    callback_url_down: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "http_5xx_rate": self.http_5xx_rate,
            "errors": [e.__dict__ for e in self.errors],
            "rate_limit_per_minute": self.rate_limit_per_minute,
            "duplicate_callbacks": self.duplicate_callbacks,
            "shuffle_callbacks": self.shuffle_callbacks,
            "callback_url_down": self.callback_url_down,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        return cls(
            latency_ms={str(k): int(v) for k, v in data.get("latency_ms", {}).items()},
            http_5xx_rate=float(data.get("http_5xx_rate", 0.0)),
            errors=[InjectedError(**e) for e in data.get("errors", [])],
            rate_limit_per_minute={
                str(k): int(v) for k, v in data.get("rate_limit_per_minute", {}).items()
            },
            duplicate_callbacks=bool(data.get("duplicate_callbacks", False)),
            shuffle_callbacks=int(data.get("shuffle_callbacks", 0)),
            callback_url_down=bool(data.get("callback_url_down", False)),
        )


class FaultBox:
    """The current faults plus the counters they need, safe across request threads."""

    def __init__(self) -> None:
        self.faults = Faults()
        self._lock = threading.Lock()
        self._calls: dict[tuple[str, int], int] = {}
        self._random = random.Random()  # noqa: S311 - fault injection, not security

    def load(self, session: Session) -> None:
        row = session.get(Meta, "faults")
        self.faults = Faults.from_dict(row.value) if row else Faults()

    def save(self, session: Session, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._calls.clear()
        _save_meta(session, "faults", faults.to_dict())

    def latency(self, path: str) -> float:
        return (
            max(
                (
                    ms
                    for pattern, ms in self.faults.latency_ms.items()
                    if fnmatch.fnmatch(path, pattern)
                ),
                default=0,
            )
            / 1000
        )

    def server_error(self) -> bool:
        return self.faults.http_5xx_rate > 0 and self._random.random() < self.faults.http_5xx_rate

    def injected(self, path: str) -> InjectedError | None:
        with self._lock:
            for injected in self.faults.errors:
                if not fnmatch.fnmatch(path, injected.path):
                    continue
                if injected.times is None:
                    return injected
                if injected.times > 0:
                    injected.times -= 1
                    return injected
        return None

    def rate_limited(self, path: str, now: float) -> bool:
        limits = [
            limit
            for pattern, limit in self.faults.rate_limit_per_minute.items()
            if fnmatch.fnmatch(path, pattern)
        ]
        if not limits:
            return False
        minute = int(now // 60)
        with self._lock:
            count = self._calls.get((path, minute), 0) + 1
            self._calls[(path, minute)] = count
        return count > min(limits)


def receive_limit(policy: str, when: int) -> tuple[int, int]:
    """(max messages, window start) for a customer's mass-message receive limit at ``when``."""
    day = dt.datetime.fromtimestamp(when, dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=8)))
    midnight = day.replace(hour=0, minute=0, second=0, microsecond=0)
    if policy == "day1":
        return 1, int(midnight.timestamp())
    if policy == "week7":
        return 7, int((midnight - dt.timedelta(days=midnight.weekday())).timestamp())
    month_start = int(midnight.replace(day=1).timestamp())
    if policy == "legacy4":
        return 4, month_start
    return calendar.monthrange(day.year, day.month)[1], month_start
