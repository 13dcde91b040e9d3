"""Test fixtures: a database built by the real migrations, one rolled-back transaction per test.

The suite runs on SQLite by default and on PostgreSQL when ``SIYU_TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_var_dir = tempfile.mkdtemp(prefix="siyu-test-")
os.environ["SIYU_VAR_DIR"] = _var_dir
os.environ["SIYU_JOBS_BACKEND"] = "memory"
os.environ.setdefault("SIYU_ENV", "dev")

import pytest  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, delete, select, text  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from siyu import app as siyu_app  # noqa: E402
from siyu import (  # noqa: E402
    demo,
    jobs,
    migrate,
)
from siyu.app import create_app  # noqa: E402
from siyu.config import Settings, get_settings  # noqa: E402
from siyu.db import Database, make_engine, set_database, utcnow  # noqa: E402
from siyu.jobs import Job  # noqa: E402
from siyu.sandbox.demo import DEMO_CORP  # noqa: E402
from siyu.sandbox.server import create_sandbox_app  # noqa: E402
from siyu.segments import live as segments_live  # noqa: E402
from siyu.wecom import service  # noqa: E402
from siyu.wecom.intake import CallbackIntake  # noqa: E402
from siyu.wecom.models import WeComConnection  # noqa: E402
from tests.helpers import login  # noqa: E402

TEST_DATABASE_URL = os.environ.get("SIYU_TEST_DATABASE_URL", "")

# As the worker does: every job kind and every listener of another domain's hooks (an add-friend
# task completing on a new friendship) registered, whichever test applies customers first.
jobs.load_task_modules()


def _database_url() -> str:
    return TEST_DATABASE_URL or f"sqlite:///{Path(_var_dir) / 'test.db'}"


@pytest.fixture(scope="session", autouse=True)
def quick_password_hashing() -> Iterator[None]:
    """Argon2 with its production cost takes a tenth of a second a hash, and every sign-in and
    seeded member pays it: tests hash with the lowest cost instead (the hashes still verify
    the same way, their parameters travel with them)."""
    from argon2 import PasswordHasher

    from siyu.auth import passwords

    production = passwords._hasher
    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    passwords._hasher = production


@pytest.fixture(scope="session")
def engine() -> Iterator[Engine]:
    url = _database_url()
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    with engine.begin() as connection:
        migrate.upgrade(connection=connection)
    yield engine
    engine.dispose()


@pytest.fixture
def database(engine: Engine) -> Iterator[Database]:
    """Every session of this test joins one outer transaction, rolled back at the end."""
    connection = engine.connect()
    outer = connection.begin()
    factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    database = Database(engine, factory)
    set_database(database)
    jobs.huey.flush()
    # Audience indexes held from another test's (rolled-back) data would answer for this one.
    segments_live.forget()
    yield database
    set_database(None)
    jobs.huey.flush()
    outer.rollback()
    connection.close()


@pytest.fixture
def session(database: Database) -> Iterator[Session]:
    with database.factory() as session:
        yield session


@pytest.fixture
def settings() -> Settings:
    return get_settings()


_APPS: dict[tuple[int, int], FastAPI] = {}


@pytest.fixture
def app_client(database: Database, settings: Settings) -> Iterator[TestClient]:
    """Siyu's API on this test's database. Building the routes takes half a second, so one app
    serves every test with the same settings and routers; each test gives it its database and a
    callback intake of its own."""
    key = (id(settings), id(siyu_app.DOMAIN_ROUTERS))
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(settings, database)
    app.state.database = database
    intake = app.state.intake = CallbackIntake(database)
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        intake.stop()


@pytest.fixture
def drain_jobs(database: Database) -> Callable[[], int]:
    """Run what the queue holds, as a worker would; returns how many wake-ups ran."""

    def drain() -> int:
        ran = 0
        postponed = []
        while (task := jobs.huey.dequeue()) is not None:
            if task.eta is not None and task.eta > utcnow().replace(tzinfo=None):
                postponed.append(task)
                continue
            task.execute()
            ran += 1
        for task in postponed:
            jobs.huey.enqueue(task)
        return ran

    return drain


RunJobs = Callable[..., int]


@pytest.fixture
def run_jobs(database: Database) -> RunJobs:
    """Run due jobs as a worker would, until none is left (or ``rounds`` passes); ``later``
    runs retries whose backoff has not passed yet. Returns how many ran to completion."""

    def run(*kinds: str, later: bool = False, rounds: int = 20) -> int:
        done = 0
        for _ in range(rounds):
            with database.factory() as session:
                query = select(Job.id).where(Job.state.in_([jobs.PENDING])).order_by(Job.id)
                if kinds:
                    query = query.where(Job.kind.in_(kinds))
                ids = list(session.scalars(query))
            if not ids:
                break
            now = utcnow() + (dt.timedelta(hours=1) if later else dt.timedelta(0))
            ran = [jobs.run_job(database, job_id, now=now) for job_id in ids]
            done += sum(ran)
            if not any(ran) and not later:
                break
        return done

    return run


# --- Siyu wired to the WeCom sandbox, in process -------------------------------------------

SANDBOX = "http://sandbox.test"
REACH_DEMO_JOBS = ("broadcasts.demo", "invitations.demo", "moments.demo", "scripts.demo")
PASSWORD = "demo-password-for-tests"


@dataclass
class World:
    siyu: TestClient
    sandbox: TestClient
    connection: WeComConnection

    def sandbox_admin(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        response = self.sandbox.request(method, f"/sandbox{path}", **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 400, response.text
        body: dict[str, object] = response.json()
        return body

    def verify_callback_url(self) -> None:
        """Paste Siyu's callback URL into the sandbox, which verifies it as WeCom does."""
        url = f"http://testserver/wecom/callback/{self.connection.callback_key}"
        answer = self.sandbox_admin(
            "POST", f"/corps/{DEMO_CORP.corp_id}/callback", json={"url": url}
        )
        assert answer["verified"] is True, answer


@pytest.fixture
def world(
    database: Database,
    session: Session,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[World]:
    settings = Settings(wecom_base_url=SANDBOX)
    siyu = TestClient(create_app(settings, database), raise_server_exceptions=False)
    sandbox_app = create_sandbox_app(
        database_url=f"sqlite:///{tmp_path}/sandbox.db", http_client=siyu, public_url=SANDBOX
    )
    with siyu, TestClient(sandbox_app, base_url=SANDBOX) as sandbox:
        monkeypatch.setattr(service, "_shared_http", lambda: sandbox)
        result = demo.seed(session, password=PASSWORD)
        if request.node.get_closest_marker("reach_demo") is None:
            # The demo's broadcasts, Moments, invitations and script runs send through the
            # sandbox whenever a test runs its jobs: only the tests of that demo want them.
            session.execute(delete(Job).where(Job.kind.in_(REACH_DEMO_JOBS)))
        session.commit()
        connection = service.get(session, result.tenant_id)
        assert connection is not None
        login(siyu, demo.DEMO_USERNAME, PASSWORD)
        yield World(siyu, sandbox, connection)
