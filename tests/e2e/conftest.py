"""A real Siyu server (Uvicorn, its own migrated and seeded SQLite database) and Debian's
Chromium driven by Playwright, for tests that look at the console as a person would."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from siyu import demo, jobs, migrate
from siyu.app import CONSOLE_DIST, create_app
from siyu.config import Settings, get_settings
from siyu.db import Database, utcnow
from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.server import create_sandbox_app

CHROMIUM = "/usr/bin/chromium"
# Quiet, offline Chromium: this machine has no internet, so no background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "e2e-demo-password"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-results"


# Browser tests share one demo deployment. These make new friends in it, which the customer
# pages' tests count, or tag its customers by a rule (their timelines gain a line), so they run
# after every other browser test.
RUN_LAST = (
    "test_channel_codes.py",
    "test_add_friend.py",
    "test_keyword_rules.py",
    "test_behaviour_rules.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
    items.sort(key=lambda item: Path(str(item.fspath)).name in RUN_LAST)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(app: object, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("a server did not start")
        time.sleep(0.05)
    return server, thread


@dataclass(frozen=True)
class Live:
    url: str
    sandbox_url: str


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Siyu (its own migrated, seeded SQLite file, separate connections as in production) and
    the WeCom sandbox, each on a real loopback port, talking to each other over HTTP."""
    if not (CONSOLE_DIST / "index.html").is_file():
        pytest.fail("the console is not built: run `make build` (npm ci && vite build)")
    workdir = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{workdir / 'siyu.db'}"
    migrate.upgrade(url)
    database = Database.from_url(url)
    with database.transaction() as session:
        demo.seed(session, password=DEMO_PASSWORD)
    port, sandbox_port = _free_port(), _free_port()
    sandbox_url = f"http://127.0.0.1:{sandbox_port}"
    # Jobs read the process settings: point them at the sandbox too, as `siyu up` does.
    os.environ["SIYU_WECOM_BASE_URL"] = sandbox_url
    get_settings.cache_clear()
    settings = Settings(port=port, wecom_base_url=sandbox_url)
    sandbox_app = create_sandbox_app(
        settings,
        database_url=f"sqlite:///{workdir / 'sandbox.db'}",
        deliver_in_background=True,
        public_url=sandbox_url,
    )
    servers = [
        _serve(sandbox_app, sandbox_port),
        _serve(create_app(settings, database), port),
    ]
    stop = threading.Event()
    worker = threading.Thread(target=_work, args=(database, stop), daemon=True)
    worker.start()
    yield Live(f"http://127.0.0.1:{port}", sandbox_url)
    stop.set()
    worker.join(timeout=10)
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)
    database.engine.dispose()
    del os.environ["SIYU_WECOM_BASE_URL"]
    get_settings.cache_clear()


def _work(database: Database, stop: threading.Event) -> None:
    """The worker of the e2e deployment: runs job rows as they fall due, with the real
    ``run_job`` (the in-memory queue of the test process is not shared with it)."""
    while not stop.is_set():
        with database.factory() as session:
            due = jobs.overdue_ids(session, now=utcnow(), grace=dt.timedelta(0))
        for job_id in due:
            jobs.run_job(database, job_id)
        stop.wait(0.2)


@pytest.fixture(scope="session")
def live_server(live: Live) -> str:
    return live.url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/ensure-chromium.sh")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=live_server, viewport={"width": 1366, "height": 860})
    page = context.new_page()
    yield page
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def verify_callbacks(page: Page, live: Live) -> None:
    """Point WeCom (the sandbox) at Siyu's callback URL, as the admin does in WeCom's console;
    the sandbox verifies it as WeCom does."""
    connection = page.request.get("/api/v1/wecom/connection").json()["connection"]
    verified = httpx.post(
        f"{live.sandbox_url}/sandbox/corps/{DEMO_CORP.corp_id}/callback",
        json={"url": connection["callback"]["url"]},
        timeout=20,
    ).json()
    assert verified["verified"] is True, verified
