"""Add-friend tasks: handing numbers out to staff accounts, pacing them by day, and finishing
them — by staff (sent, skipped) or by WeCom (the number shows up as a friend). Never commits.

Pacing. WeCom limits how many people a member may add a day, and adding too fast gets an account
restricted, so each task has a ``due_day`` and an account's day holds at most the list's daily
limit of tasks (all its lists together). Only the next :data:`HORIZON_DAYS` days are planned;
tasks beyond wait in the account's queue (``due_day`` None), oldest first. Every night the
horizon is planned again from the queue's head: pending tasks of past days come back first,
so what staff did not finish rolls over to the next days, still within the limit. Planning a
week ahead bounds the nightly work by accounts × days × limit, whatever the lists hold.

Matching. A new friendship of account U whose numbers (the remark mobiles WeCom reports, and the
numbers Siyu holds for that customer) match an open task completes it. When the task was U's, it
is done by U; when it was another account's, it is done all the same and marked as added by U
(``completed_userid``): the person is a friend already, and nobody should add them twice.
"""

from __future__ import annotations

import datetime as dt
import heapq
import re
from collections import defaultdict
from collections.abc import Collection, Iterable
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.addfriend import repository
from siyu.addfriend.errors import (
    ListClosed,
    NoStaff,
    SkipNoteRequired,
    TaskClosed,
    UnknownStaff,
)
from siyu.addfriend.models import (
    ACTIVE,
    CANCELLED,
    DONE,
    FAILED,
    IMPORTING,
    OPEN_STATES,
    PENDING,
    SENT,
    SKIPPED,
    TASK_CANCELLED,
    AddFriendList,
    AddFriendTask,
)
from siyu.customers import phones, timeline
from siyu.customers.hooks import FriendAdded
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.stores import repository as stores

TZ = ZoneInfo("Asia/Shanghai")  # the day a task is due, as staff in China count days
HORIZON_DAYS = 7
MAX_DAILY_LIMIT = 100
UPDATE_BATCH = 1000

DEFAULT_GREETING = "您好，我是{品牌}的{员工}，之前您在我们这里购物，加个好友方便为您服务～"
# Placeholders of the greeting (验证语), in Chinese and English.
PLACEHOLDERS = {
    "品牌": "brand",
    "brand": "brand",
    "员工": "staff",
    "staff": "staff",
    "客户": "name",
    "name": "name",
}
_PLACEHOLDER = re.compile(r"\{([^{}]{1,10})\}")


def today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(TZ).date()


def render_greeting(template: str, *, brand: str, staff: str, name: str) -> str:
    """The greeting with ``{品牌}`` ``{员工}`` ``{客户}`` (or ``{brand}`` ``{staff}``
    ``{name}``) filled in; other braces are left as they are."""
    values = {"brand": brand, "staff": staff, "name": name}

    def fill(match: re.Match[str]) -> str:
        key = PLACEHOLDERS.get(match.group(1).strip())
        return values[key] if key else match.group(0)

    return _PLACEHOLDER.sub(fill, template)


# --- handing out ------------------------------------------------------------------------------


def on_the_staff(
    session: Session, tenant_id: int, userids: Iterable[str], statuses: dict[str, str] | None = None
) -> list[str]:
    """``userids`` without repeats, each an account still on the staff (else UnknownStaff)."""
    if statuses is None:
        statuses = repository.staff_statuses(session, tenant_id)
    chosen = list(dict.fromkeys(userids))
    for userid in chosen:
        if statuses.get(userid) != "active":
            raise UnknownStaff(userid=userid)
    return chosen


def resolve_staff(
    session: Session, tenant_id: int, userids: Iterable[str], store_ids: Collection[int]
) -> list[str]:
    """The chosen accounts and the staff of the chosen stores, those still on the staff."""
    statuses = repository.staff_statuses(session, tenant_id)
    chosen = on_the_staff(session, tenant_id, userids, statuses)
    of_stores = stores.userids_of_stores(session, tenant_id, store_ids)
    chosen += sorted(u for u in of_stores if statuses.get(u) == "active")
    chosen = list(dict.fromkeys(chosen))
    if not chosen:
        raise NoStaff
    return chosen


