"""bench/addfriend — a phone list read into add-friend tasks, against the naive way.

    python -m bench.addfriend [--rows 200000] [--naive-rows 5000] [--staff 20] [--sqlite-only]

A .csv of ``--rows`` numbers (a tenth of them already customers who are friends, a twentieth
given twice) becomes tasks for ``--staff`` accounts: Siyu's ``addfriend.import`` (streamed,
chunks of 1,000 rows, numbers looked up by keyed hash in bulk, tasks inserted in bulk and planned
a week ahead) against the naive way (a lookup of each number in the list, among customers and in
other lists, an ORM insert and a commit per row, as a first version would). Each way runs on a
fresh database, PostgreSQL (when it answers on 127.0.0.1:5432) and SQLite; the naive way on fewer
rows (it would take hours otherwise); rates are compared.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("SIYU_JOBS_BACKEND", "memory")
os.environ.setdefault("SIYU_VAR_DIR", tempfile.mkdtemp(prefix="siyu-bench-addfriend-"))


def _fresh(kind: str, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tempfile.mkdtemp()}/{name}.db"
    sys.path.insert(0, str(ROOT))
    from tests.pgdb import fresh_database

    return fresh_database(name)


def _setup(url: str, rows: int, staff: int, sheet: Path) -> tuple[Any, int, list[str]]:
    """A migrated database with a tenant, its staff and the customers the file partly names."""
    from siyu import migrate
    from siyu.customers import phones
    from siyu.customers.models import Customer, CustomerPhone
    from siyu.db import Database, set_database, utcnow
    from siyu.staff.models import StaffAccount
    from siyu.tenants import repository as tenants

    migrate.upgrade(url)
    database = Database.from_url(url)
    set_database(database)
    userids = [f"s{i:03d}" for i in range(staff)]
    with database.transaction() as session:
        tenant = tenants.create(session, name="bench", slug="bench")
        for userid in userids:
            session.add(
                StaffAccount(tenant_id=tenant.id, userid=userid, name=userid, synced_at=utcnow())
            )
        for i in range(0, rows, 10):  # every tenth number is a friend already
            customer = Customer(tenant_id=tenant.id, name=f"客户{i}", status="active", custom={})
            session.add(customer)
            session.flush()
            number = _number(i)
            session.add(
                CustomerPhone(
                    tenant_id=tenant.id,
                    customer_id=customer.id,
                    phone_hash=phones.lookup_hash(number),
                    sealed=phones.seal(number),
                    masked=phones.masked(number),
                    source="wecom",
                )
            )
        return database, tenant.id, userids


def _number(i: int) -> str:
    return f"13{i % 7 + 3}{i:08d}"


def make_sheet(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("手机号,姓名\n")
        for i in range(rows):
            out.write(f"{_number(i)},客户{i}\n")
            if i % 20 == 0:
                out.write(f"{_number(i)},客户{i}（重复）\n")


def siyu_way(url: str, sheet: Path, rows: int, staff: int) -> dict[str, Any]:
    from siyu.addfriend import imports
    from siyu.addfriend.models import AddFriendList

    database, tenant_id, userids = _setup(url, rows, staff, sheet)
    with database.transaction() as session:
        target = imports.create(
            session, tenant_id, filename=sheet.name, stored=sheet, member_id=None, locale="zh-CN"
        )
        imports.set_handout(session, target, userids=userids)
        imports.start(session, target)
        list_id = target.id
    started = time.perf_counter()
    imports.run(database, list_id, fence=lambda _: None)
    seconds = time.perf_counter() - started
    with database.factory() as session:
        done = session.get(AddFriendList, list_id)
        assert done is not None
        result = {"rows": done.rows_read, "tasks": done.added, "seconds": seconds}
    database.engine.dispose()
    return result


def naive_way(url: str, sheet: Path, rows: int, staff: int) -> dict[str, Any]:
    from sqlalchemy import select

    from siyu.addfriend.models import AddFriendList, AddFriendTask
    from siyu.customers import phones
    from siyu.customers.models import Customer, CustomerPhone

    database, tenant_id, userids = _setup(url, rows, staff, sheet)
    with database.transaction() as session:
        target = AddFriendList(
            tenant_id=tenant_id, name="naive", state="active", filename=sheet.name,
            stored_path=str(sheet), sha256="0" * 64, format="csv", userids=userids,
        )  # fmt: skip
        session.add(target)
        session.flush()
        list_id = target.id
    started = time.perf_counter()
    read = tasks = 0
    with database.factory() as session, sheet.open(encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            if read >= rows:
                break
            raw, name = line.rstrip("\n").split(",", 1)
            read += 1
            number = phones.normalise(raw)
            phone_hash = phones.lookup_hash(number)
            base = select(AddFriendTask.id).where(AddFriendTask.phone_hash == phone_hash)
            if session.scalar(base.where(AddFriendTask.list_id == list_id)):
                continue
            friend = session.scalar(
                select(CustomerPhone.id)
                .join(Customer, Customer.id == CustomerPhone.customer_id)
                .where(CustomerPhone.phone_hash == phone_hash, Customer.status == "active")
            )
            if friend or session.scalar(base.where(AddFriendTask.state.in_(["pending", "sent"]))):
                continue
            session.add(
                AddFriendTask(
                    tenant_id=tenant_id, list_id=list_id, phone_hash=phone_hash,
                    sealed=phones.seal(number), masked=phones.masked(number), name=name,
                    userid=userids[tasks % len(userids)], state="pending",
                )
            )  # fmt: skip
            session.commit()
            tasks += 1
    seconds = time.perf_counter() - started
    database.engine.dispose()
    return {"rows": read, "tasks": tasks, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    console = Console(stderr=True)
    sheet = Path(tempfile.mkdtemp()) / "phones.csv"
    make_sheet(sheet, args.rows)
    kinds = ["sqlite"] if args.sqlite_only else ["postgresql", "sqlite"]
    results: list[tuple[str, str, dict[str, Any]]] = []
    for kind in kinds:
        for way, run, rows in (
            ("siyu", siyu_way, args.rows),
            ("naive", naive_way, args.naive_rows),
        ):
            url = _fresh(kind, f"siyu_bench_addfriend_{way}")
            if not url:
                console.print("PostgreSQL is not reachable on 127.0.0.1:5432: skipped")
                break
            console.print(f"{kind}: {way} way, {rows:,} rows")
            results.append((kind, way, run(url, sheet, rows, args.staff)))
    table = Table(title=f"bench/addfriend — {platform.node()}, {os.cpu_count()} cores")
    for column in ("database", "way", "rows", "tasks", "seconds", "rows/s", "vs naive"):
        table.add_column(column, justify="left" if column in ("database", "way") else "right")
    rates = {(k, w): r["rows"] / r["seconds"] for k, w, r in results}
    for kind, way, r in results:
        rate = rates[(kind, way)]
        naive = rates.get((kind, "naive"))
        table.add_row(
            kind,
            way,
            f"{r['rows']:,}",
            f"{r['tasks']:,}",
            f"{r['seconds']:.1f}",
            f"{rate:,.0f}",
            f"{rate / naive:.1f}×" if naive else "—",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
