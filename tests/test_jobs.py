from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.audit import service as audit
from siyu.audit.models import AuditEvent
from siyu.auth.principal import system_principal
from siyu.db import Database, utcnow
from siyu.jobs import Job
from tests.factories import make_tenant

failures_left: dict[str, int] = {}


@jobs.job("test.effect", max_attempts=3)
def _effect(session: Session, job: Job) -> None:
    """A job whose effect is a row, so "done once" can be counted in the database."""
    tenant_id = job.payload["tenant_id"]
    if failures_left.get("test.effect", 0) > 0:
        failures_left["test.effect"] -= 1
        raise ConnectionError("WeCom did not answer")
    audit.record(
        session, system_principal(tenant_id), "test.effect", entity_type="job", entity_id=job.id
    )


@jobs.job("test.waiting", max_attempts=2)
def _waiting(session: Session, job: Job) -> None:
    raise jobs.NotYet("waiting for the customer sync")


@jobs.job("test.stolen")
def _stolen(session: Session, job: Job) -> None:
    audit.record(
        session,
        system_principal(job.payload["tenant_id"]),
        "test.effect",
        entity_type="job",
        entity_id=job.id,
    )
    # Meanwhile another worker re-claimed the job after our lease ran out.
    session.execute(update(Job).where(Job.id == job.id).values(attempts=Job.attempts + 1))


def effects(database: Database) -> int:
    with database.factory() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "test.effect")
            )
            or 0
        )


def job_row(database: Database, job_id: int) -> Job:
    with database.factory() as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row


@pytest.fixture
def tenant_id(database: Database) -> int:
    with database.transaction() as session:
        return make_tenant(session).id


@pytest.fixture(autouse=True)
def _no_failures() -> None:
    failures_left.clear()


def submit(
    database: Database, tenant_id: int, kind: str = "test.effect", key: str | None = None
) -> int:
    with database.transaction() as session:
        return jobs.submit(session, kind, {"tenant_id": tenant_id}, tenant_id=tenant_id, key=key)


def test_job_runs_once_after_the_transaction_commits(
    database: Database, tenant_id: int, drain_jobs: Callable[[], int]
) -> None:
    with database.factory() as session:
        job_id = jobs.submit(session, "test.effect", {"tenant_id": tenant_id})
        assert jobs.huey.pending_count() == 0  # nothing is queued before the commit
        session.commit()
    assert jobs.huey.pending_count() == 1
    assert drain_jobs() == 1
    assert effects(database) == 1
    row = job_row(database, job_id)
    assert (row.state, row.attempts) == ("done", 1)


def test_job_submitted_in_a_rolled_back_transaction_never_runs(
    database: Database, tenant_id: int, drain_jobs: Callable[[], int]
) -> None:
    with database.factory() as session:
        jobs.submit(session, "test.effect", {"tenant_id": tenant_id})
        session.rollback()
    assert drain_jobs() == 0
    assert jobs.sweep(database, now=utcnow() + dt.timedelta(hours=1)) == 0
    assert drain_jobs() == 0
    assert effects(database) == 0


