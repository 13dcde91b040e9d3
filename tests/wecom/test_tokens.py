"""One token fetch per expiry, however many workers ask at once.

Each thread has its own TokenStore (as each worker process would) and its own connections; only
the ``wecom_tokens`` row is shared, so this is the cross-process case, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete

from siyu.db import Database
from siyu.tenants.models import Tenant
from siyu.wecom.models import WeComToken
from siyu.wecom.tokens import TokenStore
from tests.factories import make_tenant

WORKERS = 8


@pytest.fixture
def shared(engine: Engine) -> Iterator[tuple[Database, int]]:
    """A database whose commits are real, as between processes; cleaned up afterwards."""
    database = Database(engine)
    with database.transaction() as session:
        tenant_id = make_tenant(session, "tokens").id
    yield database, tenant_id
    with database.transaction() as session:
        session.execute(delete(WeComToken).where(WeComToken.tenant_id == tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == tenant_id))


class CountingFetch:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self) -> tuple[str, int]:
        with self._lock:
            self.calls += 1
            number = self.calls
        time.sleep(0.2)  # WeCom takes its time; everyone else must wait, not fetch too
        return f"token-{number}", 7200


def _all_at_once(stores: list[TokenStore], fetch: CountingFetch, stale: str | None) -> list[str]:
    barrier = threading.Barrier(len(stores))
    results: list[str] = [""] * len(stores)
    failures: list[BaseException] = []

    def work(index: int) -> None:
        try:
            barrier.wait()
            if stale is not None:
                stores[index].invalidate("wwcorp", "secret", stale)
            results[index] = stores[index].get("wwcorp", "secret", fetch)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    return results


def test_many_workers_share_one_token_fetch(shared: tuple[Database, int]) -> None:
    database, tenant_id = shared
    stores = [TokenStore(database, tenant_id) for _ in range(WORKERS)]
    fetch = CountingFetch()
    assert _all_at_once(stores, fetch, stale=None) == ["token-1"] * WORKERS
    assert fetch.calls == 1


def test_expiry_seen_by_every_worker_is_refreshed_once(shared: tuple[Database, int]) -> None:
    database, tenant_id = shared
    stores = [TokenStore(database, tenant_id) for _ in range(WORKERS)]
    fetch = CountingFetch()
    _all_at_once(stores, fetch, stale=None)
    # WeCom says token-1 is expired to all of them at once (42001): one refresh, not eight.
    assert _all_at_once(stores, fetch, stale="token-1") == ["token-2"] * WORKERS
    assert fetch.calls == 2


def test_an_old_token_reported_late_does_not_throw_away_the_new_one(
    shared: tuple[Database, int],
) -> None:
    database, tenant_id = shared
    first, late = TokenStore(database, tenant_id), TokenStore(database, tenant_id)
    fetch = CountingFetch()
    assert first.get("wwcorp", "secret", fetch) == "token-1"
    first.invalidate("wwcorp", "secret", "token-1")
    assert first.get("wwcorp", "secret", fetch) == "token-2"
    late.invalidate("wwcorp", "secret", "token-1")  # a worker that saw the old token fail
    assert late.get("wwcorp", "secret", fetch) == "token-2"
    assert fetch.calls == 2


def test_tokens_are_sealed_at_rest(shared: tuple[Database, int]) -> None:
    database, tenant_id = shared
    TokenStore(database, tenant_id).get("wwcorp", "secret", lambda: ("plain-token", 7200))
    with database.factory() as session:
        row = session.query(WeComToken).filter_by(tenant_id=tenant_id).one()
        assert row.token_sealed is not None
        assert "plain-token" not in row.token_sealed


def test_a_token_fetch_holds_no_database_lock(shared: tuple[Database, int]) -> None:
    """While gettoken is under way, other work writes to the database freely (on SQLite a
    transaction held across the call would block every writer)."""
    database, tenant_id = shared
    wrote: list[float] = []

    def slow_fetch() -> tuple[str, int]:
        started = time.monotonic()
        with database.transaction() as session:  # someone else writing meanwhile
            make_tenant(session, "writer")
        wrote.append(time.monotonic() - started)
        return "token-x", 7200

    assert TokenStore(database, tenant_id).get("wwcorp", "secret", slow_fetch) == "token-x"
    assert wrote
    assert wrote[0] < 1.0
    with database.transaction() as session:
        session.execute(delete(Tenant).where(Tenant.name.startswith("writer")))


def test_a_failed_fetch_releases_the_lease_for_the_next_try(shared: tuple[Database, int]) -> None:
    database, tenant_id = shared
    store = TokenStore(database, tenant_id)

    def broken() -> tuple[str, int]:
        raise ConnectionError("WeCom unreachable")

    with pytest.raises(ConnectionError):
        store.get("wwcorp", "secret", broken)
    started = time.monotonic()
    assert store.get("wwcorp", "secret", lambda: ("token-after", 7200)) == "token-after"
    assert time.monotonic() - started < 1.0  # no waiting out a stale lease
