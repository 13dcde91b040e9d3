"""bench/acquisition — a burst of scans of one channel code; how fast new friends are greeted.

    python -m bench.acquisition [--scans 10000] [--seconds 60] [--naive-scans 2000]
                                [--workers 2] [--threads 4]

A real sandbox server (its own SQLite; four callback senders, as WeCom sends concurrently) plays
the customers: ``--scans`` scans of a channel code spread evenly over ``--seconds``. Each scan
makes WeCom's ``add_external_contact`` callback with a welcome code, which WeCom accepts for 20
seconds. Siyu (Uvicorn, PostgreSQL, Redis-woken workers: ``--workers`` processes of ``--threads``
threads) stores the callback, reads the customer, credits and tags them and sends the welcome.

Measured, in Siyu's clock: from the moment the callback reached Siyu to the moment WeCom accepted
the welcome, p50/p99/max, and how many welcomes WeCom took (exactly one per new friend, counted
in the sandbox). The alternative, in the same run on a fresh database: the naive pipeline that
does the same work inside the callback request before answering, as the peers do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.callbacks import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
console = Console(stderr=True)
REDIS_DB = 13
SETTLE_TIMEOUT = 240


@dataclass
class Outcome:
    pipeline: str
    scans: int
    seconds: float
    latencies: list[float]
    statuses: dict[str, int]
    wecom_welcomes: int
    duplicates: int
    # Seconds from WeCom (the sandbox) making each add event to Siyu receiving its callback.
    delivery: list[float]

    def pct(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def _env(
    workdir: Path, url: str, sandbox_url: str, sandbox_port: int, siyu_port: int
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIYU_")}
    env |= {
        "SIYU_VAR_DIR": str(workdir),
        "SIYU_DATABASE_URL": url,
        "SIYU_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "SIYU_JOBS_BACKEND": "redis",
        "SIYU_LOG_LEVEL": "warning",
        "SIYU_SANDBOX_PORT": str(sandbox_port),
        "SIYU_SANDBOX_DATABASE_URL": sandbox_url,
        "SIYU_WECOM_BASE_URL": f"http://127.0.0.1:{sandbox_port}",
        "SIYU_PORT": str(siyu_port),
        "SIYU_PUBLIC_URL": f"http://127.0.0.1:{siyu_port}",
    }
    return env


def _setup(url: str) -> tuple[Any, int, str]:
    """A tenant connected to the sandbox's demo corp; its callback key."""
    from siyu import migrate
    from siyu.auth.principal import system_principal
    from siyu.db import Database
    from siyu.sandbox.demo import DEMO_CORP
    from siyu.tenants import repository as tenants
    from siyu.wecom import service
    from siyu.wecom.schemas_api import ConnectionIn

    migrate.upgrade(url)
    database = Database.from_url(url)
    with database.transaction() as session:
        tenant = tenants.create(session, name="bench", slug="bench")
        connection = service.save(
            session,
            system_principal(tenant.id),
            ConnectionIn(
                corp_id=DEMO_CORP.corp_id,
                contact_secret=DEMO_CORP.contact_secret,
                callback_token=DEMO_CORP.callback_token,
                encoding_aes_key=DEMO_CORP.encoding_aes_key,
            ),
        )
        return database, tenant.id, connection.callback_key


def _wait(what: str, check: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.5)


def _code(database: Any, tenant_id: int) -> str:
    """Staff synced, then a channel code over the four demo staff: its config_id once live."""
    from sqlalchemy import func, select

    from siyu import jobs
    from siyu.codes import service as codes
    from siyu.codes.models import ChannelCode
    from siyu.codes.schemas import CodeIn
    from siyu.staff.models import StaffAccount
    from siyu.staff.service import SYNC_JOB

    with database.transaction() as session:
        jobs.submit(session, SYNC_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id)

    def staff() -> bool:
        with database.factory() as session:
            return (session.scalar(select(func.count()).select_from(StaffAccount)) or 0) >= 4

    _wait("the staff sync", staff)
    with database.transaction() as session:
        code = codes.create_code(
            session,
            tenant_id,
            CodeIn.model_validate(
                {
                    "name": "压测活码",
                    "routing": "round_robin",
                    "members": [
                        {"userid": u} for u in ("liwen", "zhangqiang", "wangfang", "chenjie")
                    ],
                    "welcome": {
                        "enabled": True,
                        "text": "{客户昵称}您好，我是{员工姓名}，送您¥1烤串券",
                    },
                }
            ),
            created_by=None,
        )
        code_id = code.id

    def live() -> bool:
        with database.factory() as session:
            row = session.get(ChannelCode, code_id)
            return row is not None and row.status == "live"

    _wait("the channel code to go live", live)
    with database.factory() as session:
        row = session.get(ChannelCode, code_id)
        assert row is not None
        assert row.config_id
        return row.config_id


