"""bench/segments — counting segments: the Roaring-bitmap audience index against PostgreSQL.

    python -m bench.segments [--customers 10000000] [--also 50000000] [--pg-customers N]
                             [--runs 50] [--pg-runs 5] [--no-pg]

A synthetic tenant: about 8 tags per customer from 2,000 with Zipf popularity, 300 cities
(skewed), 5 member levels, 5,000 staff owners, 500 stores in 20 regions, first-added days over
six years (more of them recent), birthdays for 60 %, 90 % still friends. Five typical rules are
counted ``--runs`` times each by the index (Siyu's ``SegmentIndex.count``), and ``--pg-runs``
times each by PostgreSQL running the same rule through Siyu's SQL evaluator on the same data
(warm: one untimed run first; indexed: Siyu's indexes plus (tenant, city), (tenant, level),
(tenant, store) and (tenant, birthday)). Both must give the same counts. The index is also
rebuilt from PostgreSQL (binary COPY, as ``siyu`` does at start) and its memory reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import resource
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("SIYU_JOBS_BACKEND", "memory")
os.environ.setdefault("SIYU_VAR_DIR", tempfile.mkdtemp(prefix="siyu-bench-segments-"))

TAGS, CITIES, LEVELS, STAFF, STORES, REGIONS = 2000, 300, 5, 5000, 500, 20
TODAY = dt.date(2026, 11, 24)
FIFTY_STAFF = [f"staff{i:04d}" for i in range(1, 51)]
BIG_CITIES = ["上海", "北京", "广州", "深圳", "杭州"]
LEVEL_NAMES = ["普通会员", "银卡", "金卡", "白金卡", "黑金卡"]
console = Console()


def generate(n: int, seed: int = 7, dedupe_tags: bool = False) -> Any:
    """Synthetic customers as the index's columns (ids 1..n)."""
    from siyu.segments import bulk
    from siyu.segments.index import day_number

    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1, dtype=np.uint32)
    status = np.where(rng.random(n) < 0.9, 1, 2).astype(np.int16)

    def zipf_codes(size: int, kinds: int, s: float = 1.0) -> Any:
        weights = 1.0 / np.arange(1, kinds + 1) ** s
        cumulative = np.cumsum(weights / weights.sum())
        return (np.searchsorted(cumulative, rng.random(size)) + 1).astype(np.int16)

    cities = [f"城市{i:03d}" for i in range(1, CITIES + 1)]
    cities[:5] = ["上海", "北京", "广州", "深圳", "杭州"]
    text = {
        "city": (zipf_codes(n, CITIES), cities),
        "level": (zipf_codes(n, LEVELS, 1.5), LEVEL_NAMES),
        "channel": (zipf_codes(n, 20), [f"渠道{i:02d}" for i in range(1, 21)]),
        "owner": (zipf_codes(n, STAFF, 0.6), [f"staff{i:04d}" for i in range(1, STAFF + 1)]),
    }
    gender = rng.integers(0, 3, n).astype(np.int16)
    store = rng.integers(0, STORES + 1, n).astype(np.int32)  # 0: no store
    first = day_number(TODAY) - 6 * 365
    # More recent friends than old ones: days drawn towards today.
    added = (day_number(TODAY) - (rng.random(n) ** 2 * 6 * 365)).astype(np.int16)
    added[rng.random(n) < 0.02] = -1
    assert added.max() <= day_number(TODAY)
    assert added[added >= 0].min() >= first
    months = rng.integers(1, 13, n)
    days = np.minimum(rng.integers(1, 29, n) + rng.integers(0, 3, n), 30)
    days = np.where(months == 2, np.minimum(days, 29), days)
    birthday = (months * 100 + days).astype(np.int16)
    birthday[rng.random(n) < 0.4] = -1
    counts = rng.poisson(8, n).astype(np.int64)
    total = int(counts.sum())
    tag_customers = np.repeat(ids, counts)
    tag_ids = np.empty(total, dtype=np.int16)
    weights = 1.0 / np.arange(1, TAGS + 1)
    cumulative = np.cumsum(weights / weights.sum())
    step = 20_000_000
    for start in range(0, total, step):
        end = min(total, start + step)
        tag_ids[start:end] = np.searchsorted(cumulative, rng.random(end - start)) + 1
    if dedupe_tags:
        pairs = np.unique(tag_customers.astype(np.int64) * 4096 + tag_ids)
        tag_customers = (pairs // 4096).astype(np.uint32)
        tag_ids = (pairs % 4096).astype(np.int16)
    return bulk.Columns(
        ids=ids,
        status=status,
        text=text,
        gender=gender,
        store=store,
        added_day=added,
        birthday=birthday,
        tag_customers=tag_customers,
        tag_ids=tag_ids,
    )


def rules() -> list[tuple[str, dict[str, Any]]]:
    return [
        (
            "亲子 · 上海 · 近30天新好友",
            {
                "and": [
                    {"field": "tags", "op": "any", "value": [3]},
                    {"field": "city", "op": "eq", "value": "上海"},
                    {"field": "added_at", "op": "within_days", "value": 30},
                ]
            },
        ),
        (
            "有两个兴趣标签、没有第一标签的好友",
            {
                "and": [
                    {"field": "tags", "op": "all", "value": [2, 10]},
                    {"not": {"field": "tags", "op": "any", "value": [1]}},
                    {"field": "follow", "op": "eq", "value": "friend"},
                ]
            },
        ),
        (
            "金卡/白金卡 · 本月生日",
            {
                "and": [
                    {"field": "level", "op": "in", "value": ["金卡", "白金卡"]},
                    {"field": "birthday", "op": "this_month"},
                ]
            },
        ),
        (
            "50 位导购名下、不在一线城市的好友",
            {
                "and": [
                    {
                        "field": "owner",
                        "op": "in",
                        "value": [f"staff{i:04d}" for i in range(1, 51)],
                    },
                    {
                        "not": {
                            "field": "city",
                            "op": "in",
                            "value": ["上海", "北京", "广州", "深圳", "杭州"],
                        }
                    },
                    {"field": "follow", "op": "eq", "value": "friend"},
                ]
            },
        ),
        (
            "2024-03-05~2025-09-20 加入 · 华东区或 3 家店 · 女性 · 无两标签",
            {
                "and": [
                    {
                        "field": "added_at",
                        "op": "between",
                        "value": {"from": "2024-03-05", "to": "2025-09-20"},
                    },
                    {
                        "or": [
                            {"field": "region", "op": "eq", "value": 1},
                            {"field": "store", "op": "in", "value": [101, 202, 303]},
                        ]
                    },
                    {"field": "gender", "op": "eq", "value": 2},
                    {"field": "tags", "op": "none", "value": [5, 50]},
                ]
            },
        ),
    ]


def context() -> Any:
    from siyu.segments.sql import Context

    per = STORES // REGIONS
    regions = {r: frozenset(range((r - 1) * per + 1, r * per + 1)) for r in range(1, REGIONS + 1)}
    return Context(TODAY, regions)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def time_index(index: Any, runs: int) -> list[tuple[str, int, float, float]]:
    from siyu.segments.rules import parse

    ctx, out = context(), []
    for name, raw in rules():
        rule = parse(raw)
        count = index.count(rule, ctx)
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            index.count(rule, ctx)
            samples.append((time.perf_counter() - started) * 1000)
        out.append((name, count, *percentiles(samples)))
    return out


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_index(n: int) -> tuple[Any, float, float]:
    from siyu.segments import bulk

    with console.status(f"generating {n:,} customers"):
        columns = generate(n)
    started = time.perf_counter()
    with console.status(f"building the index of {n:,} customers"):
        index = bulk.index_from_columns(1, columns)
        index.optimize()
    took = time.perf_counter() - started
    del columns
    gc.collect()
    return index, took, index.memory_bytes() / 1e6


# --- PostgreSQL ------------------------------------------------------------------------------

PG_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _copy_binary(cursor: Any, sql: str, rows: Any) -> None:
    with cursor.copy(sql) as copy:
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        step = 1_000_000
        for start in range(0, len(rows), step):
            copy.write(rows[start : start + step].tobytes())
        copy.write(struct.pack(">h", -1))


def load_pg(url: str, columns: Any, progress: Progress) -> int:  # noqa: PLR0915
    """The synthetic tenant in a fresh database built by Siyu's migrations."""
    import psycopg

    from siyu import migrate
    from siyu.db import Database
    from siyu.tenants import repository as tenants

    migrate.upgrade(url)
    database = Database.from_url(url)
    with database.transaction() as session:
        tenant_id = tenants.create(session, name="bench", slug="bench").id
    n = len(columns.ids)
    task = progress.add_task("PostgreSQL: loading", total=6)
    with psycopg.connect(url.replace("postgresql://", "postgresql://", 1), autocommit=True) as pg:
        pg.execute("SET session_replication_role = replica")
        pg.execute("SET maintenance_work_mem = '1GB'")
        pg.execute(
            'INSERT INTO tag_groups (tenant_id, name, "order", sync_state, sync_error, deleting,'
            " updated_at) VALUES (%s, '兴趣', 0, 'synced', '', false, now())",
            (tenant_id,),
        )
        pg.execute(
            'INSERT INTO tags (id, tenant_id, group_id, name, "order", sync_state, sync_error,'
            " deleting, updated_at) SELECT g, %s, (SELECT max(id) FROM tag_groups), '标签' || g, g,"
            " 'synced', '', false, now() FROM generate_series(1, %s) g",
            (tenant_id, TAGS),
        )
        indexes = pg.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN"
            " ('customers', 'customer_tags') AND indexname NOT LIKE 'pk_%'"
        ).fetchall()
        for name, _ in indexes:
            pg.execute(f'ALTER TABLE IF EXISTS customers DROP CONSTRAINT IF EXISTS "{name}"')
            pg.execute(f'DROP INDEX IF EXISTS "{name}"')
        progress.advance(task)
        pg.execute(
            "CREATE UNLOGGED TABLE bench_c (id int8, status int2, city int2, level int2,"
            " channel int2, owner int2, gender int2, store int4, added int2, born int2)"
        )
        widths = [("id", ">i8"), ("status", ">i2"), ("city", ">i2"), ("level", ">i2")]
        widths += [("channel", ">i2"), ("owner", ">i2"), ("gender", ">i2"), ("store", ">i4")]
        widths += [("added", ">i2"), ("born", ">i2")]
        dtype = np.dtype(
            [("n", ">i2")] + [x for k, t in widths for x in ((f"l_{k}", ">i4"), (k, t))]
        )
        rows = np.zeros(n, dtype=dtype)
        rows["n"] = len(widths)
        values = {
            "id": columns.ids,
            "status": columns.status,
            "city": columns.text["city"][0],
            "level": columns.text["level"][0],
            "channel": columns.text["channel"][0],
            "owner": columns.text["owner"][0],
            "gender": columns.gender,
            "store": columns.store,
            "added": columns.added_day,
            "born": columns.birthday,
        }
        for key, kind in widths:
            rows[f"l_{key}"] = np.dtype(kind).itemsize
            rows[key] = values[key]
        with pg.cursor() as cursor:
            _copy_binary(cursor, "COPY bench_c FROM STDIN (FORMAT binary)", rows)
        del rows
        progress.advance(task)
        vocab = {k: columns.text[k][1] for k in ("city", "level", "channel", "owner")}
        pg.execute(
            "INSERT INTO customers (id, tenant_id, external_userid, name, type, gender, avatar,"
            " unionid, corp_name, birthday, city, member_level, preferences, owner_userid,"
            " store_id, source_channel, notes, custom, status, first_added_at, created_at,"
            " updated_at)"
            " SELECT id, %(tenant)s, 'wmbench' || id, '客户' || id, 1, gender, '', '', '',"
            " CASE WHEN born < 0 THEN NULL"
            "  ELSE make_date(2000, born / 100, born %% 100) END,"
            " (%(city)s::text[])[city], (%(level)s::text[])[level], '', (%(owner)s::text[])[owner],"
            " NULLIF(store, 0), (%(channel)s::text[])[channel], '', '{}',"
            " CASE status WHEN 1 THEN 'active' ELSE 'lost' END,"
            " CASE WHEN added < 0 THEN NULL ELSE"
            "  (date '2000-01-01' + added + time '12:00') AT TIME ZONE 'Asia/Shanghai' END,"
            " now(), now() FROM bench_c",
            {"tenant": tenant_id, **vocab},
        )
        pg.execute("SELECT setval(pg_get_serial_sequence('customers', 'id'), %s)", (n + 1,))
        pg.execute("DROP TABLE bench_c")
        progress.advance(task)
        tags = len(columns.tag_customers)
        tag_dtype = np.dtype(
            [
                *[("n", ">i2"), ("l1", ">i4"), ("customer", ">i8"), ("l2", ">i4"), ("tag", ">i8")],
                *[("l3", ">i4"), ("tenant", ">i8"), ("l4", ">i4"), ("source", "S5")],
                *[("l5", ">i4"), ("at", ">i8")],
            ]
        )
        tag_rows = np.zeros(tags, dtype=tag_dtype)
        tag_rows["n"] = 5
        tag_rows["l1"] = tag_rows["l2"] = tag_rows["l3"] = tag_rows["l5"] = 8
        tag_rows["l4"] = 5
        tag_rows["customer"] = columns.tag_customers
        tag_rows["tag"] = columns.tag_ids
        tag_rows["tenant"] = tenant_id
        tag_rows["source"] = b"bench"
        tag_rows["at"] = int((dt.datetime.now(dt.UTC) - PG_EPOCH).total_seconds() * 1e6)
        with pg.cursor() as cursor:
            _copy_binary(
                cursor,
                "COPY customer_tags (customer_id, tag_id, tenant_id, source, created_at)"
                " FROM STDIN (FORMAT binary)",
                tag_rows,
            )
        del tag_rows
        progress.advance(task)
        for _, definition in indexes:
            pg.execute(definition)
        for extra in ("city", "member_level", "store_id", "birthday"):
            pg.execute(f"CREATE INDEX bench_customers_{extra} ON customers (tenant_id, {extra})")
        progress.advance(task)
        pg.execute("VACUUM ANALYZE customers")
        pg.execute("VACUUM ANALYZE customer_tags")
        progress.advance(task)
    return tenant_id


