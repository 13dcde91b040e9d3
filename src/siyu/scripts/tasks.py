"""Script jobs: make the staff tasks of sequence runs — for one run when it starts, and for
every active run every ten minutes (the day turns at midnight China time)."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy.orm import Session

from siyu.jobs import Job, every, job
from siyu.scripts import demo, repository, sequences, staff_tasks
from siyu.scripts.models import ACTIVE, SequenceRun

log = logging.getLogger("siyu.scripts")

ALL_RUNS_JOB = "scripts.make_all_tasks"


@job(sequences.RUN_JOB, max_attempts=5, lease_seconds=900)
def make_run_tasks(session: Session, job_row: Job) -> None:
    run = session.get(SequenceRun, int(job_row.payload["run_id"]))
    if run is None or run.state != ACTIVE:
        return
    made = staff_tasks.make_tasks(session, run, sequences.today())
    if made:
        log.info("sequence run %s: %d staff tasks made", run.id, made)


@job(ALL_RUNS_JOB, max_attempts=3, lease_seconds=1800)
def make_all_tasks(session: Session, job_row: Job) -> None:
    today = sequences.today()
    made = sum(
        staff_tasks.make_tasks(session, run, today)
        for run in repository.active_runs(session, today)
    )
    if made:
        log.info("sequence runs: %d staff tasks made", made)


every(crontab(minute="*/10"), ALL_RUNS_JOB)


@job(demo.DEMO_JOB, max_attempts=12)
def demo_run(session: Session, job_row: Job) -> None:
    """The demo's 7-day promotion run, once the customers are synced."""
    demo.seed_run(session, int(job_row.payload["tenant_id"]))
