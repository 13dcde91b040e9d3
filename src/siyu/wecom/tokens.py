"""Access tokens shared across processes, fetched once per expiry.

The token of a (corp, secret) lives in one ``wecom_tokens`` row. A process that needs a fresh token
claims a short fetch lease on that row with a conditional UPDATE and commits; the others see the
lease and wait for the token to appear. The call to ``gettoken`` holds no transaction (on SQLite a
transaction holds the only write lock). A fetcher that dies leaves a lease that simply expires.
Within a process a lock per key keeps threads off the database, and a memory copy saves the read on
every call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from siyu.db import Database, insert_unless_exists, utcnow
from siyu.vault import seal, unseal
from siyu.wecom.errors import WeComUnavailable
from siyu.wecom.models import WeComToken

# Refresh a little before WeCom's expiry, so a token never dies mid-request.
EXPIRY_MARGIN = dt.timedelta(minutes=5)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# How long a process may take to fetch a token before another one may try.
FETCH_LEASE = dt.timedelta(seconds=30)
WAIT_STEP = 0.05

Fetch = Callable[[], tuple[str, int]]


def cache_key(corp_id: str, secret: str) -> str:
    return hashlib.sha256(f"{corp_id}\x00{secret}".encode()).hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class _Cached:
    token: str
    expires_at: dt.datetime


class TokenStore:
    def __init__(self, database: Database, tenant_id: int) -> None:
        self.database = database
        self.tenant_id = tenant_id
        self._memory: dict[str, _Cached] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, cached: _Cached | None) -> bool:
        return cached is not None and cached.expires_at - EXPIRY_MARGIN > utcnow()

    def get(self, corp_id: str, secret: str, fetch: Fetch) -> str:
        key = cache_key(corp_id, secret)
        cached = self._memory.get(key)
        if cached is not None and self._fresh(cached):
            return cached.token
        with self._lock(key):
            cached = self._memory.get(key)
            if cached is None or not self._fresh(cached):
                cached = self._shared(key, fetch)
                self._memory[key] = cached
            return cached.token

    def _shared(self, key: str, fetch: Fetch) -> _Cached:
        deadline = time.monotonic() + FETCH_LEASE.total_seconds() + 10
        while True:
            with self.database.transaction() as session:
                row = self._row(session, key)
                if row.token_sealed and self._fresh(_Cached("", row.expires_at)):
                    return _Cached(unseal(row.token_sealed), row.expires_at)
                now = utcnow()
                # The token's staleness is part of the claim: under READ COMMITTED the UPDATE
                # sees a fetch that finished since the read above (its lease cleared, its
                # token fresh) and must not start another.
                claimed = session.execute(
                    update(WeComToken)
                    .where(
                        WeComToken.cache_key == key,
                        WeComToken.expires_at <= now + EXPIRY_MARGIN,
                        or_(WeComToken.fetching_until.is_(None), WeComToken.fetching_until <= now),
                    )
                    .values(fetching_until=now + FETCH_LEASE)
                ).rowcount  # type: ignore[attr-defined]
            if claimed == 1:
                return self._fetch(key, fetch)
            if time.monotonic() > deadline:
                raise WeComUnavailable(endpoint="gettoken", reason="the token fetch never finished")
            time.sleep(WAIT_STEP)  # another process is fetching: its token is coming

    def _fetch(self, key: str, fetch: Fetch) -> _Cached:
        try:
            token, expires_in = fetch()
        except BaseException:
            with self.database.transaction() as session:
                session.execute(
                    update(WeComToken)
                    .where(WeComToken.cache_key == key)
                    .values(fetching_until=None)
                )
            raise
        now = utcnow()
        cached = _Cached(token, now + dt.timedelta(seconds=expires_in))
        with self.database.transaction() as session:
            session.execute(
                update(WeComToken)
                .where(WeComToken.cache_key == key)
                .values(
                    token_sealed=seal(token),
                    token_hash=_token_hash(token),
                    expires_at=cached.expires_at,
                    fetched_at=now,
                    fetch_count=WeComToken.fetch_count + 1,
                    fetching_until=None,
                )
            )
        return cached

    def invalidate(self, corp_id: str, secret: str, stale_token: str) -> None:
        """Forget ``stale_token`` — only if it is still the current one (compare and set), so a
        token another process already renewed is not thrown away."""
        key = cache_key(corp_id, secret)
        with self._lock(key):
            cached = self._memory.get(key)
            if cached is not None and cached.token == stale_token:
                del self._memory[key]
            with self.database.transaction() as session:
                session.execute(
                    update(WeComToken)
                    .where(
                        WeComToken.cache_key == key,
                        WeComToken.token_hash == _token_hash(stale_token),
                    )
                    .values(expires_at=EPOCH)
                )

    def _row(self, session: Session, key: str) -> WeComToken:
        insert_unless_exists(
            session,
            WeComToken,
            {"tenant_id": self.tenant_id, "cache_key": key, "expires_at": EPOCH, "fetch_count": 0},
            ["cache_key"],
        )
        row = session.scalar(
            select(WeComToken)
            .where(WeComToken.cache_key == key)
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row
