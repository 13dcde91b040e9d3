"""The audience indexes this process holds, one per tenant: built from the database on first
use (or at start), caught up from the change log before every answer, rebuilt on demand.

Catching up reads the changes after the last one seen, and again those of the last few
seconds: a transaction that took an earlier id may commit after a later one was read, and
re-reading a customer's facts is harmless.
"""

from __future__ import annotations

import ctypes
import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.segments import facts
from siyu.segments.index import SegmentIndex
from siyu.segments.models import AudienceChange

LATE_COMMITS = dt.timedelta(seconds=10)
PAGE = 50_000


@dataclass
class Live:
    index: SegmentIndex
    watermark: int
    built_at: dt.datetime
    build_seconds: float
    polled_at: dt.datetime
    applied: int = 0
    # Changes already applied among those a catch-up reads again (the last few seconds').
    seen: set[int] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)


_indexes: dict[int, Live] = {}
_guard = threading.Lock()


def _last_change(session: Session, tenant_id: int) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.max(AudienceChange.id), 0)).where(
                AudienceChange.tenant_id == tenant_id
            )
        )
        or 0
    )


def rebuild(session: Session, tenant_id: int, *, parallel: bool = False) -> Live:
    """Build the tenant's index afresh and hold it (replacing any held). ``parallel``: see
    :func:`facts.build` (only for a session with nothing uncommitted)."""
    started, now = time.perf_counter(), utcnow()
    watermark = _last_change(session, tenant_id)
    index = facts.build(session, tenant_id, parallel=parallel)
    live = Live(index, watermark, now, time.perf_counter() - started, now)
    with _guard:
        _indexes[tenant_id] = live
    catch_up(session, live)
    _give_back_memory()
    return live


def _give_back_memory() -> None:
    """Hand the build's scratch memory back to the system. glibc keeps what a big build freed
    for later use (tens of MB at a million customers) unless asked to return it."""
    try:
        trim = ctypes.CDLL(None).malloc_trim  # the process's own C library
    except (OSError, AttributeError):  # not glibc: no such call
        return
    trim(0)


def held(tenant_id: int) -> Live | None:
    return _indexes.get(tenant_id)


def index_for(session: Session, tenant_id: int) -> Live:
    """The tenant's index, caught up with every change committed before this call."""
    live = _indexes.get(tenant_id)
    if live is None:
        return rebuild(session, tenant_id)
    catch_up(session, live)
    return live


def catch_up(session: Session, live: Live) -> int:
    """Apply the changes committed since the last catch-up; the number of customers re-read.
    The last few seconds' changes are listed again (one committed late may have an id below
    the watermark) but only those not applied yet are read."""
    tenant_id = live.index.tenant_id
    read = 0
    with live.lock:
        now = utcnow()
        since = live.polled_at - LATE_COMMITS
        after = 0
        recent: set[int] = set()
        while True:
            rows = session.execute(
                select(AudienceChange.id, AudienceChange.customer_id, AudienceChange.at)
                .where(
                    AudienceChange.tenant_id == tenant_id,
                    AudienceChange.id > after,
                    or_(AudienceChange.id > live.watermark, AudienceChange.at >= since),
                )
                .order_by(AudienceChange.id)
                .limit(PAGE)
            ).all()
            recent.update(r.id for r in rows if r.at >= now - LATE_COMMITS)
            fresh = [r for r in rows if r.id not in live.seen]
            if fresh:
                ids = sorted({r.customer_id for r in fresh})
                live.index.put(facts.facts_of(session, tenant_id, ids))
                read += len(ids)
            if rows:
                live.watermark = max(live.watermark, rows[-1].id)
                after = rows[-1].id
            if len(rows) < PAGE:
                break
        live.seen = recent
        live.applied += read
        live.polled_at = now
        return read


def forget(tenant_id: int | None = None) -> None:
    """Drop held indexes (one tenant's, or all)."""
    with _guard:
        if tenant_id is None:
            _indexes.clear()
        else:
            _indexes.pop(tenant_id, None)
