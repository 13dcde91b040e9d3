from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from siyu.db import Database, after_commit, make_engine
from siyu.tenants.models import Tenant
from tests.factories import make_tenant


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.db")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_times_come_back_as_aware_utc(session: Session) -> None:
    tenant = make_tenant(session)
    session.commit()
    session.expire_all()
    created = session.get(Tenant, tenant.id)
    assert created is not None
    assert created.created_at.tzinfo is not None
    assert created.created_at.utcoffset() == dt.timedelta(0)


def test_after_commit_callbacks_run_once_after_commit(database: Database) -> None:
    ran: list[str] = []
    with database.factory() as session:
        after_commit(session, lambda: ran.append("x"))
        make_tenant(session)
        assert ran == []
        session.commit()
        assert ran == ["x"]
        session.commit()
    assert ran == ["x"]


def test_after_commit_callbacks_are_dropped_on_rollback(database: Database) -> None:
    ran: list[str] = []
    with database.factory() as session:
        after_commit(session, lambda: ran.append("x"))
        session.rollback()
        session.commit()
    assert ran == []


def test_a_rolled_back_savepoint_keeps_the_outer_callbacks(database: Database) -> None:
    ran: list[str] = []
    with database.factory() as session:
        after_commit(session, lambda: ran.append("outer"))
        nested = session.begin_nested()
        nested.rollback()
        session.commit()
    assert ran == ["outer"]


def test_transaction_rolls_back_on_error(database: Database) -> None:
    def fail_midway() -> None:
        with database.transaction() as session:
            make_tenant(session, name="rolled back")
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_midway()
    with database.factory() as session:
        assert session.query(Tenant).filter(Tenant.name.startswith("rolled back")).count() == 0
