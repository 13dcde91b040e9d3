"""bench/broadcast — planning a broadcast and creating every WeCom task, on PostgreSQL.

    python -m bench.broadcast [--customers 1000000] [--staff 5000] [--naive-sample 20000]

A synthetic tenant on PostgreSQL (a fresh database built by Siyu's migrations): ``--staff``
accounts, ``--customers`` customers each owned by one of them and their friend, 8 % also friends
of a second account (added later, so "the latest friend" would be the wrong sender). The audience
is a saved segment of every friend, counted by the audience index.

- **siyu**: the real jobs — ``broadcasts.plan`` (the audience's ids by COPY, then recipients and
  tasks per sender and chunk by SQL statements, in one transaction) then ``broadcasts.dispatch``
  (claim, call, record for every task). WeCom is an in-process stand-in that answers
  ``add_msg_template`` at once and counts every recipient, so the time measured is Siyu's; the
  run checks that every customer is in exactly one task, from their owner.
- **naive**: what a per-customer loop does — for each customer read their friends, pick the
  sender, count their recent broadcasts, insert their recipient row and call WeCom for them
  alone — timed on ``--naive-sample`` customers (with an index for its per-customer count) and
  scaled to the whole audience.

Peak memory is the process's resident set, sampled every 20 ms during the run (the audience
index, built before, is part of it; what the process held before the run is shown too).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

os.environ.setdefault("SIYU_JOBS_BACKEND", "memory")
os.environ.setdefault("SIYU_VAR_DIR", tempfile.mkdtemp(prefix="siyu-bench-broadcast-"))
os.environ.setdefault("SIYU_LOG_LEVEL", "warning")

console = Console()
DB_NAME = "siyu_bench_broadcast"


class FakeWeCom:
    """WeCom's token and add_msg_template, answered at once. Counts every recipient in flat
    arrays (customer ``wmbench<N>`` is slot N), so its own memory stays out of Siyu's figure."""

    def __init__(self, customers: int) -> None:
        self.calls = 0
        self.times = np.zeros(customers + 1, dtype=np.int16)
        self.sender = np.zeros(customers + 1, dtype=np.int32)
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/gettoken"):
            token = {"errcode": 0, "access_token": "t" * 40, "expires_in": 7200}
            return httpx.Response(200, json=token)
        body = json.loads(request.content or b"{}")
        to = body.get("external_userid") or []
        if len(to) > 10_000:
            return httpx.Response(200, json={"errcode": 40058, "errmsg": "too many"})
        slots = np.fromiter((int(e[7:]) for e in to), dtype=np.int64, count=len(to))
        sender = int(body["sender"][5:])
        with self.lock:
            self.calls += 1
            np.add.at(self.times, slots, 1)
            self.sender[slots] = sender
            msgid = f"msg{self.calls:012d}"
        answer = {"errcode": 0, "errmsg": "ok", "msgid": msgid, "fail_list": []}
        return httpx.Response(200, json=answer)


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRss:
    def __init__(self) -> None:
        self.peak = 0
        self.start = _rss()
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, _rss())
            time.sleep(0.02)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.thread.join()


def pg_url() -> str:
    import psycopg

    for user in ("root", "postgres"):
        base = f"postgresql://{user}@127.0.0.1:5432"
        try:
            with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as pg:
                pg.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
                pg.execute(f"CREATE DATABASE {DB_NAME}")
            return f"{base}/{DB_NAME}"
        except psycopg.Error:
            continue
    raise SystemExit("PostgreSQL is not reachable on 127.0.0.1:5432")


def load(url: str, customers: int, staff: int) -> tuple[Any, int]:
    import psycopg

    from siyu import migrate
    from siyu.auth.principal import system_principal
    from siyu.db import Database
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
            ConnectionIn(
                corp_id="wwbenchbroadcast0001",
                contact_secret="s" * 43,
                callback_token="benchtoken",  # noqa: S106 - a benchmark's own corp
                encoding_aes_key="a" * 43,
            ),
        )
        tenant_id = tenant.id
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(
            "INSERT INTO staff_accounts (tenant_id, userid, name, position, department_ids,"
            " customer_contact, status, synced_at) SELECT %s, 'staff' || g, '员工' || g, '', '[]',"
            " true, 'active', now() FROM generate_series(1, %s) g",
            (tenant_id, staff),
        )
        pg.execute(
            "INSERT INTO customers (tenant_id, external_userid, name, type, gender, avatar,"
            " unionid, corp_name, city, member_level, preferences, owner_userid, source_channel,"
            " notes, custom, status, first_added_at, created_at, updated_at)"
            " SELECT %s, 'wmbench' || g, '客户' || g, 1, 0, '', '', '', '', '', '',"
            " 'staff' || (1 + g %% %s), '', '', '{}', 'active', now() - interval '30 days',"
            " now(), now() FROM generate_series(1, %s) g",
            (tenant_id, staff, customers),
        )
        pg.execute(
            "INSERT INTO follows (tenant_id, customer_id, userid, remark, description, added_at,"
            " add_way, state, oper_userid, wecom_tag_ids, status, synced_at)"
            " SELECT tenant_id, id, owner_userid, '', '', now() - interval '30 days', 1, '', '',"
            " '[]', 'friend', now() FROM customers WHERE tenant_id = %s",
            (tenant_id,),
        )
        pg.execute(
            "INSERT INTO follows (tenant_id, customer_id, userid, remark, description, added_at,"
            " add_way, state, oper_userid, wecom_tag_ids, status, synced_at)"
            " SELECT tenant_id, id, 'staff' || (1 + (id * 7 + 3) %% %s), '', '',"
            " now() - interval '2 days', 1, '', '', '[]', 'friend', now()"
            " FROM customers WHERE tenant_id = %s AND id %% 25 < 2"
            " AND 'staff' || (1 + (id * 7 + 3) %% %s) <> owner_userid",
            (staff, tenant_id, staff),
        )
        pg.execute("VACUUM ANALYZE customers")
        pg.execute("VACUUM ANALYZE follows")
        pg.execute("VACUUM ANALYZE staff_accounts")
    return database, tenant_id


