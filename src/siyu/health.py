"""``/healthz``: can this process reach its database and its job queue?"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text

from siyu import jobs
from siyu.config import Settings
from siyu.db import Database, utcnow


def check(database: Database, settings: Settings) -> tuple[bool, dict[str, Any]]:
    report: dict[str, Any] = {}
    healthy = True
    try:
        with database.factory() as session:
            session.execute(text("SELECT 1"))
            overdue = len(
                jobs.overdue_ids(
                    session,
                    now=utcnow(),
                    grace=dt.timedelta(seconds=settings.job_sweep_grace_seconds),
                    limit=1000,
                )
            )
        report["database"] = {"ok": True, "dialect": database.engine.dialect.name}
    except Exception as exc:
        healthy = False
        overdue = -1
        report["database"] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    try:
        queued = jobs.queue_size()
        report["jobs"] = {
            "ok": True,
            "backend": settings.effective_jobs_backend,
            "queued": queued,
            "overdue": overdue,
        }
    except Exception as exc:
        healthy = False
        report["jobs"] = {
            "ok": False,
            "backend": settings.effective_jobs_backend,
            "error": str(exc)[:300],
        }
    report["wecom"] = {"status": "not_connected"}
    report["status"] = "ok" if healthy else "degraded"
    return healthy, report
