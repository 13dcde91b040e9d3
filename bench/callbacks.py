"""bench/callbacks — WeCom callbacks into Siyu over loopback, end to end.

Signed, encrypted callbacks in WeCom's wire format (the sandbox's envelope) are posted to a real
Siyu server (Uvicorn) on SQLite and on PostgreSQL. Two pipelines on the same server and database:

- **siyu**: verify → decrypt → store the event (unique dedupe key) and its job row → commit →
  answer ``success``; processing happens later in a worker.
- **naive**: the same, but the event is processed before answering — the new friend is fetched
  from WeCom (the sandbox stands in for it) and handled inline, as the peers' controllers do.

    python -m bench.callbacks [--seconds 10] [--connections 32] [--workers 2]

The load comes from ``wrk`` (Debian package; a Python client could not keep up) replaying
unique, freshly signed callbacks. Prints callbacks per second, p50/p99 time to answer, and the
ratio against the naive pipeline.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from siyu import migrate
from siyu.auth.principal import system_principal
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.tenants import repository as tenants
from siyu.wecom import service
from siyu.wecom.crypto import CallbackCrypto
from siyu.wecom.schemas_api import ConnectionIn

ROOT = Path(__file__).resolve().parents[1]
console = Console()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def postgres_url() -> str:
    sys.path.insert(0, str(ROOT))
    from tests.pgdb import fresh_database

    return fresh_database("siyu_bench_callbacks")


@dataclass
class Result:
    database: str
    pipeline: str
    load: Load
    stored: int

    @property
    def per_second(self) -> float:
        return self.load.requests / self.load.seconds


def add_event(n: int, external_userid: str, now: int) -> str:
    staff = DEMO_CORP.staff[n % len(DEMO_CORP.staff)].userid
    return (
        f"<xml><ToUserName><![CDATA[{DEMO_CORP.corp_id}]]></ToUserName>"
        "<FromUserName><![CDATA[sys]]></FromUserName>"
        f"<CreateTime>{now}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        "<Event><![CDATA[change_external_contact]]></Event>"
        "<ChangeType><![CDATA[add_external_contact]]></ChangeType>"
        f"<UserID><![CDATA[{staff}]]></UserID>"
        f"<ExternalUserID><![CDATA[{external_userid}]]></ExternalUserID>"
        f"<State><![CDATA[bench-{n}]]></State><WelcomeCode><![CDATA[W{n}]]></WelcomeCode></xml>"
    )


@dataclass
class Load:
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float


def drive(
    base: str,
    target: str,
    payloads: list[tuple[dict[str, str], str]],
    args: argparse.Namespace,
    workdir: Path,
) -> Load:
    """Replay the signed callbacks to ``base + target`` with wrk for ``args.seconds``; each is
    sent at most once."""
    script_input = workdir / "callbacks.tsv"
    with script_input.open("w") as out:
        for params, body in payloads:
            query = "&".join(f"{k}={v}" for k, v in params.items())
            out.write(f"{target}?{query}\t{body}\n")
    command = [
        "wrk",
        "-t1",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
        "-s",
        str(Path(__file__).with_name("callbacks.lua")),
        base,
        "--",
        str(script_input),
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    line = next(row for row in output.splitlines() if row.startswith("RESULT "))
    requests, errors, micros, p50, p99, _max = line.split()[1:]
    return Load(int(requests), int(errors), int(micros) / 1e6, float(p50), float(p99))


def workers(args: argparse.Namespace, database: str) -> int:
    return args.workers or (1 if database == "sqlite" else 2)


def run_database(label: str, url: str, args: argparse.Namespace, workdir: Path) -> list[Result]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SIYU_")},
        "SIYU_VAR_DIR": str(workdir / label),
        "SIYU_DATABASE_URL": url,
        "SIYU_LOG_LEVEL": "warning",
    }
    Path(env["SIYU_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    if label == "postgresql":
        env["SIYU_REDIS_URL"] = "redis://127.0.0.1:6379/14"
    sandbox_port, siyu_port = free_port(), free_port()
    env["SIYU_WECOM_BASE_URL"] = f"http://127.0.0.1:{sandbox_port}"
    env["SIYU_SANDBOX_DATABASE_URL"] = f"sqlite:///{workdir / label / 'sandbox.db'}"
    os.environ.update({k: v for k, v in env.items() if k.startswith("SIYU_")})
    from siyu.config import get_settings

    get_settings.cache_clear()
    migrate.upgrade(url)
    database = Database.from_url(url)
    with database.transaction() as session:
        tenant = tenants.create(session, name="bench", slug=f"bench-{label}")
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
        key = connection.callback_key
    crypto = CallbackCrypto(DEMO_CORP.callback_token, DEMO_CORP.encoding_aes_key, DEMO_CORP.corp_id)
    customer = DEMO_CORP.customers[0].external_userid

    uvicorn = [
        sys.executable,
        "-m",
        "uvicorn",
        "--host",
        "127.0.0.1",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    sandbox = subprocess.Popen(  # noqa: S603
        [
            *uvicorn,
            "--port",
            str(sandbox_port),
            "--factory",
            "siyu.sandbox.server:create_sandbox_app",
        ],
        env=env,
        cwd=ROOT,
    )
    siyu = subprocess.Popen(  # noqa: S603
        [
            *uvicorn,
            "--port",
            str(siyu_port),
            "--workers",
            str(workers(args, label)),
            "bench.naive_app:app",
        ],
        env=env,
        cwd=ROOT,
    )
    results = []
    try:
        wait_for(f"http://127.0.0.1:{sandbox_port}/cgi-bin/gettoken", sandbox)
        wait_for(f"http://127.0.0.1:{siyu_port}/healthz", siyu)
        before = 0
        for pipeline, path in (("siyu", "/wecom/callback/"), ("naive", "/naive/callback/")):
            offset = 0 if pipeline == "siyu" else 10**7
            now = int(time.time())
            # More unique callbacks than the run can send, so none is a duplicate.
            payloads = [
                crypto.envelope(add_event(offset + n, customer, now), timestamp=str(now))
                for n in range(args.budget)
            ]
            load = drive(f"http://127.0.0.1:{siyu_port}", f"{path}{key}", payloads, args, workdir)
            with database.factory() as session:
                from sqlalchemy import func, select

                from siyu.wecom.models import WeComEvent

                stored = (
                    session.scalar(
                        select(func.count())
                        .select_from(WeComEvent)
                        .where(WeComEvent.tenant_id == tenant.id)
                    )
                    or 0
                )
            results.append(Result(label, pipeline, load, stored - before))
            before = stored
            console.print(f"  {label} {pipeline}: {load.requests / load.seconds:,.0f}/s")
    finally:
        for process in (siyu, sandbox):
            process.terminate()
            process.wait(timeout=20)
        database.engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each run")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--workers",
        type=int,
        default=0,
        help="Uvicorn worker processes (default: 1 on SQLite, as embedded; 2 on PostgreSQL)",
    )
    parser.add_argument("--budget", type=int, default=40_000, help="unique callbacks prepared")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/callbacks needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="siyu-bench-"))
    targets = []
    if args.only in (None, "sqlite"):
        targets.append(("sqlite", f"sqlite:///{workdir / 'siyu.db'}"))
    if args.only in (None, "postgresql"):
        pg = postgres_url()
        if pg:
            targets.append(("postgresql", pg))
        else:
            console.print("[yellow]PostgreSQL not reachable on 127.0.0.1:5432: skipped[/]")
    results: list[Result] = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("databases", total=len(targets))
        for label, url in targets:
            results += run_database(label, url, args, workdir)
            progress.advance(task)

    table = Table(
        title=f"WeCom callbacks, {args.seconds}s per run, {args.connections} connections, "
        f"Uvicorn workers: SQLite {workers(args, 'sqlite')}, PostgreSQL "
        f"{workers(args, 'postgresql')}; {os.cpu_count()} cores, "
        f"{platform.python_implementation()} {platform.python_version()}"
    )
    columns = (
        "database",
        "pipeline",
        "answered",
        "errors",
        "stored",
        "callbacks/s",
        "p50 ms",
        "p99 ms",
        "vs naive",
    )
    for column in columns:
        table.add_column(column, justify="right")
    for result in results:
        naive = next(r for r in results if r.database == result.database and r.pipeline == "naive")
        ratio = result.per_second / naive.per_second
        table.add_row(
            result.database,
            result.pipeline,
            str(result.load.requests),
            str(result.load.errors),
            str(result.stored),
            f"{result.per_second:,.0f}",
            f"{result.load.p50_ms:.1f}",
            f"{result.load.p99_ms:.1f}",
            f"{ratio:.1f}×" if result.pipeline == "siyu" else "1.0×",
        )
    console.print(table)


if __name__ == "__main__":
    main()
