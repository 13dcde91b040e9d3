"""bench/sync — a full customer sync from WeCom and a large Excel import, against the naive way.

    python -m bench.sync [--customers 1000000] [--staff 5000] [--rows 1000000]
                         [--naive-customers 50000] [--naive-rows 50000]

**Sync**: the sandbox (a real server on loopback, its state bulk-seeded with ``--customers``
customers over ``--staff`` staff) is read by Siyu's ``customers.sync`` job into PostgreSQL:
``batch/get_by_user`` pages of 100 applied in bulk, a transaction per page. The naive way reads
the same pages and stores each customer and friendship with ORM lookups and inserts, a commit per
customer, as the peers' sync loops do.

**Import**: an .xlsx of ``--rows`` customers (phone, name, gender, birthday, city, level, tags)
imported by Siyu (streamed, chunks of 1,000 rows, match by phone hash) against the naive way
(openpyxl's ordinary workbook, a lookup and ORM insert per row, a commit per row).

Every phase runs in its own process on a fresh database, so its peak memory (max RSS) is its own.
The naive phases run on fewer rows (they would take hours otherwise); rates are compared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bench.callbacks import free_port, wait_for

ROOT = Path(__file__).resolve().parents[1]
console = Console(stderr=True)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_postgres(name: str) -> str:
    sys.path.insert(0, str(ROOT))
    from tests.pgdb import fresh_database

    url = fresh_database(name)
    if not url:
        raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")
    return url


def _tenant(url: str) -> tuple[Any, int]:
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
        service.save(
            session,
            system_principal(tenant.id),
            ConnectionIn(corp_id=DEMO_CORP.corp_id, contact_secret=DEMO_CORP.contact_secret),
        )
        return database, tenant.id


# --- phases (each in its own process) ---------------------------------------------------------


def phase_siyu_sync(url: str, sandbox_url: str, _limit: int) -> dict[str, Any]:
    from sqlalchemy import select

    from siyu import jobs
    from siyu.customers import service
    from siyu.customers.models import CustomerSyncRun

    database, tenant_id = _tenant(url)
    jobs.load_task_modules()
    with database.transaction() as session:
        run = service.start_sync(session, tenant_id)
        run_id = run.id
        job_id = session.scalar(
            select(jobs.Job.id).where(jobs.Job.key == f"customer-sync:{run_id}")
        )
    done = threading.Event()

    def watch() -> None:
        with Progress(
            TextColumn("siyu sync"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("sync", total=None)
            while not done.wait(1.0):
                with database.factory() as session:
                    stored = session.get(CustomerSyncRun, run_id)
                    if stored is not None:
                        progress.update(task, completed=stored.follows_seen)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    started = time.perf_counter()
    assert job_id is not None
    jobs.run_job(database, job_id)
    seconds = time.perf_counter() - started
    done.set()
    watcher.join()
    with database.factory() as session:
        stored = session.get(CustomerSyncRun, run_id)
        assert stored is not None
        assert stored.state == "done", stored.error
        count = stored.follows_seen
    return {"rows": count, "seconds": seconds, "peak_mb": peak_mb()}


def phase_naive_sync(url: str, sandbox_url: str, limit: int) -> dict[str, Any]:
    from sqlalchemy import select

    from siyu.customers.models import Customer, Follow
    from siyu.customers.service import from_timestamp
    from siyu.wecom import service as wecom

    database, tenant_id = _tenant(url)
    client = wecom.client_for_tenant(database, tenant_id)
    assert client is not None
    userids = sorted(client.get_follow_user_list())
    started = time.perf_counter()
    count = 0
    with database.factory() as session:
        for i in range(0, len(userids), 100):
            cursor = ""
            while count < limit:
                page = client.batch_get_by_user(userids[i : i + 100], cursor=cursor, limit=100)
                for item in page.external_contact_list:
                    contact, info = item.external_contact, item.follow_info
                    customer = session.scalar(
                        select(Customer).where(
                            Customer.tenant_id == tenant_id,
                            Customer.external_userid == contact.external_userid,
                        )
                    )
                    if customer is None:
                        customer = Customer(
                            tenant_id=tenant_id, external_userid=contact.external_userid, custom={}
                        )
                        session.add(customer)
                    customer.name, customer.gender = contact.name, contact.gender
                    session.flush()
                    follow = session.scalar(
                        select(Follow).where(
                            Follow.customer_id == customer.id, Follow.userid == info.userid
                        )
                    )
                    if follow is None:
                        follow = Follow(
                            tenant_id=tenant_id,
                            customer_id=customer.id,
                            userid=info.userid,
                            added_at=from_timestamp(info.createtime),
                        )
                        session.add(follow)
                    follow.remark, follow.state = info.remark, info.state
                    follow.wecom_tag_ids = list(info.tag_id)
                    session.commit()
                    count += 1
                cursor = page.next_cursor
                if not cursor:
                    break
            if count >= limit:
                break
    return {"rows": count, "seconds": time.perf_counter() - started, "peak_mb": peak_mb()}


TAGS = ("复购", "新客", "潜在")
CITIES = ("上海", "北京", "杭州", "深圳", "成都", "武汉", "南京", "西安")
HEADERS = ["手机号", "姓名", "性别", "生日", "城市", "会员等级", "标签"]


def make_sheet(path: Path, rows: int) -> None:
    from siyu.sandbox.bulk import chinese_name
    from siyu.sheets import write_xlsx

    rng = random.Random(7)  # noqa: S311 - synthetic data

    def data() -> Any:
        for n in range(rows):
            gender = rng.choice((1, 2))
            yield (
                f"13{n:09d}",
                chinese_name(rng, gender),
                "男" if gender == 1 else "女",
                dt.date(1970 + n % 35, 1 + n % 12, 1 + n % 28).isoformat(),
                CITIES[n % len(CITIES)],
                ("普通", "银卡", "金卡")[n % 3],
                TAGS[n % 3],
            )

    write_xlsx(path, HEADERS, data())


def _tag_rows(database: Any, tenant_id: int) -> None:
    from siyu.tags.models import Tag, TagGroup

    with database.transaction() as session:
        group = TagGroup(
            tenant_id=tenant_id, name="客户等级", wecom_id="etbenchgroup", sync_state="synced"
        )
        session.add(group)
        session.flush()
        for n, name in enumerate(TAGS):
            session.add(
                Tag(
                    tenant_id=tenant_id,
                    group_id=group.id,
                    name=name,
                    wecom_id=f"etbench{n}",
                    sync_state="synced",
                )
            )


def phase_siyu_import(url: str, sheet: str, _limit: int) -> dict[str, Any]:
    from siyu.customers import imports
    from siyu.customers.models import CustomerImport

    database, tenant_id = _tenant(url)
    _tag_rows(database, tenant_id)
    path = Path(sheet)
    with database.transaction() as session:
        imp = imports.create(
            session, tenant_id, filename=path.name, stored=path, member_id=None, locale="zh-CN"
        )
        imports.set_mapping(session, imp, imports.suggest(imp.headers), [])
        imports.start(session, imp)
        import_id = imp.id
    started = time.perf_counter()
    imports.run(database, import_id, fence=lambda _session: None)
    seconds = time.perf_counter() - started
    with database.factory() as session:
        done = session.get(CustomerImport, import_id)
        assert done is not None
        assert done.state == "done", done.error
        count = done.created + done.updated + done.unchanged
    return {"rows": count, "seconds": seconds, "peak_mb": peak_mb()}


def phase_naive_import(url: str, sheet: str, limit: int) -> dict[str, Any]:
    from openpyxl import load_workbook
    from sqlalchemy import select

    from siyu.customers import phones
    from siyu.customers.models import Customer, CustomerPhone
    from siyu.tags.models import CustomerTag, Tag

    database, tenant_id = _tenant(url)
    _tag_rows(database, tenant_id)
    started = time.perf_counter()
    book = load_workbook(sheet)  # the ordinary (whole-workbook) mode a first version uses
    sheet_rows = book.active.iter_rows(min_row=2, values_only=True)  # type: ignore[union-attr]
    count = 0
    with database.factory() as session:
        for phone, name, gender, birthday, city, level, tag in sheet_rows:
            number = phones.normalise(str(phone))
            phone_hash = phones.lookup_hash(number)
            found = session.scalar(
                select(CustomerPhone).where(
                    CustomerPhone.tenant_id == tenant_id, CustomerPhone.phone_hash == phone_hash
                )
            )
            customer = session.get(Customer, found.customer_id) if found else None
            if customer is None:
                customer = Customer(tenant_id=tenant_id, name=str(name), status="lost", custom={})
                session.add(customer)
                session.flush()
                session.add(
                    CustomerPhone(
                        tenant_id=tenant_id,
                        customer_id=customer.id,
                        phone_hash=phone_hash,
                        sealed=phones.seal(number),
                        masked=phones.masked(number),
                        source="import",
                    )
                )
            customer.gender = 1 if gender == "男" else 2
            customer.birthday = dt.date.fromisoformat(str(birthday))
            customer.city, customer.member_level = str(city), str(level)
            tag_id = session.scalar(
                select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.name == tag)
            )
            if tag_id and session.get(CustomerTag, (customer.id, tag_id)) is None:
                session.add(
                    CustomerTag(
                        tenant_id=tenant_id, customer_id=customer.id, tag_id=tag_id, source="import"
                    )
                )
            session.commit()
            count += 1
            if count >= limit:
                break
    return {"rows": count, "seconds": time.perf_counter() - started, "peak_mb": peak_mb()}


PHASES = {
    "siyu-sync": phase_siyu_sync,
    "naive-sync": phase_naive_sync,
    "siyu-import": phase_siyu_import,
    "naive-import": phase_naive_import,
}


def run_phase(name: str, source: str, limit: int) -> dict[str, Any]:
    url = fresh_postgres(f"siyu_bench_{name.replace('-', '_')}")
    env = {**os.environ, "SIYU_JOBS_BACKEND": "memory", "SIYU_VAR_DIR": tempfile.mkdtemp()}
    if source.startswith("http"):
        env["SIYU_WECOM_BASE_URL"] = source  # the sandbox stands in for WeCom
    out = subprocess.run(  # noqa: S603 - our own module
        [
            sys.executable,
            "-m",
            "bench.sync",
            "--phase",
            name,
            "--url",
            url,
            "--source",
            source,
            "--limit",
            str(limit),
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,
    )
    result: dict[str, Any] = json.loads(out.stdout.decode().strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--naive-customers", type=int, default=50_000)
    parser.add_argument("--naive-rows", type=int, default=50_000)
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--source", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args.url, args.source, args.limit or 10**12)))
        return

    results: list[tuple[str, str, dict[str, Any]]] = []
    work = Path(tempfile.mkdtemp(prefix="siyu-bench-sync-"))
    if not args.skip_sync:
        results += bench_sync(args, work)
    if not args.skip_import:
        sheet = work / "customers.xlsx"
        console.print(f"writing {args.rows:,} rows to {sheet.name}")
        make_sheet(sheet, args.rows)
        results.append(("import", "siyu", run_phase("siyu-import", str(sheet), 0)))
        results.append(("import", "naive", run_phase("naive-import", str(sheet), args.naive_rows)))
    print_table(results)


def bench_sync(args: argparse.Namespace, work: Path) -> list[tuple[str, str, dict[str, Any]]]:
    results: list[tuple[str, str, dict[str, Any]]] = []
    from siyu.sandbox import demo
    from siyu.sandbox.bulk import seed_bulk
    from siyu.sandbox.state import open_database

    sandbox_db = f"sqlite:///{work / 'sandbox.db'}"
    database = open_database(sandbox_db)
    with database.transaction() as session:
        demo.seed(session, int(time.time()))
    console.print(f"seeding the sandbox: {args.customers:,} customers over {args.staff:,} staff")
    seed_bulk(database, demo.DEMO_CORP.corp_id, staff=args.staff, customers=args.customers)
    database.engine.dispose()
    port = free_port()
    env = {
        **os.environ,
        "SIYU_SANDBOX_DATABASE_URL": sandbox_db,
        "SIYU_SANDBOX_PORT": str(port),
        "SIYU_LOG_LEVEL": "WARNING",
    }
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "siyu", "sandbox", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/sandbox/clock", sandbox)
        results.append(("sync", "siyu", run_phase("siyu-sync", url, 0)))
        results.append(("sync", "naive", run_phase("naive-sync", url, args.naive_customers)))
    finally:
        sandbox.terminate()
        sandbox.wait()
    return results


def print_table(results: list[tuple[str, str, dict[str, Any]]]) -> None:
    table = Table(title=f"bench/sync — {platform.node()}, {os.cpu_count()} cores, PostgreSQL")
    for column in ("work", "way", "rows", "seconds", "rows/s", "peak MB", "vs naive"):
        table.add_column(column, justify="left" if column in ("work", "way") else "right")
    rates = {(w, k): r["rows"] / r["seconds"] for w, k, r in results}
    for work_name, way, r in results:
        rate = rates[(work_name, way)]
        ratio = rate / rates[(work_name, "naive")] if (work_name, "naive") in rates else 0
        table.add_row(
            work_name,
            way,
            f"{r['rows']:,}",
            f"{r['seconds']:.1f}",
            f"{rate:,.0f}",
            f"{r['peak_mb']:.0f}",
            f"{ratio:.1f}×",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
