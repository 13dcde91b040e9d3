"""What the audience indexes must re-read: every write that changes a customer's facts calls
:func:`touch` inside its own transaction, so a rolled-back change leaves no trace and a
committed one is never missed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, delete, insert
from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.segments.models import AudienceChange

TABLE = cast(Table, AudienceChange.__table__)
KEEP = dt.timedelta(days=1)


def touch(session: Session, tenant_id: int, customer_ids: Iterable[int]) -> None:
    ids = sorted(set(customer_ids))
    if ids:
        now = utcnow()
        session.execute(
            insert(TABLE), [{"tenant_id": tenant_id, "customer_id": c, "at": now} for c in ids]
        )


def prune(session: Session, now: dt.datetime | None = None) -> int:
    """Forget changes older than a day: an index that old is rebuilt, not caught up."""
    cutoff = (now or utcnow()) - KEEP
    result = session.execute(delete(AudienceChange).where(AudienceChange.at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
