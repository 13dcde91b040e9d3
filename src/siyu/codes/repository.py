"""Queries for channel codes: the list with its counts, welcomes, and channel results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session

from siyu.codes.models import (
    DELETED,
    SENT,
    UNCONFIRMED,
    Acquisition,
    ChannelCode,
    LandingVisit,
    WelcomeSend,
)
from siyu.customers.models import FRIEND, Customer, Follow

GREETED = (SENT, UNCONFIRMED)


def get(session: Session, tenant_id: int, code_id: int) -> ChannelCode | None:
    code = session.get(ChannelCode, code_id)
    return code if code is not None and code.tenant_id == tenant_id else None


def by_state(session: Session, state: str) -> ChannelCode | None:
    return session.scalar(
        select(ChannelCode).where(ChannelCode.state == state, ChannelCode.status != DELETED)
    )


def page(
    session: Session,
    tenant_id: int,
    *,
    search: str = "",
    folder: str = "",
    offset: int,
    limit: int,
) -> tuple[list[ChannelCode], int]:
    query = select(ChannelCode).where(
        ChannelCode.tenant_id == tenant_id, ChannelCode.status != DELETED
    )
    if search:
        query = query.where(ChannelCode.name.contains(search, autoescape=True))
    if folder:
        query = query.where(ChannelCode.folder == folder)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(ChannelCode.created_at.desc(), ChannelCode.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), total


def names(session: Session, tenant_id: int, code_ids: list[int]) -> dict[int, str]:
    """Codes' names by id, deleted ones included (what they brought in stays theirs)."""
    if not code_ids:
        return {}
    rows = session.execute(
        select(ChannelCode.id, ChannelCode.name).where(
            ChannelCode.tenant_id == tenant_id, ChannelCode.id.in_(code_ids)
        )
    ).all()
    return {int(r.id): str(r.name) for r in rows}


def folders(session: Session, tenant_id: int) -> list[str]:
    return sorted(
        session.scalars(
            select(ChannelCode.folder)
            .where(
                ChannelCode.tenant_id == tenant_id,
                ChannelCode.status != DELETED,
                ChannelCode.folder != "",
            )
            .distinct()
        )
    )


def _greeted() -> ColumnElement[bool]:
    return exists().where(
        WelcomeSend.tenant_id == Acquisition.tenant_id,
        WelcomeSend.customer_id == Acquisition.customer_id,
        WelcomeSend.userid == Acquisition.userid,
        WelcomeSend.added_at == Acquisition.added_at,
        WelcomeSend.status.in_(GREETED),
    )


def _seconds_between(session: Session, later: Any, earlier: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


@dataclass(frozen=True)
class Counts:
    added: int = 0
    lost_1d: int = 0
    lost_7d: int = 0
    lost_30d: int = 0
    lost: int = 0
    greeted: int = 0

    @property
    def net(self) -> int:
        return self.added - self.lost


def results(
    session: Session,
    tenant_id: int,
    date_from: dt.date,
    date_to: dt.date,
    *,
    group: str,
    code_ids: Sequence[int] | None = None,
    userids: Sequence[str] | None = None,
) -> dict[Any, Counts]:
    """Counts of friendships begun between the two local days (inclusive), grouped by ``day``,
    ``code`` (None: by no code), ``staff`` or ``all``. Lost: that friendship has ended (by
    either side); within N days: it ended no later than N days after it began."""
    ended = and_(Follow.status != FRIEND, Follow.deleted_at.is_not(None))
    gap = _seconds_between(session, Follow.deleted_at, Acquisition.added_at)

    def lost_within(days: int) -> Any:
        return func.sum(case((and_(ended, gap <= days * 86400), 1), else_=0))

    key: Any = {
        "day": Acquisition.day,
        "code": Acquisition.code_id,
        "staff": Acquisition.userid,
        "all": Acquisition.tenant_id,
    }[group]
    query = (
        select(
            key,
            func.count(),
            lost_within(1),
            lost_within(7),
            lost_within(30),
            func.sum(case((ended, 1), else_=0)),
            func.sum(case((_greeted(), 1), else_=0)),
        )
        .select_from(Acquisition)
        .outerjoin(
            Follow,
            and_(
                Follow.tenant_id == Acquisition.tenant_id,
                Follow.customer_id == Acquisition.customer_id,
                Follow.userid == Acquisition.userid,
            ),
        )
        .where(
            Acquisition.tenant_id == tenant_id,
            Acquisition.day >= date_from,
            Acquisition.day <= date_to,
        )
        .group_by(key)
    )
    if code_ids is not None:
        query = query.where(Acquisition.code_id.in_(code_ids))
    if userids is not None:
        query = query.where(Acquisition.userid.in_(userids))
    return {row[0]: Counts(*(int(v or 0) for v in row[1:])) for row in session.execute(query).all()}


def code_counts(
    session: Session, tenant_id: int, code_ids: list[int], today: dt.date
) -> dict[int, dict[str, int]]:
    """For the code list: friends today, in all, still friends, greeted."""
    if not code_ids:
        return {}
    still = and_(Follow.status == FRIEND)
    rows = session.execute(
        select(
            Acquisition.code_id,
            func.count(),
            func.sum(case((Acquisition.day == today, 1), else_=0)),
            func.sum(case((still, 1), else_=0)),
            func.sum(case((_greeted(), 1), else_=0)),
        )
        .select_from(Acquisition)
        .outerjoin(
            Follow,
            and_(
                Follow.tenant_id == Acquisition.tenant_id,
                Follow.customer_id == Acquisition.customer_id,
                Follow.userid == Acquisition.userid,
            ),
        )
        .where(Acquisition.tenant_id == tenant_id, Acquisition.code_id.in_(code_ids))
        .group_by(Acquisition.code_id)
    ).all()
    return {
        int(r[0]): {
            "total": int(r[1]),
            "today": int(r[2] or 0),
            "net": int(r[3] or 0),
            "greeted": int(r[4] or 0),
        }
        for r in rows
    }


def welcomes_page(
    session: Session,
    tenant_id: int,
    *,
    code_id: int | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[tuple[WelcomeSend, str, str | None]], int]:
    query = (
        select(WelcomeSend, Customer.name, ChannelCode.name)
        .join(Customer, Customer.id == WelcomeSend.customer_id)
        .outerjoin(ChannelCode, ChannelCode.id == WelcomeSend.code_id)
        .where(WelcomeSend.tenant_id == tenant_id)
    )
    if code_id is not None:
        query = query.where(WelcomeSend.code_id == code_id)
    if status:
        query = query.where(WelcomeSend.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(WelcomeSend.created_at.desc(), WelcomeSend.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [(w, name, code_name) for w, name, code_name in rows], total


def visits(
    session: Session, tenant_id: int, code_id: int, since: dt.datetime
) -> list[tuple[str, str, str, int]]:
    """Landing-page visits of a code since a moment, by utm source, medium and campaign."""
    rows = session.execute(
        select(
            LandingVisit.utm_source,
            LandingVisit.utm_medium,
            LandingVisit.utm_campaign,
            func.count(),
        )
        .where(
            LandingVisit.tenant_id == tenant_id,
            LandingVisit.code_id == code_id,
            LandingVisit.at >= since,
        )
        .group_by(LandingVisit.utm_source, LandingVisit.utm_medium, LandingVisit.utm_campaign)
        .order_by(func.count().desc())
    ).all()
    return [(r[0], r[1], r[2], int(r[3])) for r in rows]
