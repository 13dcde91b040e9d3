"""Every ten minutes each enabled playbook's posts get their next slot (see
:func:`siyu.playbooks.service.ensure_next`)."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.jobs import Job, every, job
from siyu.playbooks import service
from siyu.playbooks.models import Playbook

TICK_JOB = "playbooks.tick"


@job(TICK_JOB, max_attempts=2)
def tick(session: Session, job_row: Job) -> None:
    now = utcnow()
    for playbook in session.scalars(select(Playbook).where(Playbook.enabled.is_(True))):
        service.ensure_next(session, playbook, now)


every(crontab(minute="*/10"), TICK_JOB)
