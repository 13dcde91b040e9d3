"""Planning checked against the rules written out plainly, on a tenant made to hit every case:
customers friended by several accounts (the owner wins, else the latest), owners who cannot send
(left the company, no customer contact, no longer a friend), customers no sender can reach,
earlier broadcasts putting some over the tenant's cap or WeCom's receive limit, and chunks of a
sender's customers. On PostgreSQL the plan is made by SQL statements, on SQLite in Python: both
must give these answers."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts import planning
from siyu.broadcasts import service as broadcasts
from siyu.broadcasts.models import (
    R_SENT,
    REACHING,
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
)
from siyu.customers.models import FRIEND, Customer, Follow
from siyu.db import utcnow
from siyu.staff.models import StaffAccount
from tests.factories import make_tenant

# (userid, status, customer contact): the last three cannot send.
ACCOUNTS = [
    ("lina", "active", True),
    ("wangfang", "active", True),
    ("zhouqi", "active", True),
    ("chenjie", "active", True),
    ("left01", "left", True),
    ("nocontact", "active", False),
]
SENDERS = {userid for userid, status, contact in ACCOUNTS if status == "active" and contact}
CHUNK = 7


def test_the_plan_follows_the_rules(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planning, "CUSTOMER_CHUNK", CHUNK)
    rng = random.Random(20261124)
    now = utcnow()
    tenant = make_tenant(session)
    broadcasts.save_settings(
        session, tenant.id, {"cap_count": 2, "cap_days": 7, "wecom_policy": "day1"}
    )
    for userid, status, contact in ACCOUNTS:
        session.add(
            StaffAccount(
                tenant_id=tenant.id,
                userid=userid,
                name=userid,
                status=status,
                customer_contact=contact,
                synced_at=now,
            )
        )
    users = [userid for userid, _status, _contact in ACCOUNTS]
    follows: dict[int, list[tuple[str, str, dt.datetime]]] = {}
    owners: dict[int, str] = {}
    minute = 0
    for n in range(240):
        owner = rng.choice([*users, ""])
        customer = Customer(
            tenant_id=tenant.id,
            external_userid=f"wmplan{n:05d}",
            name=f"客户{n}",
            owner_userid=owner or None,
            first_added_at=now,
        )
        session.add(customer)
        session.flush()
        owners[customer.id] = owner
        mine = []
        for userid in rng.sample(users, rng.choice([0, 1, 1, 2, 3])):
            minute += 1  # every follow added at its own time: "the latest" is never a tie
            status = FRIEND if rng.random() < 0.85 else "deleted_by_customer"
            added = now - dt.timedelta(days=30, minutes=minute)
            session.add(
                Follow(
                    tenant_id=tenant.id,
                    customer_id=customer.id,
                    userid=userid,
                    added_at=added,
                    status=status,
                )
            )
            mine.append((userid, status, added))
        follows[customer.id] = mine
    session.flush()
    ids = sorted(owners)

    # Earlier broadcasts: today's (WeCom set to 1 a day: only what was sent counts), the cap's 7
    # days (2 planned, waiting or sent), and some older than both.
    earlier = [_broadcast(session, tenant.id, f"早先{n}") for n in range(8)]
    history: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for customer_id in rng.sample(ids, 120):
        for number, past in enumerate(earlier[: rng.randint(1, 8)]):
            status = rng.choice([*REACHING, "not_friend", "over_cap", R_SENT, R_SENT])
            at = now - dt.timedelta(days=rng.choice([0, 0, 1, 3, 6, 9, 40]), hours=number)
            session.add(
                BroadcastRecipient(
                    tenant_id=tenant.id,
                    broadcast_id=past.id,
                    customer_id=customer_id,
                    sender="lina",
                    status=status,
                    at=at,
                )
            )
            history[customer_id].append((status, at))
    session.flush()

    audience = rng.sample(ids, 200)
    broadcast = _broadcast(session, tenant.id, "本周上新")
    broadcast.audience = {"kind": "customers", "customer_ids": audience}
    counts = planning.plan(session, broadcast, now)
    session.flush()

    limit, window = broadcasts.receive_window("day1", now)
    expected = {
        customer_id: _by_the_rules(
            follows[customer_id], owners[customer_id], history[customer_id], now, window, limit
        )
        for customer_id in audience
    }
    wanted = Counter(status for _sender, status in expected.values())
    assert {"no_sender", "over_limit", "over_cap", "planned"} <= set(wanted), wanted
    assert len({s for s, status in expected.values() if status == "planned"}) >= 3

    rows = session.scalars(
        select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast.id)
    ).all()
    assert {r.customer_id: (r.sender, r.status) for r in rows} == expected
    assert counts == {**wanted, "total": len(audience)}

    # Each sender's planned customers in chunks of CHUNK, in id order, a task each.
    tasks = {
        t.id: t
        for t in session.scalars(
            select(BroadcastTask).where(BroadcastTask.broadcast_id == broadcast.id)
        )
    }
    by_sender: dict[str, list[int]] = defaultdict(list)
    for customer_id, (sender, status) in sorted(expected.items()):
        if status == "planned":
            by_sender[sender].append(customer_id)
    chunks = {
        (sender, number): set(mine[number * CHUNK : (number + 1) * CHUNK])
        for sender, mine in by_sender.items()
        for number in range(-(-len(mine) // CHUNK))
    }
    found: dict[tuple[str, int], set[int]] = defaultdict(set)
    for row in rows:
        if row.status == "planned":
            task = tasks[row.task_id or 0]
            assert task.sender == row.sender
            found[(task.sender, task.chunk)].add(row.customer_id or 0)
        else:
            assert row.task_id is None
    assert found == chunks
    assert {(t.sender, t.chunk): t.recipients for t in tasks.values()} == {
        key: len(members) for key, members in chunks.items()
    }
    assert all(t.state == "planned" and t.claim == "" for t in tasks.values())


def _broadcast(session: Session, tenant_id: int, name: str) -> Broadcast:
    now = utcnow()
    broadcast = Broadcast(
        tenant_id=tenant_id,
        name=name,
        chat_type="single",
        audience={},
        text=name,
        state="planning",
        send_at=now,
        due_at=now,
        counts={},
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def _by_the_rules(
    follows: list[tuple[str, str, dt.datetime]],
    owner: str,
    past: list[tuple[str, dt.datetime]],
    now: dt.datetime,
    window: dt.datetime,
    limit: int,
) -> tuple[str, str]:
    """(sender, status) of one customer, as the product's rules say."""
    able = [(u, added) for u, status, added in follows if status == FRIEND and u in SENDERS]
    if not able:
        return "", "no_sender"
    sender = owner if owner in {u for u, _a in able} else max(able, key=lambda f: f[1])[0]
    if sum(1 for s, at in past if s == R_SENT and at >= window) >= limit:
        return sender, "over_limit"
    if sum(1 for s, at in past if s in REACHING and at >= now - dt.timedelta(days=7)) >= 2:
        return sender, "over_cap"
    return sender, "planned"
