from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.jobs import Job, job
from siyu.wecom import callbacks
from siyu.wecom.models import WeComEvent


@job(callbacks.PROCESS_EVENT, max_attempts=10)
def process_event(session: Session, job_row: Job) -> None:
    event = session.get(WeComEvent, job_row.payload["event_id"])
    if event is not None:
        callbacks.process(session, event)
