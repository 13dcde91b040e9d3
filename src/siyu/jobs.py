"""Background work: rows first, queue second.

Work that must happen is a :class:`Job` row written in the business transaction. Huey only wakes
a worker once that transaction has committed (nothing is enqueued for a rolled-back one). A worker
claims the row atomically, runs its handler and marks it done in the handler's own transaction, so
the handler's writes and "done" commit together. Failures are retried with jittered exponential
backoff, recorded on the row. A periodic sweeper wakes rows that nobody woke (the process died
between commit and enqueue, the queue was down, a worker crashed mid-job): the row is the truth.

Two kinds of handler:

- ``@job``: ``handler(session, job)`` runs inside one transaction, which also marks the job done,
  so its database writes happen exactly once.
- ``@io_job``: ``handler(database, job)`` holds no transaction; it opens short ones itself around
  its calls to WeCom (or anything slow). Calling out inside a transaction is never right: on SQLite
  that transaction holds the only write lock (which the shared WeCom token cache also needs), on
  PostgreSQL it holds row locks for as long as the call takes. Such a handler makes its effects
  idempotent itself (an idempotency row written before the call), since it may run again.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import pkgutil
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from siyu.config import Settings, get_settings
from siyu.db import (
    Base,
    BigId,
    CreatedAtMixin,
    Database,
    IdMixin,
    JSONDoc,
    UTCDateTime,
    after_commit,
    get_database,
    insert_ignoring,
    insert_unless_exists,
    utcnow,
)

log = logging.getLogger("siyu.jobs")
R = TypeVar("R")

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"
SWEEP_BATCH = 500
BACKOFF_BASE = dt.timedelta(seconds=5)
BACKOFF_CAP = dt.timedelta(hours=1)


class Job(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_jobs_state_run_after", "state", "run_after"),
    )

    tenant_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64))
    # Idempotency key: submitting the same (kind, key) twice yields the one row.
    key: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    state: Mapped[str] = mapped_column(String(12), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    run_after: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


Handler = Callable[[Session, Job], None]
IoHandler = Callable[[Database, Job], None]


@dataclass(frozen=True)
class JobKind:
    name: str
    handler: Handler | None
    io_handler: IoHandler | None
    max_attempts: int
    lease: dt.timedelta


_kinds: dict[str, JobKind] = {}


def _register(kind: str, entry: JobKind) -> None:
    known = _kinds.get(kind)
    if known is not None and (known.handler, known.io_handler) != (entry.handler, entry.io_handler):
        raise RuntimeError(f"job kind {kind!r} registered twice")
    _kinds[kind] = entry


def job(
    kind: str, *, max_attempts: int = 8, lease_seconds: int = 300
) -> Callable[[Handler], Handler]:
    """Register ``handler(session, job)``: it runs in the transaction that marks the job done.
    It must not commit, and must not call WeCom (use :func:`io_job`)."""

    def register(handler: Handler) -> Handler:
        lease = dt.timedelta(seconds=lease_seconds)
        _register(kind, JobKind(kind, handler, None, max_attempts, lease))
        return handler

    return register


def io_job(
    kind: str, *, max_attempts: int = 8, lease_seconds: int = 300
) -> Callable[[IoHandler], IoHandler]:
    """Register ``handler(database, job)`` for work that calls out: no transaction is held
    while it runs; it opens its own short ones. The job is marked done after it returns."""

    def register(handler: IoHandler) -> IoHandler:
        lease = dt.timedelta(seconds=lease_seconds)
        _register(kind, JobKind(kind, None, handler, max_attempts, lease))
        return handler

    return register


def kinds() -> dict[str, JobKind]:
    return dict(_kinds)


# --- the queue --------------------------------------------------------------------------


def make_huey(settings: Settings) -> Huey:
    backend = settings.effective_jobs_backend
    if backend == "redis":
        return RedisHuey("siyu", url=settings.redis_url, results=False)
    if backend == "memory":
        return MemoryHuey("siyu", results=False)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    # No fsync for the queue: it only wakes workers, and a lost wake-up is the sweeper's job.
    return SqliteHuey(
        "siyu", filename=str(settings.var_dir / "huey.db"), results=False, fsync=False
    )


huey = make_huey(get_settings())


@huey.task(name="siyu.wake_job")  # type: ignore[untyped-decorator]
def wake_job(job_id: int) -> None:
    run_job(get_database(), job_id)


# Jobs woken by one queue message when many are submitted at once (a batch of callbacks).
WAKE_CHUNK = 50


@huey.task(name="siyu.wake_jobs")  # type: ignore[untyped-decorator]
def wake_jobs(job_ids: list[int]) -> None:
    database = get_database()
    for job_id in job_ids:
        run_job(database, job_id)


def wake_many(job_ids: list[int]) -> None:
    """Wake many jobs with one queue message per chunk: a batch pays a few round trips to the
    queue, not one per job."""
    for start in range(0, len(job_ids), WAKE_CHUNK):
        wake_jobs(job_ids[start : start + WAKE_CHUNK])


def wake(job_id: int, eta: dt.datetime | None = None) -> None:
    """Ask a worker to run a job now or at ``eta``. Losing this call loses nothing (sweeper)."""
    if eta is not None and eta > utcnow():
        wake_job.schedule(args=(job_id,), eta=eta)
    else:
        wake_job(job_id)


_JOBS = cast(Table, Job.__table__)
_INSERT_JOB = insert(_JOBS).returning(_JOBS.c.id)


def _require_kind(kind: str) -> None:
    """Job kinds register when their ``tasks`` module is imported; any entry point (API, CLI,
    seed) may submit first, so an unknown kind loads them before it counts as unknown."""
    if kind not in _kinds:
        load_task_modules()
    if kind not in _kinds:
        raise KeyError(f"unknown job kind {kind!r}")


def submit(
    session: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    tenant_id: int | None = None,
    key: str | None = None,
    run_after: dt.datetime | None = None,
    chain: bool = False,
) -> int:
    """Write a job row in the caller's transaction and return its id; a worker is woken after
    the transaction commits. With a ``key``, submitting again returns the existing job's id and
    creates nothing (the unique constraint on kind and key decides, even between processes).
    ``chain``: also run it next on this worker thread (see :func:`chain_after`)."""
    _require_kind(kind)
    eta = run_after or utcnow()
    values = {
        "tenant_id": tenant_id,
        "kind": kind,
        "key": key,
        "payload": payload or {},
        "state": PENDING,
        "attempts": 0,
        "max_attempts": _kinds[kind].max_attempts,
        "run_after": eta,
        "created_at": utcnow(),
    }
    if key is None:
        job_id = int(session.execute(_INSERT_JOB, values).scalar_one())
    else:
        new_id = insert_unless_exists(session, Job, values, ["kind", "key"])
        if new_id is None:
            existing = session.scalar(select(Job.id).where(Job.kind == kind, Job.key == key))
            assert existing is not None
            return existing
        job_id = new_id
    after_commit(session, lambda: wake(job_id, eta))
    if chain and run_after is None:
        chain_after(session, [job_id])
    return job_id


def submit_coalesced(
    session: Session, kind: str, payload: dict[str, Any], *, tenant_id: int
) -> int:
    """A job of ``kind`` for the tenant that has not started yet, or a new one: requests made
    while one waits share it, and a request made after it started gets its own, so no change
    goes unseen. For jobs that look again at the whole picture (syncs, pushes of an outbox)."""
    waiting = session.scalar(
        select(Job.id)
        .where(Job.state == PENDING, Job.kind == kind, Job.tenant_id == tenant_id)
        .limit(1)
    )
    if waiting is not None:
        return waiting
    return submit(session, kind, payload, tenant_id=tenant_id)


def submit_many(
    session: Session,
    kind: str,
    items: list[tuple[int | None, str, dict[str, Any]]],
    *,
    chain: bool = False,
) -> dict[str, int]:
    """Submit many keyed jobs of one kind at once: ``(tenant_id, key, payload)`` each. One
    statement for all; keys already present create nothing. Returns the new jobs' ids by key;
    workers are woken after the transaction commits."""
    _require_kind(kind)
    if not items:
        return {}
    now = utcnow()
    rows = [
        {
            "tenant_id": tenant_id,
            "kind": kind,
            "key": key,
            "payload": payload,
            "state": PENDING,
            "attempts": 0,
            "max_attempts": _kinds[kind].max_attempts,
            "run_after": now,
            "created_at": now,
        }
        for tenant_id, key, payload in items
    ]
    created = {
        key: job_id
        for job_id, key in session.execute(
            insert_ignoring(session, _JOBS, ["kind", "key"]).returning(_JOBS.c.id, _JOBS.c.key),
            rows,
        )
    }
    ids = list(created.values())
    after_commit(session, lambda: wake_many(ids))
    if chain:
        chain_after(session, ids)
    return created


def start_run(session: Session, model: type[R], tenant_id: int, kind: str, key: str) -> R:
    """A resumable run (a row of ``model`` with ``tenant_id``, ``state``, ``error`` and
    ``finished_at``) worked by a job of ``kind`` keyed ``{key}:{run id}``: the tenant's run under
    way, or a new one with its job. A run whose job has died is closed as failed, so it never
    blocks the next."""
    table: Any = model
    running = session.scalar(
        select(table).where(table.tenant_id == tenant_id, table.state == "running")
    )
    if running is not None:
        state = session.scalar(
            select(Job.state).where(Job.kind == kind, Job.key == f"{key}:{running.id}")
        )
        if state in (PENDING, RUNNING):
            return cast(R, running)
        running.state, running.finished_at = "failed", utcnow()
        running.error = running.error or "the job stopped; started again"
    run = table(tenant_id=tenant_id, state="running")
    session.add(run)
    session.flush()
    submit(
        session,
        kind,
        {"tenant_id": tenant_id, "run_id": run.id},
        tenant_id=tenant_id,
        key=f"{key}:{run.id}",
    )
    return cast(R, run)


def backoff(attempt: int) -> dt.timedelta:
    delay: dt.timedelta = min(BACKOFF_BASE * (2 ** max(attempt - 1, 0)), BACKOFF_CAP)
    jitter = random.uniform(0.5, 1.5)  # noqa: S311 - jitter, not security
    return delay * jitter


class NotYet(Exception):
    """What a job waits for has not happened yet (a sync, another job): it runs again after its
    backoff. Logged as a wait, without a traceback, until the job gives up."""


class LeaseLost(Exception):
    """Another worker re-claimed the job after our lease ran out; our attempt is void."""


def renew(database: Database, job_row: Job) -> None:
    """For an ``@io_job`` between its calls out: extend the lease, or raise :class:`LeaseLost`
    if the job was re-claimed meanwhile (the lease ran out), so two workers never both go on
    calling WeCom for one job."""
    with database.transaction() as session:
        hold_lease(session, job_row)


def hold_lease(session: Session, job_row: Job) -> None:
    """:func:`renew` inside the caller's transaction: an ``@io_job`` that writes a step's result
    fences it with the lease, so a worker that lost its job writes nothing."""
    kind = _kinds.get(job_row.kind)
    lease = kind.lease if kind else dt.timedelta(minutes=5)
    renewed = session.execute(
        update(Job)
        .where(Job.id == job_row.id, Job.state == RUNNING, Job.attempts == job_row.attempts)
        .values(locked_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    if renewed.rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"job {job_row.id} was re-claimed by another worker")


_chained = threading.local()
MAX_CHAINED = 50


def chain_after(session: Session, job_ids: list[int]) -> None:
    """Run these jobs on this thread as soon as the job being run finishes (once ``session``
    commits), instead of only waking a worker: the steps of one pipeline — a callback, the
    customer read, the welcome — then follow each other at once rather than each queueing
    behind a burst. They are woken as usual too; whoever claims a job first runs it. Outside a
    worker's job (an API request) this does nothing more than the wake."""
    if getattr(_chained, "active", False):
        after_commit(session, lambda: _chained.__dict__.setdefault("ids", []).extend(job_ids))