class Assigner:
    """Hands tasks out evenly: each to the chosen account with the fewest tasks of the list so
    far (ties to the one chosen first). A task whose row names an account goes to that one."""

    def __init__(self, userids: list[str], load: dict[str, int]) -> None:
        self.load = {u: load.get(u, 0) for u in userids} | load
        self._heap = [(self.load[u], i, u) for i, u in enumerate(userids)]
        heapq.heapify(self._heap)
        self._order = {u: i for i, u in enumerate(userids)}

    def pick(self, preferred: str | None = None) -> str:
        if preferred:
            self._take(preferred)
            return preferred
        while True:
            load, _, userid = self._heap[0]
            if load == self.load[userid]:
                break
            heapq.heappop(self._heap)  # an entry left behind by a preferred task
        self._take(userid)
        return userid

    def _take(self, userid: str) -> None:
        self.load[userid] = self.load.get(userid, 0) + 1
        if userid in self._order:
            heapq.heappush(self._heap, (self.load[userid], self._order[userid], userid))


def plan(
    session: Session,
    tenant_id: int,
    userids: Iterable[str],
    *,
    day: dt.date,
    again: bool = False,
) -> dict[str, int]:
    """Give queued pending tasks of these accounts a due day within the horizon from ``day``,
    oldest first, each day holding at most the task's list's daily limit of the account's
    tasks. ``again`` first returns the account's planned pending tasks (past days' included)
    to the queue, so the oldest come first. Returns how many tasks got a day, per account."""
    days = [day + dt.timedelta(days=i) for i in range(HORIZON_DAYS)]
    planned: dict[str, int] = {}
    now = utcnow()
    for userid in sorted(set(userids)):
        if again:
            session.execute(
                update(AddFriendTask)
                .where(
                    AddFriendTask.tenant_id == tenant_id,
                    AddFriendTask.userid == userid,
                    AddFriendTask.state == PENDING,
                    AddFriendTask.due_day.is_not(None),
                )
                .values(due_day=None)
                .execution_options(synchronize_session=False)
            )
        used = repository.day_counts(session, tenant_id, userid, days[0], days[-1])
        if all(used.get(d, 0) >= MAX_DAILY_LIMIT for d in days):
            continue
        queued = session.execute(
            select(AddFriendTask.id, AddFriendList.daily_limit, AddFriendList.start_day)
            .join(AddFriendList, AddFriendList.id == AddFriendTask.list_id)
            .where(
                AddFriendTask.tenant_id == tenant_id,
                AddFriendTask.userid == userid,
                AddFriendTask.state == PENDING,
                AddFriendTask.due_day.is_(None),
                AddFriendList.state.in_([IMPORTING, ACTIVE]),
            )
            .order_by(AddFriendTask.id)
            .limit(HORIZON_DAYS * MAX_DAILY_LIMIT)
        ).all()
        by_day: dict[dt.date, list[int]] = defaultdict(list)
        for task_id, limit, start in queued:
            for d in days:
                if (start is None or d >= start) and used.get(d, 0) < limit:
                    used[d] = used.get(d, 0) + 1
                    by_day[d].append(task_id)
                    break
        for d, ids in by_day.items():
            _update(session, ids, due_day=d, updated_at=now)
            planned[userid] = planned.get(userid, 0) + len(ids)
    return planned


