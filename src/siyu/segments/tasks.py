"""Segment jobs: forgetting old entries of the audience change log."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy.orm import Session

from siyu.jobs import Job, every, job
from siyu.segments import changes

log = logging.getLogger(__name__)


@job("segments.prune_changes", max_attempts=2)
def prune_changes(session: Session, job_row: Job) -> None:
    gone = changes.prune(session)
    if gone:
        log.info("segments: %d old audience changes forgotten", gone)


every(crontab(minute="17", hour="4"), "segments.prune_changes")
