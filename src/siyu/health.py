"""``/healthz``: can this process reach its database and its job queue?"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.config import Settings
from siyu.db import Database, utcnow
from siyu.wecom.models import WeComConnection


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
            report["wecom"] = _wecom(session)
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
    report.setdefault("wecom", {"status": "unknown"})
    report["status"] = "ok" if healthy else "degraded"
    return healthy, report


def _wecom(session: Session) -> dict[str, Any]:
    """Connected corps, and how many failed their last check or still await WeCom's URL check."""
    total, failing, unverified = session.execute(
        select(
            func.count(),
            func.count().filter(WeComConnection.last_test_ok.is_(False)),
            func.count().filter(WeComConnection.verified_at.is_(None)),
        ).select_from(WeComConnection)
    ).one()
    if not total:
        return {"status": "not_connected"}
    return {
        "status": "connected" if not failing else "failing",
        "connections": total,
        "failing_checks": failing,
        "awaiting_verification": unverified,
    }