def _update(session: Session, ids: list[int], **values: object) -> None:
    for start in range(0, len(ids), UPDATE_BATCH):
        session.execute(
            update(AddFriendTask)
            .where(AddFriendTask.id.in_(ids[start : start + UPDATE_BATCH]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )


def plan_tenant(session: Session, tenant_id: int, userids: Iterable[str]) -> int:
    """The nightly planning of one tenant: every working account's horizon again."""
    return sum(plan(session, tenant_id, userids, day=today(), again=True).values())


# --- lists --------------------------------------------------------------------------------


def get_list(session: Session, tenant_id: int, list_id: int) -> AddFriendList:
    found = repository.get_list(session, tenant_id, list_id)
    if found is None:
        raise NotFound("add_friend_list")
    return found


def edit_list(
    session: Session,
    target: AddFriendList,
    *,
    name: str | None = None,
    greeting: str | None = None,
    daily_limit: int | None = None,
) -> None:
    """What may change while a list runs: its name, greeting and daily limit (the accounts'
    days are planned again under the new limit)."""
    if target.state in (CANCELLED, FAILED):
        raise ListClosed
    if name is not None:
        target.name = name
    if greeting is not None:
        target.greeting = greeting
    if daily_limit is not None and daily_limit != target.daily_limit:
        target.daily_limit = daily_limit
        if target.state in (IMPORTING, ACTIVE):
            session.flush()
            plan(session, target.tenant_id, target.userids, day=today(), again=True)


def cancel(session: Session, target: AddFriendList) -> int:
    """Stop a list: its open tasks are cancelled (their numbers may be listed again); what was
    done stays done. An import under way stops at its next chunk. Returns the tasks cancelled."""
    if target.state in (CANCELLED, FAILED):
        return 0
    now = utcnow()
    result = session.execute(
        update(AddFriendTask)
        .where(
            AddFriendTask.list_id == target.id,
            AddFriendTask.state.in_(OPEN_STATES),
        )
        .values(state=TASK_CANCELLED, finished_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    target.state, target.cancelled_at = CANCELLED, now
    return int(result.rowcount)  # type: ignore[attr-defined]


def reassign(
    session: Session,
    tenant_id: int,
    from_userid: str,
    to_userids: list[str],
    *,
    list_id: int | None = None,
) -> int:
    """Hand an account's open tasks (of one list, or all) to other accounts, evenly: a staff
    member who left, or is away. A request already sent from the old account is void, so the
    task is pending again for its new account. Returns how many moved."""
    targets = resolve_staff(session, tenant_id, [u for u in to_userids if u != from_userid], [])
    query = select(AddFriendTask.id, AddFriendTask.list_id).where(
        AddFriendTask.tenant_id == tenant_id,
        AddFriendTask.userid == from_userid,
        AddFriendTask.state.in_(OPEN_STATES),
    )
    if list_id is not None:
        query = query.where(AddFriendTask.list_id == list_id)
    moving = session.execute(query.order_by(AddFriendTask.id)).all()
    now = utcnow()
    for i, userid in enumerate(targets):
        ids = [task_id for task_id, _ in moving[i :: len(targets)]]
        _update(
            session, ids, userid=userid, state=PENDING, due_day=None, sent_at=None, updated_at=now
        )
    for lst in session.scalars(
        select(AddFriendList).where(AddFriendList.id.in_({lid for _, lid in moving}))
    ):
        kept = [u for u in lst.userids if u != from_userid]
        lst.userids = list(dict.fromkeys(kept + targets))
    session.flush()
    plan(session, tenant_id, targets, day=today())
    return len(moving)


# --- staff working a task ---------------------------------------------------------------------


def mark_sent(task: AddFriendTask) -> None:
    """Staff sent the request in WeCom; the task waits for the customer to accept."""
    if task.state == SENT:
        return
    if task.state != PENDING:
        raise TaskClosed
    now = utcnow()
    task.state, task.sent_at, task.updated_at = SENT, now, now


def skip(task: AddFriendTask, reason: str, note: str) -> None:
    if task.state not in OPEN_STATES:
        raise TaskClosed
    if reason == "other" and not note.strip():
        raise SkipNoteRequired
    now = utcnow()
    task.state, task.skip_reason, task.skip_note = SKIPPED, reason, note.strip()
    task.finished_at = task.updated_at = now


# --- the friendship shows up ------------------------------------------------------------------


def complete_matching(session: Session, tenant_id: int, added: list[FriendAdded]) -> int:
    """Complete the open tasks whose number a new friend has (see the module's docstring).
    Idempotent: a task done stays done, so the same friendship told twice changes nothing."""
    stored = repository.phone_hashes_of(session, tenant_id, {a.customer_id for a in added})
    friendships: dict[str, list[FriendAdded]] = defaultdict(list)
    for friend in added:
        hashes = set(stored.get(friend.customer_id, ()))
        for raw in friend.remark_mobiles:
            try:
                hashes.add(phones.lookup_hash(phones.normalise(raw)))
            except phones.BadPhone:
                continue
        for phone_hash in hashes:
            friendships[phone_hash].append(friend)
    if not friendships:
        return 0
    now = utcnow()
    tasks = repository.open_tasks_with(session, tenant_id, list(friendships))
    names = repository.list_names(session, {t.list_id for t in tasks})
    entries = []
    for task in tasks:
        found = friendships[task.phone_hash]
        friend = next((f for f in found if f.userid == task.userid), found[0])
        task.state = DONE
        task.customer_id = friend.customer_id
        task.completed_userid = friend.userid
        task.finished_at = max(friend.added_at, task.created_at)
        task.updated_at = now
        entries.append(
            timeline.Entry(
                friend.customer_id,
                "add_friend_done",
                task.finished_at,
                friend.userid,
                {"list": names.get(task.list_id, ""), "list_id": task.list_id, "task_id": task.id},
                key=f"add_friend_done:{task.id}",
            )
        )
    timeline.append_many(session, tenant_id, entries)
    return len(tasks)
