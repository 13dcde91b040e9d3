"""One running sandbox: its database, clock, faults, outbound HTTP client and settings."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session

from siyu.db import Database
from siyu.sandbox.core import Clock, FaultBox
from siyu.sandbox.state import ApiCall


@dataclass
class Runtime:
    database: Database
    public_url: str  # where QR-code URLs and the sandbox's own links point
    clock: Clock = field(default_factory=Clock)
    faults: FaultBox = field(default_factory=FaultBox)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=5.0))
    token_ttl: int = 7200
    welcome_code_ttl: int = 20
    media_ttl: int = 3 * 24 * 3600
    transfer_wait: int = 24 * 3600
    callback_attempts: int = 3
    callback_timeout: float = 5.0
    # Wall-clock seconds before the 2nd and 3rd attempt (the worker honours them; the
    # synchronous ``deliver_pending`` of tests can skip them).
    callback_retry_delays: tuple[float, ...] = (1.0, 3.0)

    def __post_init__(self) -> None:
        self._calls: Counter[str] = Counter()
        self._calls_lock = threading.Lock()

    def count_call(self, path: str) -> None:
        """Count an API call in memory (a database write per call would slow every call down)."""
        with self._calls_lock:
            self._calls[path] += 1

    def flush_calls(self, session: Session) -> None:
        """Add the counted calls to the stored counters (on inspection and at shutdown)."""
        with self._calls_lock:
            calls, self._calls = self._calls, Counter()
        for path, count in calls.items():
            updated = session.execute(
                update(ApiCall).where(ApiCall.path == path).values(count=ApiCall.count + count)
            )
            if updated.rowcount == 0:  # type: ignore[attr-defined]
                session.add(ApiCall(path=path, count=count))
                session.flush()