def _burst(sandbox: str, config_id: str, scans: int, seconds: float, offset: int) -> float:
    """``scans`` scans spread evenly over ``seconds``, from 16 threads."""
    started = time.perf_counter()
    interval = seconds / scans
    threads = 16

    def run(lane: int) -> None:
        with httpx.Client(base_url=sandbox, timeout=30) as client:
            for n in range(lane, scans, threads):
                delay = started + n * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                answer = client.post(
                    "/sandbox/simulate/scan",
                    json={"config_id": config_id, "customer": {"name": f"压测客户{offset + n}"}},
                )
                answer.raise_for_status()

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(run, lane) for lane in range(threads)]:
            future.result()
    return time.perf_counter() - started


def _settle(database: Any, scans: int, label: str) -> None:
    from sqlalchemy import func, select

    from siyu.codes.models import OPEN_WELCOMES, WelcomeSend

    with Progress(
        TextColumn(f"{label} welcomes settled"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("settle", total=scans)
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline:
            with database.factory() as session:
                settled = session.scalar(
                    select(func.count())
                    .select_from(WelcomeSend)
                    .where(WelcomeSend.status.not_in(OPEN_WELCOMES))
                )
            progress.update(task, completed=settled or 0)
            if (settled or 0) >= scans:
                return
            time.sleep(1)
    console.print(f"[red]{label}: not every welcome settled within {SETTLE_TIMEOUT}s")


def _welcome_codes(sandbox_url: str) -> list[str]:
    """The welcome codes of every welcome WeCom (the sandbox) accepted."""
    from sqlalchemy import create_engine, text

    engine = create_engine(sandbox_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT payload FROM sb_effect WHERE kind = 'welcome'")
        ).scalars()
        codes = [
            str(json.loads(p)["welcome_code"] if isinstance(p, str) else p["welcome_code"])
            for p in rows
        ]
    engine.dispose()
    return codes


def _measure(database: Any, sandbox_url: str, label: str, scans: int, seconds: float) -> Outcome:
    from sqlalchemy import func, select

    from siyu.codes.models import WelcomeSend
    from siyu.wecom.models import WeComEvent

    with database.factory() as session:
        events = session.execute(
            select(WeComEvent.fields, WeComEvent.received_at, WeComEvent.create_time).where(
                WeComEvent.change_type == "add_external_contact"
            )
        ).all()
        received = {str(fields.get("WelcomeCode", "")): at for fields, at, _ in events}
        delivery = [at.timestamp() - created for _, at, created in events]
        latencies = [
            (sent - received[code]).total_seconds()
            for code, sent in session.execute(
                select(WelcomeSend.welcome_code, WelcomeSend.sent_at).where(
                    WelcomeSend.sent_at.is_not(None)
                )
            )
            if code in received and sent is not None
        ]
        statuses = dict(
            session.execute(
                select(WelcomeSend.status, func.count()).group_by(WelcomeSend.status)
            ).all()
        )
    codes = _welcome_codes(sandbox_url)
    return Outcome(
        label,
        scans,
        seconds,
        latencies,
        {str(k): int(v) for k, v in statuses.items()},
        len(codes),
        len(codes) - len(set(codes)),
        delivery,
    )


def run_pipeline(label: str, args: argparse.Namespace, scans: int) -> Outcome:
    sys.path.insert(0, str(ROOT))
    from tests.pgdb import fresh_database

    url = fresh_database(f"siyu_bench_acquisition_{label}")
    if not url:
        raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")
    workdir = Path(tempfile.mkdtemp(prefix=f"siyu-bench-acq-{label}-"))
    sandbox_url = f"sqlite:///{workdir / 'sandbox.db'}"
    sandbox_port, siyu_port = free_port(), free_port()
    env = _env(workdir, url, sandbox_url, sandbox_port, siyu_port)
    os.environ.update({k: v for k, v in env.items() if k.startswith("SIYU_")})
    from siyu.config import get_settings

    get_settings.cache_clear()
    import redis

    redis.Redis.from_url(env["SIYU_REDIS_URL"]).flushdb()
    database, tenant_id, key = _setup(url)
    uvicorn = [sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--log-level", "warning"]
    app = "siyu.app:create_app" if label == "siyu" else "bench.naive_app:app"
    factory = ["--factory"] if label == "siyu" else []
    processes = [
        subprocess.Popen(  # noqa: S603
            [
                *uvicorn,
                "--no-access-log",
                "--port",
                str(sandbox_port),
                "--factory",
                "bench.sandbox_app:app",
            ],
            env=env,
            cwd=ROOT,
        ),
        subprocess.Popen(  # noqa: S603
            [*uvicorn, "--no-access-log", "--port", str(siyu_port), *factory, app],
            env=env,
            cwd=ROOT,
        ),
    ]
    # The naive pipeline greets inside the request; workers still do the staff sync and the
    # code's contact way, so both runs have the same helpers.
    processes += [
        subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "siyu", "worker", "--workers", str(args.threads)],
            env=env,
            cwd=ROOT,
        )
        for _ in range(args.workers)
    ]
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    try:
        wait_for(f"{sandbox}/cgi-bin/gettoken", processes[0])
        wait_for(f"http://127.0.0.1:{siyu_port}/healthz", processes[1])
        path = "/wecom/callback/" if label == "siyu" else "/naive-greet/callback/"
        answer = httpx.post(
            f"{sandbox}/sandbox/corps/ww5iyudemo000001/callback",
            json={"url": f"http://127.0.0.1:{siyu_port}{path}{key}"},
            timeout=30,
        ).json()
        if not answer.get("verified"):
            raise SystemExit(f"callback URL not verified: {answer}")
        config_id = _code(database, tenant_id)
        console.print(f"{label}: {scans:,} scans over {args.seconds}s …")
        seconds = _burst(sandbox, config_id, scans, args.seconds * scans / args.scans, 0)
        _settle(database, scans, label)
        return _measure(database, sandbox_url, label, scans, seconds)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        database.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="the burst's length")
    parser.add_argument(
        "--naive-scans",
        type=int,
        default=2_000,
        help="scans for the naive pipeline, at the same rate (it cannot keep up for long)",
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    args = parser.parse_args()
    results = [run_pipeline("siyu", args, args.scans)]
    if args.naive_scans:
        results.append(run_pipeline("naive", args, args.naive_scans))
    table = Table(title=f"bench/acquisition — {dt.date.today()} — {platform.node()}")
    for column in (
        "pipeline",
        "scans",
        "burst s",
        "welcomes sent",
        "p50 ms",
        "p99 ms",
        "max ms",
        "over 20 s",
        "WeCom welcomes",
        "duplicates",
        "callbacks in window",
        "delivery p50 s",
        "other outcomes",
    ):
        table.add_column(column, justify="right" if column != "pipeline" else "left")
    for r in results:
        others = ", ".join(f"{k} {v}" for k, v in sorted(r.statuses.items()) if k != "sent")
        table.add_row(
            r.pipeline,
            f"{r.scans:,}",
            f"{r.seconds:.1f}",
            f"{len(r.latencies):,}",
            f"{r.pct(0.5):,.0f}",
            f"{r.pct(0.99):,.0f}",
            f"{max(r.latencies, default=0) * 1000:,.0f}",
            f"{sum(1 for x in r.latencies if x > 20):,}",
            f"{r.wecom_welcomes:,}",
            f"{r.duplicates:,}",
            f"{sum(1 for d in r.delivery if d <= 20):,}",
            f"{sorted(r.delivery)[len(r.delivery) // 2]:.1f}" if r.delivery else "—",
            others or "—",
        )
    Console(width=200).print(table)
    if len(results) == 2 and results[0].latencies and results[1].latencies:
        ratio = results[1].pct(0.99) / results[0].pct(0.99)
        Console().print(f"p99 ratio naive / siyu: {ratio:.1f}×")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
