"""Apply a page of the chat archive: once, in one transaction with the cursor's advance.

:func:`apply_page` first moves the tenant's cursor from the seq the page was fetched after to the
page's last seq, with ``UPDATE … WHERE cursor_seq = <the seq it was fetched after>``. If another
pull applied that page meanwhile (a retried job, a worker that crashed after its commit, two pulls
woken by duplicated ``msgaudit_notify`` callbacks), nothing matches, :class:`StaleCursor` is raised
and the caller's transaction rolls back: a message is never applied twice. The UPDATE also locks
the tenant's archive row, so two pulls of one tenant never interleave their writes.

Sides: a message from a known customer (``external_userid`` in ``customers``) is the customer's
(inbound); a message from anyone else to a known customer is staff's (outbound). A message in a
customer group (``roomid`` = the group's chat id) counts towards the group's messages of its
China day (:class:`GroupMessageDay`); one in a group Siyu does not know (an internal group) is
counted as skipped, as are messages between people Siyu does not know as customers (internal
chats, customers not synced yet), recalls and switches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from siyu.autotag import keywords_service
from siyu.autotag.keywords_service import Said
from siyu.chats.archive import SEND, ArchivedMessage
from siyu.chats.models import ChatArchiveState, CustomerChatStats
from siyu.codes.routing import local
from siyu.customers.models import Customer
from siyu.db import insert_rows_ignoring, utcnow
from siyu.groups.models import Group, GroupMessageDay
from siyu.segments import changes as audience

CUSTOMER, STAFF = "customer", "staff"
STATS = cast(Table, CustomerChatStats.__table__)


class StaleCursor(Exception):
    """The page was fetched after a seq the cursor has left: another pull applied it."""


@dataclass
class PageResult:
    read: int = 0
    applied: int = 0
    group_messages: int = 0
    skipped_group: int = 0
    skipped_unknown: int = 0
    skipped_other: int = 0
    hits: int = 0
    cursor: int = 0
    customers: set[int] = field(default_factory=set)


def _at(msgtime: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(msgtime / 1000, tz=dt.UTC)


def advance(
    session: Session, tenant_id: int, after: int, messages: Sequence[ArchivedMessage]
) -> int:
    """Move the cursor from ``after`` past the page, or raise :class:`StaleCursor`."""
    last = max((m.seq for m in messages), default=after)
    now = utcnow()
    values: dict[str, object] = {
        "cursor_seq": last,
        "last_pull_at": now,
        "messages_read": ChatArchiveState.messages_read + len(messages),
        "updated_at": now,
    }
    if messages:
        values["last_message_at"] = _at(max(m.msgtime for m in messages))
    moved = session.execute(
        update(ChatArchiveState)
        .where(ChatArchiveState.tenant_id == tenant_id, ChatArchiveState.cursor_seq == after)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleCursor(f"tenant {tenant_id}: the cursor is no longer at {after}")
    return last


def apply_page(
    session: Session, tenant_id: int, after: int, messages: Sequence[ArchivedMessage]
) -> PageResult:
    """Apply a page fetched after seq ``after``: cursor, chat stats, keyword hits and tags."""
    ordered = sorted((m for m in messages if m.seq > after), key=lambda m: m.seq)
    result = PageResult(read=len(ordered))
    result.cursor = advance(session, tenant_id, after, ordered)
    # A group message's tolist is the whole group: only its sender is looked up.
    people = {m.sender for m in ordered} | {t for m in ordered if not m.roomid for t in m.tolist}
    customers: dict[str, int] = {}
    if people:
        customers = {
            external: cid
            for cid, external in session.execute(
                select(Customer.id, Customer.external_userid).where(
                    Customer.tenant_id == tenant_id, Customer.external_userid.in_(people)
                )
            )
            if external is not None
        }
    groups = _groups(session, tenant_id, {m.roomid for m in ordered if m.roomid})
    in_groups: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
    said: list[Said] = []
    for message in ordered:
        if message.action != SEND:
            result.skipped_other += 1
        elif message.roomid in groups:
            counts = in_groups[(groups[message.roomid], local(_at(message.msgtime)).date())]
            counts[0] += 1
            counts[1] += message.sender in customers
            result.group_messages += 1
        elif message.roomid:
            result.skipped_group += 1
        elif message.sender in customers:
            said.append(Said(customers[message.sender], CUSTOMER, message))
        elif known := [customers[t] for t in message.tolist if t in customers]:
            said.append(Said(known[0], STAFF, message))
        else:
            result.skipped_unknown += 1
    result.applied = len(said)
    result.customers = {s.customer_id for s in said}
    _update_stats(session, tenant_id, said)
    _count_in_groups(session, tenant_id, in_groups)
    result.hits = keywords_service.apply(session, tenant_id, said)
    if result.skipped_group or result.skipped_unknown or result.skipped_other:
        session.execute(
            update(ChatArchiveState)
            .where(ChatArchiveState.tenant_id == tenant_id)
            .values(
                skipped_group=ChatArchiveState.skipped_group + result.skipped_group,
                skipped_unknown=ChatArchiveState.skipped_unknown + result.skipped_unknown,
                skipped_other=ChatArchiveState.skipped_other + result.skipped_other,
            )
            .execution_options(synchronize_session=False)
        )
    return result


def _update_stats(session: Session, tenant_id: int, said: Sequence[Said]) -> None:
    if not said:
        return
    ids = sorted({s.customer_id for s in said})
    insert_rows_ignoring(
        session,
        STATS,
        ["tenant_id", "customer_id"],
        [
            {"tenant_id": tenant_id, "customer_id": cid, "inbound_count": 0, "outbound_count": 0}
            for cid in ids
        ],
    )
    stats = {
        row.customer_id: row
        for row in session.scalars(
            select(CustomerChatStats).where(
                CustomerChatStats.tenant_id == tenant_id, CustomerChatStats.customer_id.in_(ids)
            )
        )
    }
    for item in said:
        row = stats[item.customer_id]
        at = _at(item.message.msgtime)
        if item.side == CUSTOMER:
            row.inbound_count += 1
            if row.first_inbound_at is None or at < row.first_inbound_at:
                row.first_inbound_at = at
            if row.last_inbound_at is None or at > row.last_inbound_at:
                row.last_inbound_at = at
        else:
            row.outbound_count += 1
            if row.last_outbound_at is None or at > row.last_outbound_at:
                row.last_outbound_at = at
    session.flush()
    # Segments and behaviour rules read chat facts: the audience indexes re-read these.
    audience.touch(session, tenant_id, ids)


def _groups(session: Session, tenant_id: int, chat_ids: set[str]) -> dict[str, int]:
    """The tenant's customer groups among these chat ids: group id by chat id."""
    if not chat_ids:
        return {}
    rows = session.execute(
        select(Group.chat_id, Group.id).where(
            Group.tenant_id == tenant_id, Group.chat_id.in_(chat_ids)
        )
    )
    return {str(chat_id): int(group_id) for chat_id, group_id in rows}


def _count_in_groups(
    session: Session, tenant_id: int, counts: dict[tuple[int, dt.date], list[int]]
) -> None:
    """Add a page's messages to the groups' days. The page's cursor update holds the tenant's
    archive row, so no other pull of the tenant adds to the same days meanwhile."""
    for (group_id, day), (messages, from_customers) in sorted(counts.items()):
        added = session.execute(
            update(GroupMessageDay)
            .where(GroupMessageDay.group_id == group_id, GroupMessageDay.day == day)
            .values(
                messages=GroupMessageDay.messages + messages,
                from_customers=GroupMessageDay.from_customers + from_customers,
            )
            .execution_options(synchronize_session=False)
        )
        if not added.rowcount:  # type: ignore[attr-defined]
            session.add(
                GroupMessageDay(
                    tenant_id=tenant_id,
                    group_id=group_id,
                    day=day,
                    messages=messages,
                    from_customers=from_customers,
                )
            )
    session.flush()