def test_a_lost_enqueue_is_recovered_by_the_sweeper_exactly_once(
    database: Database,
    tenant_id: int,
    drain_jobs: Callable[[], int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_wake = jobs.wake

    def queue_down(job_id: int, eta: dt.datetime | None = None) -> None:
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(jobs, "wake", queue_down)
    job_id = submit(database, tenant_id)  # the commit succeeds; the wake-up is lost
    monkeypatch.setattr(jobs, "wake", real_wake)
    assert drain_jobs() == 0
    assert job_row(database, job_id).state == "pending"

    # Within the grace period the sweeper leaves it alone; past it, it wakes it once.
    assert jobs.sweep(database, grace=dt.timedelta(minutes=1)) == 0
    later = utcnow() + dt.timedelta(minutes=2)
    assert jobs.sweep(database, now=later, grace=dt.timedelta(minutes=1)) == 1
    assert drain_jobs() == 1
    assert effects(database) == 1
    assert job_row(database, job_id).state == "done"
    assert jobs.sweep(database, now=later, grace=dt.timedelta(minutes=1)) == 0
    assert drain_jobs() == 0
    assert effects(database) == 1


def test_a_second_wake_up_for_a_done_job_does_nothing(
    database: Database, tenant_id: int, drain_jobs: Callable[[], int]
) -> None:
    job_id = submit(database, tenant_id)
    jobs.wake(job_id)  # a duplicate wake-up, as a sweeper racing the queue would send
    assert drain_jobs() == 2
    assert effects(database) == 1


def test_keyed_submit_returns_the_existing_job(database: Database, tenant_id: int) -> None:
    first = submit(database, tenant_id, key="welcome:42")
    second = submit(database, tenant_id, key="welcome:42")
    assert first == second
    with database.factory() as session:
        assert (
            session.scalar(select(func.count()).select_from(Job).where(Job.key == "welcome:42"))
            == 1
        )


def test_a_failing_job_retries_with_growing_backoff_then_gives_up(
    database: Database, tenant_id: int
) -> None:
    failures_left["test.effect"] = 10
    job_id = submit(database, tenant_id)
    delays = []
    now = utcnow()
    for attempt in (1, 2):
        assert jobs.run_job(database, job_id, now=now) is False
        row = job_row(database, job_id)
        assert (row.state, row.attempts) == ("pending", attempt)
        assert row.last_error is not None
        assert "WeCom did not answer" in row.last_error
        delays.append(row.run_after - now)
        # Not due yet: a wake-up before run_after does nothing.
        assert jobs.run_job(database, job_id, now=now) is False
        assert job_row(database, job_id).attempts == attempt
        now = row.run_after
    assert delays[0] > dt.timedelta(0)
    assert jobs.run_job(database, job_id, now=now) is False
    row = job_row(database, job_id)
    assert (row.state, row.attempts) == ("dead", 3)
    assert effects(database) == 0


def test_a_job_that_waits_is_logged_as_waiting_until_it_gives_up(
    database: Database, tenant_id: int, caplog: pytest.LogCaptureFixture
) -> None:
    job_id = submit(database, tenant_id, "test.waiting")
    with caplog.at_level("INFO", logger="siyu.jobs"):
        assert jobs.run_job(database, job_id) is False
    (waited,) = [r for r in caplog.records if r.name == "siyu.jobs"]
    assert (waited.levelname, waited.exc_info) == ("INFO", None)
    assert "waits" in waited.getMessage()
    assert "waiting for the customer sync" in waited.getMessage()
    row = job_row(database, job_id)
    assert row.state == "pending"
    caplog.clear()
    with caplog.at_level("INFO", logger="siyu.jobs"):
        assert jobs.run_job(database, job_id, now=row.run_after) is False
    (gave_up,) = [r for r in caplog.records if r.name == "siyu.jobs"]
    assert gave_up.levelname == "WARNING"
    assert "giving up" in gave_up.getMessage()
    assert job_row(database, job_id).state == "dead"


def test_a_job_that_fails_once_succeeds_on_retry(database: Database, tenant_id: int) -> None:
    failures_left["test.effect"] = 1
    job_id = submit(database, tenant_id)
    assert jobs.run_job(database, job_id) is False
    retry_at = job_row(database, job_id).run_after
    assert jobs.run_job(database, job_id, now=retry_at) is True
    assert effects(database) == 1
    assert job_row(database, job_id).state == "done"


def test_a_crashed_worker_leaves_a_lease_that_the_sweeper_reclaims(
    database: Database, tenant_id: int, drain_jobs: Callable[[], int]
) -> None:
    job_id = submit(database, tenant_id)
    jobs.huey.flush()
    with database.transaction() as session:  # a worker claimed it, then died
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state="running", attempts=1, locked_until=utcnow() + dt.timedelta(minutes=5))
        )
    assert jobs.sweep(database) == 0  # its lease still holds
    after_lease = utcnow() + dt.timedelta(minutes=6)
    assert jobs.sweep(database, now=after_lease) == 1
    assert jobs.run_job(database, job_id, now=after_lease) is True
    assert effects(database) == 1
    assert job_row(database, job_id).attempts == 2


