from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import select

from siyu import jobs
from siyu.db import Database, utcnow
from siyu.jobs import Job

RunJobs = Callable[..., int]


@pytest.fixture
def run_jobs(database: Database) -> RunJobs:
    """Run due jobs as a worker would, until none is left (or ``rounds`` passes); ``later``
    runs retries whose backoff has not passed yet. Returns how many ran to completion."""

    def run(*kinds: str, later: bool = False, rounds: int = 20) -> int:
        done = 0
        for _ in range(rounds):
            with database.factory() as session:
                query = select(Job.id).where(Job.state.in_([jobs.PENDING])).order_by(Job.id)
                if kinds:
                    query = query.where(Job.kind.in_(kinds))
                ids = list(session.scalars(query))
            if not ids:
                break
            now = utcnow() + (dt.timedelta(hours=1) if later else dt.timedelta(0))
            ran = [jobs.run_job(database, job_id, now=now) for job_id in ids]
            done += sum(ran)
            if not any(ran) and not later:
                break
        return done

    return run
