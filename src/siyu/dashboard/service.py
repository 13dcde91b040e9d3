"""The first screen: a tenant's real counts, and a line of activity per day.

Each domain contributes its cards with :func:`card`; the dashboard shows whatever is registered.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit import repository as audit
from siyu.auth import repository as auth
from siyu.db import utcnow
from siyu.i18n import Locale
from siyu.jobs import DONE, Job
from siyu.users import repository as users

# Chinese ops teams count days in China time.
TENANT_TZ = ZoneInfo("Asia/Shanghai")
ACTIVITY_DAYS = 14

Counter_ = Callable[[Session, int], int]


@dataclass(frozen=True)
class Card:
    key: str
    labels: dict[Locale, str]
    count: Counter_


_cards: list[Card] = []


def card(key: str, labels: dict[Locale, str]) -> Callable[[Counter_], Counter_]:
    def register(count: Counter_) -> Counter_:
        _cards.append(Card(key, labels, count))
        return count

    return register


def cards() -> list[Card]:
    return list(_cards)


@card("members", {"zh-CN": "成员账号", "en": "Members"})
def _members(session: Session, tenant_id: int) -> int:
    return users.count_active(session, tenant_id)


@card("staff", {"zh-CN": "在职员工账号", "en": "Active staff accounts"})
def _staff(session: Session, tenant_id: int) -> int:
    from siyu.staff import repository as staff

    return staff.counts(session, tenant_id)[0]


@card("customers", {"zh-CN": "好友客户", "en": "Customers who are friends"})
def _customers(session: Session, tenant_id: int) -> int:
    from siyu.customers.models import ACTIVE, Customer

    return (
        session.scalar(
            select(func.count()).where(Customer.tenant_id == tenant_id, Customer.status == ACTIVE)
        )
        or 0
    )


@card("new_customers_7d", {"zh-CN": "近 7 天新增好友", "en": "New friends, last 7 days"})
def _new_customers(session: Session, tenant_id: int) -> int:
    from siyu.customers.models import FRIEND, Follow

    since = utcnow() - dt.timedelta(days=7)
    return (
        session.scalar(
            select(func.count()).where(
                Follow.tenant_id == tenant_id, Follow.added_at >= since, Follow.status == FRIEND
            )
        )
        or 0
    )


@card("churn_open", {"zh-CN": "待处理流失提醒", "en": "Open churn alerts"})
def _churn(session: Session, tenant_id: int) -> int:
    from siyu.customers.models import ChurnAlert

    return (
        session.scalar(
            select(func.count()).where(
                ChurnAlert.tenant_id == tenant_id, ChurnAlert.handled_at.is_(None)
            )
        )
        or 0
    )


@card("api_tokens", {"zh-CN": "有效 API 令牌", "en": "Active API tokens"})
def _tokens(session: Session, tenant_id: int) -> int:
    return auth.count_active_tokens(session, tenant_id)


@card("audit_7d", {"zh-CN": "近 7 天操作", "en": "Actions, last 7 days"})
def _audit_week(session: Session, tenant_id: int) -> int:
    return audit.count_since(session, tenant_id, utcnow() - dt.timedelta(days=7))


@card("jobs_done_7d", {"zh-CN": "近 7 天完成的后台任务", "en": "Background jobs done, 7 days"})
def _jobs_week(session: Session, tenant_id: int) -> int:
    since = utcnow() - dt.timedelta(days=7)
    return (
        session.scalar(
            select(func.count())
            .select_from(Job)
            .where(Job.tenant_id == tenant_id, Job.state == DONE, Job.finished_at >= since)
        )
        or 0
    )


def activity(
    session: Session, tenant_id: int, *, today: dt.date | None = None
) -> tuple[list[str], list[int]]:
    """Audit events per China-time day over the last two weeks, oldest first."""
    today = today or utcnow().astimezone(TENANT_TZ).date()
    first = today - dt.timedelta(days=ACTIVITY_DAYS - 1)
    since = dt.datetime.combine(first, dt.time(), TENANT_TZ)
    per_day = Counter(
        ts.astimezone(TENANT_TZ).date() for ts in audit.timestamps_since(session, tenant_id, since)
    )
    days = [first + dt.timedelta(days=i) for i in range(ACTIVITY_DAYS)]
    return [d.isoformat() for d in days], [per_day.get(d, 0) for d in days]