def run_job(database: Database, job_id: int, *, now: dt.datetime | None = None) -> bool:
    """Claim and run one job, then the jobs it chained. Returns True when this call completed
    the job itself."""
    if getattr(_chained, "active", False):
        return _run_one(database, job_id, now=now)
    _chained.active, _chained.ids = True, []
    try:
        done = _run_one(database, job_id, now=now)
        ran = 0
        while _chained.ids and ran < MAX_CHAINED:
            _run_one(database, _chained.ids.pop(0), now=now)
            ran += 1
        return done
    finally:
        _chained.active, _chained.ids = False, []


def _run_one(database: Database, job_id: int, *, now: dt.datetime | None = None) -> bool:
    now = now or utcnow()
    with database.transaction() as session:
        row = session.get(Job, job_id)
        if row is None:
            return False
        kind = _kinds.get(row.kind)
        lease = kind.lease if kind else dt.timedelta(minutes=5)
        claimable = or_(
            and_(Job.state == PENDING, Job.run_after <= now),
            # A worker died holding it: try again, unless every attempt has been spent.
            and_(Job.state == RUNNING, Job.locked_until < now, Job.attempts < Job.max_attempts),
        )
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, claimable)
            .values(state=RUNNING, attempts=Job.attempts + 1, locked_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            return False
        # Read back under the row lock the UPDATE took: this attempt's fencing number.
        attempt = session.scalar(select(Job.attempts).where(Job.id == job_id)) or 1
        job_kind, max_attempts = row.kind, row.max_attempts
    try:
        if kind is None:
            raise LookupError(f"no handler for job kind {job_kind!r} in this version of Siyu")
        if kind.io_handler is not None:
            with database.factory() as session:
                detached = session.get(Job, job_id)
                assert detached is not None
                session.expunge(detached)
            kind.io_handler(database, detached)
        with database.transaction() as session:
            if kind.handler is not None:
                current = session.get(Job, job_id)
                assert current is not None
                kind.handler(session, current)
            finished = session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
                .values(state=DONE, finished_at=utcnow(), locked_until=None, last_error=None)
                .execution_options(synchronize_session=False)
            )
            if finished.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost
    except LeaseLost:
        log.warning("job %s: lease lost, its work was rolled back and runs elsewhere", job_id)
        return False
    except Exception as exc:
        give_up = attempt >= max_attempts or kind is None
        # Counted from the later of the claim time and now: a long attempt still waits its backoff.
        retry_at = max(now, utcnow()) + backoff(attempt)
        if isinstance(exc, NotYet) and not give_up:
            log.info("job %s (%s) waits (attempt %s): %s", job_id, job_kind, attempt, exc)
        else:
            log.warning(
                "job %s (%s) attempt %s/%s failed: %r%s",
                job_id,
                job_kind,
                attempt,
                max_attempts,
                exc,
                "; giving up" if give_up else "",
                exc_info=exc,
            )
        with database.transaction() as session:
            session.execute(
                update(Job)
                .where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
                .values(
                    state=DEAD if give_up else PENDING,
                    run_after=retry_at,
                    locked_until=None,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    finished_at=utcnow() if give_up else None,
                )
                .execution_options(synchronize_session=False)
            )
        if not give_up:
            wake(job_id, retry_at)
        return False
    return True