def siyu_way(database: Any, tenant_id: int, fake: FakeWeCom) -> dict[str, Any]:
    from sqlalchemy import func, select

    from siyu import jobs
    from siyu.broadcasts import service as broadcasts
    from siyu.broadcasts.models import BroadcastRecipient, BroadcastTask
    from siyu.broadcasts.schemas import BroadcastIn
    from siyu.customers.models import Customer
    from siyu.segments import live
    from siyu.segments.models import Segment

    with database.transaction() as session:
        broadcasts.save_settings(session, tenant_id, {"quiet_start": "00:00", "quiet_end": "00:00"})
        segment = Segment(
            tenant_id=tenant_id,
            name="全部好友",
            rule={"field": "follow", "op": "eq", "value": "friend"},
        )
        session.add(segment)
        session.flush()
        started = time.perf_counter()
        live.index_for(session, tenant_id)
        index_s = time.perf_counter() - started
        body = BroadcastIn.model_validate(
            {
                "name": "双十二预热",
                "text": "双十二预热：老客专享券已到账",
                "audience": {"kind": "segment", "segment_id": segment.id},
            }
        )
        broadcast = broadcasts.create(session, tenant_id, body, created_by=None)
        broadcast_id = broadcast.id
    with database.factory() as session:
        plan_job = session.scalar(select(jobs.Job.id).where(jobs.Job.kind == broadcasts.PLAN_JOB))
    with PeakRss() as rss:
        started = time.perf_counter()
        assert jobs.run_job(database, plan_job)
        planned_s = time.perf_counter() - started
        plan_peak = rss.peak
        with database.factory() as session:
            lanes = list(
                session.scalars(select(jobs.Job.id).where(jobs.Job.kind == broadcasts.DISPATCH_JOB))
            )
        # A worker thread per dispatch job, as `siyu worker` runs them.
        with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
            assert all(pool.map(lambda job_id: jobs.run_job(database, job_id), lanes))
        total_s = time.perf_counter() - started
    with database.factory() as session:
        tasks = session.scalar(
            select(func.count()).where(BroadcastTask.broadcast_id == broadcast_id)
        )
        created = session.scalar(
            select(func.count()).where(
                BroadcastTask.broadcast_id == broadcast_id, BroadcastTask.state == "created"
            )
        )
        recipients = session.scalar(
            select(func.count()).where(BroadcastRecipient.broadcast_id == broadcast_id)
        )
        rows = session.execute(
            select(Customer.external_userid, Customer.owner_userid).where(
                Customer.tenant_id == tenant_id
            )
        )
        owners = {str(e): str(o) for e, o in rows.all()}
    wrong_sender = sum(
        1
        for e, owner in owners.items()
        if fake.times[int(e[7:])] and f"staff{fake.sender[int(e[7:])]}" != owner
    )
    return {
        "index_s": index_s,
        "plan_s": planned_s,
        "total_s": total_s,
        "tasks": tasks,
        "created": created,
        "recipients": recipients,
        "calls": fake.calls,
        "lanes": len(lanes),
        "messaged": int(np.count_nonzero(fake.times)),
        "twice": int(np.count_nonzero(fake.times > 1)),
        "wrong_sender": wrong_sender,
        "peak_mb": rss.peak / 2**20,
        "plan_peak_mb": plan_peak / 2**20,
        "before_mb": rss.start / 2**20,
    }


