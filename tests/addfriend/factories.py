"""Plain factories for add-friend lists and tasks, and the file a brand would upload."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siyu.addfriend import imports, service
from siyu.addfriend.models import ACTIVE, AddFriendList
from siyu.db import utcnow
from siyu.tenants.models import Tenant

CSV = "text/csv"


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def make_list(
    session: Session,
    tenant: Tenant,
    name: str = "测试名单",
    *,
    userids: tuple[str, ...] = ("staff01",),
    daily_limit: int = 20,
    start_day: dt.date | None = None,
) -> AddFriendList:
    """A list under way, as a started import leaves it (no file behind it)."""
    target = AddFriendList(
        tenant_id=tenant.id,
        name=name,
        state=ACTIVE,
        filename=f"{name}.csv",
        stored_path="",
        sha256="0" * 64,
        format="csv",
        headers=["手机号"],
        mapping={"手机号": "phone"},
        userids=list(userids),
        daily_limit=daily_limit,
        greeting=service.DEFAULT_GREETING,
        start_day=start_day,
        started_at=utcnow(),
    )
    session.add(target)
    session.flush()
    return target


def add_tasks(
    session: Session, target: AddFriendList, numbers: list[str], *, names: list[str] | None = None
) -> int:
    """Tasks for ``numbers`` through the import's own hand-out; returns how many were made."""
    rows = [
        imports.Row(number=i + 2, phone=n, name=(names or [""] * len(numbers))[i])
        for i, n in enumerate(numbers)
    ]
    assigner = service.Assigner(target.userids, {})
    tasks, _ = imports.apply_rows(session, target, rows, assigner, now=utcnow())
    session.flush()
    return len(tasks)


def numbers(count: int, prefix: str = "1391") -> list[str]:
    return [f"{prefix}{i:07d}" for i in range(1, count + 1)]
