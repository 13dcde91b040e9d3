"""Housekeeping for sign-in: expired sessions and old failure records go, hourly."""

from __future__ import annotations

import datetime as dt

from huey import crontab
from sqlalchemy.orm import Session

from siyu.auth import repository
from siyu.config import get_settings
from siyu.db import utcnow
from siyu.jobs import Job, every, job


@job("auth.cleanup", max_attempts=3)
def cleanup(session: Session, _job: Job) -> None:
    settings = get_settings()
    now = utcnow()
    repository.delete_expired(
        session,
        now,
        failures_before=now - dt.timedelta(minutes=settings.login_failure_window_minutes),
    )


every(crontab(minute="7"), "auth.cleanup")
