from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from siyu.auth.models import ApiToken, LoginFailure, LoginSession


def session_by_token_hash(session: Session, token_hash: str) -> LoginSession | None:
    return session.scalar(select(LoginSession).where(LoginSession.token_hash == token_hash))


def failures_since(
    session: Session, *, username: str, ip: str, since: dt.datetime
) -> tuple[int, int]:
    """Failed sign-ins since ``since``: for this username, and from this address."""
    by_user = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.username == username, LoginFailure.created_at >= since)
    )
    by_ip = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.ip == ip, LoginFailure.created_at >= since)
    )
    return by_user or 0, by_ip or 0


def clear_failures(session: Session, username: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))


def delete_expired(session: Session, now: dt.datetime, failures_before: dt.datetime) -> None:
    session.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    session.execute(delete(LoginFailure).where(LoginFailure.created_at < failures_before))


def token_by_hash(session: Session, token_hash: str) -> ApiToken | None:
    return session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))


def get_token(session: Session, tenant_id: int, token_id: int) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).where(ApiToken.tenant_id == tenant_id, ApiToken.id == token_id)
    )


def page_tokens(
    session: Session, tenant_id: int, *, offset: int, limit: int
) -> tuple[Sequence[ApiToken], int]:
    where = ApiToken.tenant_id == tenant_id
    total = session.scalar(select(func.count()).select_from(ApiToken).where(where)) or 0
    rows = session.scalars(
        select(ApiToken).where(where).order_by(ApiToken.id.desc()).offset(offset).limit(limit)
    )
    return rows.all(), total


def count_active_tokens(session: Session, tenant_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(ApiToken)
            .where(ApiToken.tenant_id == tenant_id, ApiToken.revoked_at.is_(None))
        )
        or 0
    )
