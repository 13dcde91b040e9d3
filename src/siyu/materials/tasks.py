"""Material jobs: every hour, media ids of materials used in the last week that expire within
12 hours are made again, so a mass message or a post does not wait for uploads."""

from __future__ import annotations

import logging

from huey import crontab

from siyu.db import Database
from siyu.jobs import Job, every, io_job
from siyu.materials import media
from siyu.wecom import service as wecom

log = logging.getLogger("siyu.materials")

REFRESH_JOB = "materials.refresh_media"


@io_job(REFRESH_JOB, max_attempts=3, lease_seconds=1800)
def refresh_media(database: Database, job_row: Job) -> None:
    made = media.refresh_expiring(
        database, lambda tenant_id: wecom.client_for_tenant(database, tenant_id)
    )
    if made:
        log.info("materials: %d media ids made again before they expire", made)


every(crontab(minute="41"), REFRESH_JOB)
