"""Tasks get due days so that no account has more than the daily limit on any day, the week ahead
planned and the rest queued; what is left undone rolls over first, still within the limit."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.addfriend import service
from siyu.addfriend.models import AddFriendTask
from tests.addfriend.factories import add_tasks, make_list, numbers
from tests.factories import make_staff_account, make_tenant

DAY = dt.date(2026, 3, 2)


def _days(session: Session, list_id: int | None = None) -> Counter[tuple[str, dt.date | None]]:
    query = select(AddFriendTask.userid, AddFriendTask.due_day)
    if list_id is not None:
        query = query.where(AddFriendTask.list_id == list_id)
    return Counter((userid, day) for userid, day in session.execute(query))


def test_a_week_is_planned_at_the_limit_and_the_rest_waits_in_the_queue(session: Session) -> None:
    tenant = make_tenant(session)
    for userid in ("a", "b"):
        make_staff_account(session, tenant, userid)
    target = make_list(session, tenant, userids=("a", "b"), daily_limit=3)
    add_tasks(session, target, numbers(50))
    assert service.plan(session, tenant.id, ["a", "b"], day=DAY) == {"a": 21, "b": 21}
    days = _days(session)
    for userid in ("a", "b"):
        assert [days[(userid, DAY + dt.timedelta(days=i))] for i in range(7)] == [3] * 7
        assert days[(userid, None)] == 4  # 25 each: 21 planned, 4 queued
    # Planning again adds nothing: the week is full.
    assert service.plan(session, tenant.id, ["a", "b"], day=DAY) == {}


def test_the_limit_holds_across_lists_and_a_list_waits_for_its_first_day(
    session: Session,
) -> None:
    tenant = make_tenant(session)
    make_staff_account(session, tenant, "a")
    first = make_list(session, tenant, "一", userids=("a",), daily_limit=4)
    later = make_list(
        session, tenant, "二", userids=("a",), daily_limit=4, start_day=DAY + dt.timedelta(days=5)
    )
    add_tasks(session, first, numbers(6, "1391"))
    add_tasks(session, later, numbers(6, "1392"))
    service.plan(session, tenant.id, ["a"], day=DAY)
    assert _days(session, first.id) == {("a", DAY): 4, ("a", DAY + dt.timedelta(days=1)): 2}
    assert _days(session, later.id) == {
        ("a", DAY + dt.timedelta(days=5)): 4,
        ("a", DAY + dt.timedelta(days=6)): 2,
    }


def test_pending_tasks_of_past_days_roll_over_first_within_the_limit(session: Session) -> None:
    tenant = make_tenant(session)
    make_staff_account(session, tenant, "a")
    target = make_list(session, tenant, userids=("a",), daily_limit=2)
    add_tasks(session, target, numbers(10))
    service.plan(session, tenant.id, ["a"], day=DAY)
    tasks = session.scalars(select(AddFriendTask).order_by(AddFriendTask.id)).all()
    # On the first day one request was sent and one task was skipped; nothing else was done.
    service.mark_sent(tasks[0])
    service.skip(tasks[1], "refused", "")
    # On the second day nothing at all was done.
    session.flush()
    service.plan(session, tenant.id, ["a"], day=DAY + dt.timedelta(days=2), again=True)
    session.expire_all()
    due = {t.id: t.due_day for t in session.scalars(select(AddFriendTask))}
    third = DAY + dt.timedelta(days=2)
    assert due[tasks[0].id] == DAY  # sent: it keeps its day
    assert due[tasks[1].id] == DAY  # skipped too
    # The second day's two, left pending, come first on the third day, in their order.
    assert [due[t.id] for t in tasks[2:]] == [
        third,
        third,
        third + dt.timedelta(days=1),
        third + dt.timedelta(days=1),
        third + dt.timedelta(days=2),
        third + dt.timedelta(days=2),
        third + dt.timedelta(days=3),
        third + dt.timedelta(days=3),
    ]
    assert max(_days(session).values()) <= 2


def test_tasks_are_handed_out_evenly_with_preferred_accounts_counted(session: Session) -> None:
    assigner = service.Assigner(["a", "b", "c"], {"b": 2})
    picks = [assigner.pick(p) for p in (None, None, "c", None, None, None, "a", None, None)]
    assert picks == ["a", "c", "c", "a", "a", "b", "a", "c", "b"]
    assert assigner.load == {"a": 4, "b": 4, "c": 3}


def test_a_lower_daily_limit_plans_the_days_again(session: Session) -> None:
    tenant = make_tenant(session)
    make_staff_account(session, tenant, "a")
    target = make_list(session, tenant, userids=("a",), daily_limit=5)
    add_tasks(session, target, numbers(10))
    service.plan(session, tenant.id, ["a"], day=service.today())
    service.edit_list(session, target, daily_limit=2)
    assert set(_days(session).values()) == {2}
    assert len(_days(session)) == 5