def overdue_ids(
    session: Session, *, now: dt.datetime, grace: dt.timedelta, limit: int = SWEEP_BATCH
) -> list[int]:
    """Jobs that should have run by now: pending past their time, or running past their lease."""
    return list(
        session.scalars(
            select(Job.id)
            .where(
                or_(
                    and_(Job.state == PENDING, Job.run_after <= now - grace),
                    and_(Job.state == RUNNING, Job.locked_until < now),
                )
            )
            .order_by(Job.run_after)
            .limit(limit)
        )
    )


def sweep(
    database: Database, *, now: dt.datetime | None = None, grace: dt.timedelta | None = None
) -> int:
    """Wake every overdue job once more. Returns how many were woken."""
    now = now or utcnow()
    if grace is None:
        grace = dt.timedelta(seconds=get_settings().job_sweep_grace_seconds)
    with database.transaction() as session:
        # Jobs whose workers died on every attempt (a crash, not an error) are given up.
        session.execute(
            update(Job)
            .where(Job.state == RUNNING, Job.locked_until < now, Job.attempts >= Job.max_attempts)
            .values(
                state=DEAD,
                locked_until=None,
                finished_at=now,
                last_error="the worker stopped during every attempt (crash or kill)",
            )
            .execution_options(synchronize_session=False)
        )
        ids = overdue_ids(session, now=now, grace=grace)
    for job_id in ids:
        wake(job_id)
    if ids:
        log.info("sweeper woke %d overdue jobs", len(ids))
    return len(ids)


