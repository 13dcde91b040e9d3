from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from siyu.jobs import Job
from siyu.staff.models import Department, StaffAccount
from siyu.staff.service import SYNC_JOB


def page(
    session: Session,
    tenant_id: int,
    *,
    offset: int,
    limit: int,
    q: str | None = None,
    status: str | None = None,
    department_id: int | None = None,
) -> tuple[Sequence[StaffAccount], int]:
    query = select(StaffAccount).where(StaffAccount.tenant_id == tenant_id)
    if q:
        pattern = f"%{q.strip()}%"
        query = query.where(
            or_(
                StaffAccount.name.like(pattern, escape="\\"),
                StaffAccount.userid.like(pattern, escape="\\"),
            )
        )
    if status:
        query = query.where(StaffAccount.status == status)
    rows = session.scalars(query.order_by(StaffAccount.status, StaffAccount.name)).all()
    if department_id is not None:
        # Department lists are small JSON arrays: filtered here, the same on both databases.
        rows = [r for r in rows if department_id in r.department_ids]
    return rows[offset : offset + limit], len(rows)


def departments_with_counts(session: Session, tenant_id: int) -> list[tuple[Department, int]]:
    departments = session.scalars(
        select(Department)
        .where(Department.tenant_id == tenant_id)
        .order_by(Department.parent_wecom_id, Department.order.desc(), Department.wecom_id)
    ).all()
    counts: Counter[int] = Counter()
    for ids in session.scalars(
        select(StaffAccount.department_ids).where(
            StaffAccount.tenant_id == tenant_id, StaffAccount.status == "active"
        )
    ):
        counts.update(set(ids))
    return [(d, counts[d.wecom_id]) for d in departments]


def counts(session: Session, tenant_id: int) -> tuple[int, int, int]:
    by_status = dict(
        session.execute(
            select(StaffAccount.status, func.count())
            .where(StaffAccount.tenant_id == tenant_id)
            .group_by(StaffAccount.status)
        ).all()
    )
    departments = session.scalar(
        select(func.count()).select_from(Department).where(Department.tenant_id == tenant_id)
    )
    return by_status.get("active", 0), by_status.get("left", 0), departments or 0


def latest_sync(session: Session, tenant_id: int) -> Job | None:
    return session.scalars(
        select(Job)
        .where(Job.tenant_id == tenant_id, Job.kind == SYNC_JOB)
        .order_by(Job.id.desc())
        .limit(1)
    ).first()
