"""Add-friend jobs: reading a list's file into tasks, the nightly planning of the days ahead, and
the demo tenant's list."""

from __future__ import annotations

from huey import crontab
from sqlalchemy.orm import Session

from siyu.addfriend import demo, imports, repository, service
from siyu.addfriend import events as _events  # noqa: F401 - registers the friendship listener
from siyu.db import Database
from siyu.jobs import Job, every, hold_lease, io_job, job

PLAN_JOB = "addfriend.plan_days"
DEMO_JOB = "addfriend.demo"


@io_job(imports.IMPORT_JOB, max_attempts=5)
def import_list(database: Database, job_row: Job) -> None:
    imports.run(database, job_row.payload["list_id"], fence=lambda s: hold_lease(s, job_row))


@job(PLAN_JOB, max_attempts=3)
def plan_days(session: Session, job_row: Job) -> None:
    """Just after midnight in China: what was not done yesterday rolls over, the week ahead is
    planned again within each account's daily limit."""
    for tenant_id, userids in repository.working_accounts(session).items():
        service.plan_tenant(session, tenant_id, userids)


every(crontab(hour="16", minute="5"), PLAN_JOB)  # 00:05 in China


@job(DEMO_JOB, max_attempts=12)
def demo_list(session: Session, job_row: Job) -> None:
    demo.seed(session, job_row.payload["tenant_id"])
