"""Access tokens shared across processes, fetched once per expiry.

The token of a (corp, secret) lives in one ``wecom_tokens`` row. A process that needs a fresh token
locks that row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write lock), looks again — another
process may have just refreshed it — and only then calls ``gettoken``. Within a process a lock per
key keeps threads from queueing on the database, and a memory copy saves the read on every call.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.vault import seal, unseal
from siyu.wecom.models import WeComToken

# Refresh a little before WeCom's expiry, so a token never dies mid-request.
EXPIRY_MARGIN = dt.timedelta(minutes=5)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

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
            if cached is not None and self._fresh(cached):
                return cached.token
            with self.database.transaction() as session:
                row = self._locked_row(session, key)
                if row.token_sealed and self._fresh(_Cached("", row.expires_at)):
                    cached = _Cached(unseal(row.token_sealed), row.expires_at)
                else:
                    # The HTTP call happens while the row is locked: every other process that
                    # wants this token waits here and then reads the new one.
                    token, expires_in = fetch()
                    now = utcnow()
                    cached = _Cached(token, now + dt.timedelta(seconds=expires_in))
                    row.token_sealed = seal(token)
                    row.token_hash = _token_hash(token)
                    row.expires_at = cached.expires_at
                    row.fetched_at = now
                    row.fetch_count += 1
            self._memory[key] = cached
            return cached.token

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

    def _locked_row(self, session: Session, key: str) -> WeComToken:
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        session.execute(
            insert(WeComToken)
            .values(tenant_id=self.tenant_id, cache_key=key, expires_at=EPOCH, fetch_count=0)
            .on_conflict_do_nothing(index_elements=["cache_key"])
        )
        row = session.scalar(
            select(WeComToken)
            .where(WeComToken.cache_key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert row is not None
        return row
