"""The job queue runs on SQLite storage by default and on Redis when SIYU_REDIS_URL is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import redis

from siyu.config import Settings
from siyu.jobs import make_huey

REDIS_URL = os.environ.get("SIYU_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _round_trip(settings: Settings) -> list[int]:
    huey = make_huey(settings)
    seen: list[int] = []

    @huey.task(name="test.round_trip")  # type: ignore[misc]
    def remember(job_id: int) -> None:
        seen.append(job_id)

    huey.flush()
    remember(41)
    remember(42)
    assert huey.pending_count() == 2
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
    huey.flush()
    return seen


def test_sqlite_queue_is_the_embedded_default(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path, jobs_backend="auto", redis_url="")
    assert settings.effective_jobs_backend == "sqlite"
    assert _round_trip(settings) == [41, 42]
    assert (tmp_path / "huey.db").exists()


def test_redis_queue_when_redis_is_configured(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings = Settings(var_dir=tmp_path, jobs_backend="auto", redis_url=REDIS_URL)
    assert settings.effective_jobs_backend == "redis"
    assert _round_trip(settings) == [41, 42]
