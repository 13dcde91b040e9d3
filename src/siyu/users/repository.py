from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.users.models import User


def get(session: Session, tenant_id: int, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.tenant_id == tenant_id, User.id == user_id))


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def page(
    session: Session, tenant_id: int, *, offset: int, limit: int
) -> tuple[Sequence[User], int]:
    where = User.tenant_id == tenant_id
    total = session.scalar(select(func.count()).select_from(User).where(where)) or 0
    rows = session.scalars(select(User).where(where).order_by(User.id).offset(offset).limit(limit))
    return rows.all(), total


def count_active(session: Session, tenant_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.tenant_id == tenant_id, User.is_active.is_(True))
        )
        or 0
    )


def count_active_owners(session: Session, tenant_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.tenant_id == tenant_id, User.is_active.is_(True), User.role == "owner")
        )
        or 0
    )