def naive_way(database: Any, tenant_id: int, sample: int) -> dict[str, Any]:
    """Per customer: read, decide, count, insert, call — on ``sample`` customers."""
    from sqlalchemy import func, select, text

    from siyu.broadcasts.models import Broadcast, BroadcastRecipient
    from siyu.customers.models import Customer, Follow
    from siyu.db import utcnow
    from siyu.wecom import service as wecom

    client = wecom.client_for_tenant(database, tenant_id)
    assert client is not None
    now = utcnow()
    with database.transaction() as session:
        broadcast = Broadcast(
            tenant_id=tenant_id,
            name="naive",
            chat_type="single",
            audience={},
            text="双十二预热",
            state="sending",
            send_at=now,
            due_at=now,
            counts={},
        )
        session.add(broadcast)
        session.flush()
        broadcast_id = broadcast.id
        ids = list(
            session.scalars(
                select(Customer.id)
                .where(Customer.tenant_id == tenant_id)
                .order_by(Customer.id)
                .limit(sample)
            )
        )
    week_ago = now - dt.timedelta(days=7)
    # The per-customer count needs an index of its own (Siyu counts in one grouped query).
    with database.transaction() as session:
        session.execute(
            text(
                "CREATE INDEX IF NOT EXISTS bench_naive_recipients"
                " ON broadcast_recipients (tenant_id, customer_id, at)"
            )
        )
    started = time.perf_counter()
    for customer_id in ids:
        with database.transaction() as session:
            external, owner = session.execute(
                select(Customer.external_userid, Customer.owner_userid).where(
                    Customer.id == customer_id
                )
            ).one()
            friends = [
                userid
                for (userid,) in session.execute(
                    select(Follow.userid)
                    .where(
                        Follow.tenant_id == tenant_id,
                        Follow.customer_id == customer_id,
                        Follow.status == "friend",
                    )
                    .order_by(Follow.added_at.desc())
                )
            ]
            sender = owner if owner in friends else friends[0]
            session.scalar(
                select(func.count()).where(
                    BroadcastRecipient.tenant_id == tenant_id,
                    BroadcastRecipient.customer_id == customer_id,
                    BroadcastRecipient.at >= week_ago,
                )
            )
            session.add(
                BroadcastRecipient(
                    tenant_id=tenant_id,
                    broadcast_id=broadcast_id,
                    customer_id=customer_id,
                    sender=sender,
                    status="waiting",
                    at=now,
                )
            )
        client.add_msg_template(
            {
                "chat_type": "single",
                "sender": sender,
                "external_userid": [external],
                "text": {"content": "双十二预热"},
            }
        )
    elapsed = time.perf_counter() - started
    return {"sample": len(ids), "sample_s": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=5_000)
    parser.add_argument("--naive-sample", type=int, default=10_000)
    args = parser.parse_args()

    from siyu.wecom import service as wecom

    fake = FakeWeCom(args.customers)
    shared = httpx.Client(transport=httpx.MockTransport(fake.handle))
    wecom._shared_http = lambda: shared  # type: ignore[attr-defined]

    url = pg_url()
    console.print(f"loading {args.customers:,} customers and {args.staff:,} staff into {DB_NAME}…")
    started = time.perf_counter()
    database, tenant_id = load(url, args.customers, args.staff)
    console.print(f"loaded in {time.perf_counter() - started:.1f} s")
    siyu = siyu_way(database, tenant_id, fake)
    console.print(
        f"siyu: plan {siyu['plan_s']:.1f} s, plan + tasks {siyu['total_s']:.1f} s, "
        f"peak {siyu['peak_mb']:.0f} MB (planning {siyu['plan_peak_mb']:.0f} MB, "
        f"{siyu['before_mb']:.0f} MB before)"
    )
    naive = naive_way(database, tenant_id, args.naive_sample)
    audience = siyu["recipients"]
    naive_total = naive["sample_s"] / naive["sample"] * audience
    report(args, siyu, naive, naive_total)


def report(
    args: argparse.Namespace, siyu: dict[str, Any], naive: dict[str, Any], naive_s: float
) -> None:
    table = Table(
        title=f"bench/broadcast — {siyu['recipients']:,} customers, "
        f"{args.staff:,} staff (PostgreSQL)"
    )
    for column in (
        "way",
        "plan s",
        "plan + create tasks s",
        "WeCom calls",
        "peak RSS MB",
        "vs naive",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        "siyu",
        f"{siyu['plan_s']:.1f}",
        f"{siyu['total_s']:.1f}",
        f"{siyu['calls']:,}",
        f"{siyu['peak_mb']:.0f}",
        f"{naive_s / siyu['total_s']:.0f}×",
    )
    table.add_row(
        f"naive (measured on {naive['sample']:,}, scaled)",
        "—",
        f"{naive_s:,.0f}",
        f"{siyu['recipients']:,}",
        "—",
        "1×",
    )
    console.print(table)
    console.print(
        f"audience index built in {siyu['index_s']:.1f} s; tasks {siyu['tasks']:,} "
        f"(created {siyu['created']:,}); customers messaged {siyu['messaged']:,}, "
        f"twice {siyu['twice']}, from a sender other than their owner {siyu['wrong_sender']}"
    )
    console.print(
        f"{platform.node()} · {os.cpu_count()} cpu · Python {platform.python_version()} · "
        f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB · "
        f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC"
    )


if __name__ == "__main__":
    main()