def loaded(n: int) -> tuple[int, str]:
    """The tenant of an earlier run's database, if it holds ``n`` customers."""
    import psycopg

    for user in ("root", "postgres"):
        url = f"postgresql://{user}@127.0.0.1:5432/siyu_bench_segments"
        try:
            with psycopg.connect(url, connect_timeout=3) as pg:
                row = pg.execute(
                    "SELECT tenant_id, count(*) FROM customers GROUP BY tenant_id"
                ).fetchone()
        except psycopg.Error:
            continue
        if row and row[1] == n:
            from siyu import migrate

            migrate.upgrade(url)  # tables added since that run, empty
            return int(row[0]), url
    return 0, ""


def time_pg(url: str, tenant_id: int, runs: int) -> list[tuple[str, int, float, float]]:
    from siyu.db import Database
    from siyu.segments import sql
    from siyu.segments.rules import parse

    database = Database.from_url(url)
    ctx, out = context(), []
    with database.factory() as session:
        for name, raw in rules():
            rule = parse(raw)
            count = sql.count(session, tenant_id, rule, ctx)  # warms the cache
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                sql.count(session, tenant_id, rule, ctx)
                samples.append((time.perf_counter() - started) * 1000)
            out.append((name, count, *percentiles(samples)))
    return out


def rebuild_from_pg(url: str, tenant_id: int) -> tuple[float, Any]:
    from siyu.db import Database
    from siyu.segments import facts

    database = Database.from_url(url)
    with database.factory() as session:
        started = time.perf_counter()
        index = facts.build(session, tenant_id, parallel=True)
        return time.perf_counter() - started, index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--also", type=int, nargs="*", default=[50_000_000])
    parser.add_argument("--pg-customers", type=int, default=None)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--pg-runs", type=int, default=5)
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument(
        "--reuse-pg",
        action="store_true",
        help="use the database a previous run loaded, when it holds the same number of customers",
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    console.print(
        f"[bold]bench/segments[/] — {platform.processor() or platform.machine()},"
        f" {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    sizes = [args.customers, *args.also]
    results: dict[int, dict[str, Any]] = {}
    for n in sizes:
        index, took, memory = build_index(n)
        results[n] = {
            "build": took,
            "memory": memory,
            "index": time_index(index, args.runs),
            "rss": rss_mb(),
        }
        del index
        gc.collect()
        console.print(f"{n:,}: built in {took:.1f} s, {memory:,.0f} MB of bitmaps")
    pg_n = args.pg_customers or args.customers
    pg: list[tuple[str, int, float, float]] = []
    rebuild = None
    if not args.no_pg:
        from tests.pgdb import fresh_database

        tenant_id, url = loaded(pg_n) if args.reuse_pg else (0, "")
        if not url:
            url = fresh_database("siyu_bench_segments")
        if url and not tenant_id:
            with Progress(console=console) as progress:
                started = time.perf_counter()
                tenant_id = load_pg(url, generate(pg_n, dedupe_tags=True), progress)
                console.print(f"PostgreSQL loaded in {time.perf_counter() - started:.0f} s")
        if url:
            pg = time_pg(url, tenant_id, args.pg_runs)
            took, rebuilt = rebuild_from_pg(url, tenant_id)
            rebuild = (took, rebuilt.memory_bytes() / 1e6, time_index(rebuilt, 5))
    report(sizes, results, pg_n, pg, rebuild, args)


def report(
    sizes: list[int],
    results: dict[int, dict[str, Any]],
    pg_n: int,
    pg: list[tuple[str, int, float, float]],
    rebuild: Any,
    args: Any,
) -> None:
    table = Table(title="segment counts: bitmap index vs PostgreSQL (ms)")
    table.add_column("rule")
    for n in sizes:
        table.add_column(f"index {n // 1_000_000} M p50/p99", justify="right")
        table.add_column("members", justify="right")
    if pg:
        table.add_column(f"PostgreSQL {pg_n // 1_000_000} M p50/p99", justify="right")
        table.add_column("ratio p50 (p99)", justify="right")
    for i, (name, _) in enumerate(rules()):
        row = [name]
        for n in sizes:
            _, count, p50, p99 = results[n]["index"][i]
            row += [f"{p50:.2f} / {p99:.2f}", f"{count:,}"]
        if pg:
            _, count, p50, p99 = pg[i]
            mine = results.get(pg_n, results[sizes[0]])["index"][i]
            agree = "" if count == mine[1] else f" (counts differ: {count:,})"
            row += [
                f"{p50:,.0f} / {p99:,.0f}{agree}",
                f"{p50 / mine[2]:,.0f}× ({p99 / mine[3]:,.0f}×)",
            ]
        table.add_row(*row)
    console.print(table)
    for n in sizes:
        r = results[n]
        per10 = r["memory"] / (n / 10_000_000)
        console.print(
            f"{n:,} customers: index built from columns in {r['build']:.1f} s;"
            f" bitmaps {r['memory']:,.0f} MB ({per10:,.0f} MB per 10 M);"
            f" peak RSS {r['rss']:,.0f} MB"
        )
    if rebuild:
        took, memory, counts = rebuild
        same = [c[1] for c in counts] == [c[1] for c in pg]
        console.print(
            f"rebuild of {pg_n:,} from PostgreSQL (binary COPY): {took:.1f} s, {memory:,.0f} MB;"
            f" counts equal to PostgreSQL's: {same}"
        )
    console.print(f"runs: index {args.runs} per rule, PostgreSQL {args.pg_runs} per rule")


if __name__ == "__main__":
    main()
