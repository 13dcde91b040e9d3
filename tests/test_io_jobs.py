"""Jobs that call out (``@io_job``) hold no transaction while they run.

On a database whose commits are real (as between processes), the handler uses the shared WeCom
token cache — which needs SQLite's only write lock — and writes its outcome in its own short
transaction; the job is then marked done once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.audit import service as audit
from siyu.audit.models import AuditEvent
from siyu.auth.principal import system_principal
from siyu.db import Database
from siyu.jobs import Job
from siyu.tenants.models import Tenant
from siyu.wecom.models import WeComToken
from siyu.wecom.tokens import TokenStore
from tests.factories import make_tenant

calls: list[int] = []


@jobs.io_job("test.calls_out", max_attempts=2)
def _calls_out(database: Database, job: Job) -> None:
    tenant_id = job.payload["tenant_id"]
    # No connection (and so no transaction) is held for the handler, on any database.
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    token = TokenStore(database, tenant_id).get("wwcorp", "secret", lambda: ("tok", 7200))
    calls.append(job.id)
    with database.transaction() as session:
        audit.record(
            session,
            system_principal(tenant_id),
            "test.called_out",
            entity_type="job",
            entity_id=job.id,
            after={"token": token},
        )


@jobs.io_job("test.lease_stolen", max_attempts=2)
def _lease_stolen(database: Database, job: Job) -> None:
    calls.append(job.id)
    with database.transaction() as session:  # its lease ran out and another worker took it
        session.execute(update(Job).where(Job.id == job.id).values(attempts=Job.attempts + 1))
    jobs.renew(database, job)  # between two calls out: stop here
    calls.append(-job.id)  # never reached


@jobs.io_job("test.fails_out", max_attempts=2)
def _fails_out(database: Database, job: Job) -> None:
    raise ConnectionError("WeCom unreachable")


@pytest.fixture
def real(engine: Engine) -> Iterator[tuple[Database, int]]:
    database = Database(engine)
    with database.transaction() as session:
        tenant_id = make_tenant(session, "io").id
    calls.clear()
    yield database, tenant_id
    with database.transaction() as session:
        for model in (AuditEvent, Job, WeComToken):
            session.execute(delete(model).where(model.tenant_id == tenant_id))
        session.execute(delete(Tenant).where(Tenant.id == tenant_id))


def _submit(database: Database, tenant_id: int, kind: str) -> int:
    with database.transaction() as session:
        return jobs.submit(session, kind, {"tenant_id": tenant_id}, tenant_id=tenant_id)


def test_an_io_job_calls_out_without_holding_a_transaction(real: tuple[Database, int]) -> None:
    database, tenant_id = real
    job_id = _submit(database, tenant_id, "test.calls_out")
    assert jobs.run_job(database, job_id) is True
    assert calls == [job_id]
    with database.factory() as session:
        assert session.get(Job, job_id).state == "done"  # type: ignore[union-attr]
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "test.called_out")
        ).all()
        assert [e.after for e in events] == [{"token": "tok"}]
    assert jobs.run_job(database, job_id) is False  # done is done
    assert calls == [job_id]


def test_a_failing_io_job_is_retried_then_given_up(real: tuple[Database, int]) -> None:
    database, tenant_id = real
    job_id = _submit(database, tenant_id, "test.fails_out")
    assert jobs.run_job(database, job_id) is False
    with database.factory() as session:
        row = session.get(Job, job_id)
        assert row is not None
        assert (row.state, row.attempts) == ("pending", 1)
        retry_at = row.run_after
    assert jobs.run_job(database, job_id, now=retry_at) is False
    with database.factory() as session:
        row = session.get(Job, job_id)
        assert row is not None
        assert (row.state, row.attempts) == ("dead", 2)
        assert "WeCom unreachable" in (row.last_error or "")


def test_a_kind_cannot_be_registered_twice_with_different_handlers() -> None:
    def other(session: Session, job: Job) -> None:
        return None

    with pytest.raises(RuntimeError, match="registered twice"):
        jobs.job("test.calls_out")(other)


def test_an_io_job_that_lost_its_lease_stops_before_its_next_call(
    real: tuple[Database, int],
) -> None:
    database, tenant_id = real
    job_id = _submit(database, tenant_id, "test.lease_stolen")
    assert jobs.run_job(database, job_id) is False
    assert calls == [job_id]  # the second call out never happened
    with database.factory() as session:
        row = session.get(Job, job_id)
        assert row is not None
        assert row.state == "running"  # the other worker's attempt, untouched
