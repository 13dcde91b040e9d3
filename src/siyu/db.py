"""Database: declarative base, portable column types, engines and the unit of work.

SQLite (embedded default) runs in WAL mode with foreign keys on; PostgreSQL via psycopg 3.
The request or job boundary commits; services only add and flush. Callbacks registered with
:func:`after_commit` run once the outermost transaction has committed and are dropped on rollback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" auto-increments.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JSONDoc = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes on both databases (SQLite has no time zone type)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: Dialect
    ) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)


class CreatedAtMixin:
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin (SAVEPOINT support).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # IMMEDIATE takes the write lock up front: a deferred transaction that later writes can
        # fail with SQLITE_BUSY at once when another process wrote meanwhile.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 10})
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "postgresql":
        # Bulk inserts (a page of customers, a batch of callbacks) go as one multi-row INSERT
        # rather than a statement per row, with or without RETURNING.
        engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


SessionFactory = sessionmaker[Session]


class Database:
    """One engine and its session factory; the app, the worker and the CLI each hold one."""

    def __init__(self, engine: Engine, factory: SessionFactory | None = None) -> None:
        self.engine = engine
        self.factory = factory or sessionmaker(bind=engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 20, max_overflow: int = 20) -> Database:
        if url in ("sqlite://", "sqlite:///:memory:"):
            return cls(make_engine(url))
        return cls(make_engine(url, pool_size=pool_size, max_overflow=max_overflow))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work for jobs and the CLI: commit on success, roll back on error."""
        with self.factory() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise


_database: Database | None = None


def get_database() -> Database:
    global _database  # noqa: PLW0603 - one process-wide database, replaceable in tests
    if _database is None:
        from siyu.config import get_settings

        settings = get_settings()
        _database = Database.from_url(
            settings.effective_database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
    return _database


def set_database(database: Database | None) -> None:
    global _database  # noqa: PLW0603
    _database = database


def insert_ignoring(session: Session, table: Table, unique: list[str]) -> Any:
    """``INSERT … ON CONFLICT (unique) DO NOTHING`` for the session's database; executed with a
    list of rows it inserts them in batches, returning what was inserted."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(table).on_conflict_do_nothing(index_elements=unique)


def insert_rows_ignoring(
    session: Session, table: Table, unique: list[str], rows: list[dict[str, Any]]
) -> None:
    """Insert many rows, skipping those that clash on ``unique``, in as few statements as the
    database allows. On PostgreSQL ``ON CONFLICT`` goes row by row unless the statement has a
    RETURNING clause, with which SQLAlchemy sends the rows as multi-row INSERTs: a page of a
    hundred rows is one round trip instead of a hundred."""
    if not rows:
        return
    statement = insert_ignoring(session, table, unique)
    if session.get_bind().dialect.name == "postgresql":
        key = next(iter(table.primary_key.columns))
        session.execute(statement.returning(key), rows).all()
    else:
        session.execute(statement, rows)


_insert_statements: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Any] = {}


def insert_unless_exists(
    session: Session, model: type[Base], values: dict[str, Any], unique: list[str]
) -> int | None:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` on both databases: the new row's id, or
    None when a row with the same unique columns exists. One statement, no savepoint — the way
    to write idempotency keys on hot paths. Statements are built once and reused with bound
    parameters, so SQLAlchemy's compiled cache applies."""
    dialect = session.get_bind().dialect.name
    table = cast(Table, model.__table__)
    cache_key = (dialect, table.name, tuple(unique), tuple(sorted(values)))
    statement = _insert_statements.get(cache_key)
    if statement is None:
        statement = insert_ignoring(session, table, unique).returning(table.c.id)
        _insert_statements[cache_key] = statement
    new_id: int | None = session.execute(statement, values).scalar_one_or_none()
    return new_id


# --- after-commit callbacks ---------------------------------------------------------------

_AFTER_COMMIT_KEY = "siyu_after_commit"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run ``callback`` after ``session`` commits; forget it if the session rolls back."""
    if not session.in_transaction():
        session.begin()  # tie the callback to a transaction, so a rollback drops it
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    callbacks: list[Callable[[], None]] = session.info.pop(_AFTER_COMMIT_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:  # the rows are committed; the sweeper picks up what a failure left
            import logging

            logging.getLogger("siyu.db").exception("after-commit callback failed")


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, previous_transaction: Any) -> None:
    # A rolled-back SAVEPOINT inside the unit of work does not undo the outer work.
    if not previous_transaction.nested:
        session.info.pop(_AFTER_COMMIT_KEY, None)