def test_a_worker_that_lost_its_lease_does_not_commit_its_work(
    database: Database, tenant_id: int
) -> None:
    job_id = submit(database, tenant_id, kind="test.stolen")
    assert jobs.run_job(database, job_id) is False
    assert effects(database) == 0
    assert job_row(database, job_id).state == "running"  # the other worker owns it now


def test_a_job_of_an_unknown_kind_is_marked_dead_with_the_reason(
    database: Database, tenant_id: int
) -> None:
    with database.transaction() as session:
        row = Job(tenant_id=tenant_id, kind="removed.kind", payload={}, max_attempts=5)
        session.add(row)
        session.flush()
        job_id = row.id
    assert jobs.run_job(database, job_id) is False
    row = job_row(database, job_id)
    assert row.state == "dead"
    assert "removed.kind" in (row.last_error or "")


def test_a_schedule_slot_makes_one_job_however_many_schedulers_fire(database: Database) -> None:
    jobs.load_task_modules()
    assert "siyu.schedule.auth.cleanup" in {t.__name__ for t in jobs.huey._registry._periodic_tasks}
    at = dt.datetime(2026, 11, 23, 10, 7, 12, tzinfo=dt.UTC)
    first = jobs.submit_slot("auth.cleanup", at)
    assert jobs.submit_slot("auth.cleanup", at + dt.timedelta(seconds=30)) == first
    later = jobs.submit_slot("auth.cleanup", at + dt.timedelta(hours=1))
    assert later != first
    with database.factory() as session:
        keys = session.scalars(select(Job.key).where(Job.kind == "auth.cleanup")).all()
    assert sorted(keys) == ["schedule:2026-11-23T10:07", "schedule:2026-11-23T11:07"]


def test_a_job_whose_worker_dies_every_time_is_given_up(database: Database, tenant_id: int) -> None:
    job_id = submit(database, tenant_id)
    jobs.huey.flush()
    with database.transaction() as session:  # three workers claimed it and died
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(state="running", attempts=3, locked_until=utcnow() - dt.timedelta(minutes=1))
        )
    assert jobs.run_job(database, job_id) is False  # nothing left to spend
    assert jobs.sweep(database) == 0
    row = job_row(database, job_id)
    assert row.state == "dead"
    assert "worker stopped" in (row.last_error or "")
    assert effects(database) == 0


@jobs.job("test.first_step")
def _first_step(session: Session, job: Job) -> None:
    """A pipeline's first step: its next step is chained, so it runs at once on this thread."""
    jobs.submit(session, "test.effect", {"tenant_id": job.payload["tenant_id"]}, chain=True)


def test_a_chained_job_runs_right_after_the_one_that_chained_it(database: Database) -> None:
    with database.transaction() as session:
        tenant = make_tenant(session)
        first = jobs.submit(session, "test.first_step", {"tenant_id": tenant.id}, chain=True)
    assert jobs.run_job(database, first)
    assert effects(database) == 1  # the chained step ran in the same call
    with database.factory() as session:
        states = set(session.scalars(select(Job.state).where(Job.kind == "test.effect")))
    assert states == {jobs.DONE}
    # A worker woken for the chained job finds it done and does nothing twice.
    with database.factory() as session:
        chained = session.scalar(select(Job.id).where(Job.kind == "test.effect"))
    assert chained is not None
    assert not jobs.run_job(database, chained)
    assert effects(database) == 1