@huey.periodic_task(crontab(minute="*"), name="siyu.sweep_jobs")  # type: ignore[untyped-decorator]
def sweep_jobs() -> None:
    sweep(get_database())


def submit_slot(kind: str, at: dt.datetime | None = None) -> int:
    """Submit the job of one schedule slot: keyed by kind and minute, so several schedulers
    firing for the same minute make one job."""
    slot = (at or utcnow()).strftime("%Y-%m-%dT%H:%M")
    with get_database().transaction() as session:
        return submit(session, kind, key=f"schedule:{slot}")


def every(schedule: crontab, kind: str) -> None:
    """Run a job kind on a schedule (one row per slot, see :func:`submit_slot`)."""
    huey.periodic_task(schedule, name=f"siyu.schedule.{kind}")(lambda: submit_slot(kind))


def load_task_modules() -> None:
    """Import every ``siyu.<domain>.tasks`` module so its job kinds and schedules register."""
    import siyu

    for module in pkgutil.iter_modules(siyu.__path__):
        if module.ispkg:
            try:
                importlib.import_module(f"siyu.{module.name}.tasks")
            except ModuleNotFoundError as exc:
                if exc.name != f"siyu.{module.name}.tasks":
                    raise


def queue_size() -> int:
    return int(huey.pending_count())
