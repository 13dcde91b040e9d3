"""Moments posts for tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.moments.models import MomentPost
from siyu.tenants.models import Tenant


def make_moment_post(
    session: Session, tenant: Tenant, text: str = "周末愉快", kind: str = "light"
) -> MomentPost:
    """A scheduled post for all staff, tomorrow."""
    at = utcnow() + dt.timedelta(days=1)
    post = MomentPost(
        tenant_id=tenant.id,
        kind=kind,
        text=text,
        all_staff=True,
        state="scheduled",
        planned_at=at,
        due_at=at,
    )
    session.add(post)
    session.flush()
    return post
