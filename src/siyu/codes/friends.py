"""The friends channel codes bring: credited, tagged, remarked and greeted. Never commits.

A new friendship reaches :func:`credit_friends` (a :mod:`siyu.customers.hooks` listener) inside
the transaction that stored it. There, in one go, the friendship is credited to the code whose
state it carries (an ``acquisitions`` row, unique per friendship), the code's tags are put on the
customer (and queued for WeCom through the tags outbox), and a welcome message is written as a row
keyed by WeCom's one-use welcome code. Only then are jobs woken to send it. A callback WeCom
repeats, a sync that finds the same friendship, a worker killed half-way: each finds the rows
already there and adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.codes import routing
from siyu.codes.models import (
    DELETED,
    PENDING,
    SKIPPED,
    Acquisition,
    ChannelCode,
    DefaultWelcome,
    WelcomeSend,
)
from siyu.codes.schemas import Welcome
from siyu.codes.service import REMARK_JOB, WELCOME_JOB, is_dynamic, local_day, refresh_roster
from siyu.customers.hooks import FriendAdded, on_friends_added
from siyu.customers.models import Customer
from siyu.db import insert_ignoring, utcnow
from siyu.staff.models import StaffAccount
from siyu.tags import service as tags

ACQUISITIONS = cast(Table, Acquisition.__table__)
WELCOMES = cast(Table, WelcomeSend.__table__)

CUSTOMER_VARS = ("{客户昵称}", "{customer}")
STAFF_VARS = ("{员工姓名}", "{staff}")
CHANNEL_VARS = ("{渠道}", "{channel}")
DATE_VARS = ("{日期}", "{date}")


def render(template: str, values: dict[tuple[str, ...], str]) -> str:
    for names, value in values.items():
        for name in names:
            template = template.replace(name, value)
    return template


def message_at(welcome: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The welcome's text and attachments, or those of the variant whose hours hold ``now``."""
    clock = routing.local(now).strftime("%H:%M")
    for variant in welcome.get("variants") or []:
        start, end = variant["start"], variant["end"]
        inside = start <= clock < end if start <= end else (clock >= start or clock < end)
        if inside:
            return dict(variant)
    return welcome


def content_for(
    welcome: dict[str, Any], customer: str, staff: str, now: dt.datetime
) -> dict[str, Any]:
    """What ``send_welcome_msg`` takes: ``text`` and/or ``attachments``."""
    chosen = message_at(welcome, now)
    words = render(chosen.get("text", ""), {CUSTOMER_VARS: customer, STAFF_VARS: staff}).strip()
    content: dict[str, Any] = {}
    if words:
        content["text"] = {"content": words}
    if chosen.get("attachments"):
        content["attachments"] = [_without_nulls(a) for a in chosen["attachments"]]
    return content


def _without_nulls(value: Any) -> Any:
    """WeCom wants absent fields left out, not sent as null."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def default_welcome(session: Session, tenant_id: int) -> dict[str, Any]:
    row = session.scalar(select(DefaultWelcome).where(DefaultWelcome.tenant_id == tenant_id))
    return dict(row.welcome) if row is not None else {}


def set_default_welcome(session: Session, tenant_id: int, welcome: Welcome) -> DefaultWelcome:
    row = session.scalar(select(DefaultWelcome).where(DefaultWelcome.tenant_id == tenant_id))
    if row is None:
        row = DefaultWelcome(tenant_id=tenant_id)
        session.add(row)
    row.welcome, row.updated_at = welcome.model_dump(mode="json"), utcnow()
    return row


@on_friends_added
def credit_friends(session: Session, tenant_id: int, added: list[FriendAdded]) -> None:
    """Credit, tag, remark and greet new friends (see the module's docstring)."""
    now = utcnow()
    states = {f.state for f in added if f.state}
    codes: dict[str, ChannelCode] = {}
    if states:
        codes = {
            c.state: c
            for c in session.scalars(
                select(ChannelCode).where(
                    ChannelCode.tenant_id == tenant_id, ChannelCode.state.in_(states)
                )
            )
        }
    credited = _credit(session, tenant_id, added, codes)
    greet = [f for f in added if f.welcome_code is not None]
    if greet:
        _write_welcomes(session, tenant_id, greet, codes, now)
    touched: dict[int, ChannelCode] = {}
    by_tags: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for friend in credited:
        code = codes.get(friend.state)
        if code is None or code.status == DELETED:
            continue
        touched[code.id] = code
        if code.tag_ids:
            by_tags[tuple(code.tag_ids)].append(friend.customer_id)
        if code.remark_template or code.description_template:
            jobs.submit(
                session,
                REMARK_JOB,
                {
                    "code_id": code.id,
                    "customer_id": friend.customer_id,
                    "userid": friend.userid,
                    "external_userid": friend.external_userid,
                },
                tenant_id=tenant_id,
                key=f"code-remark:{code.id}:{friend.customer_id}:{friend.userid}",
            )
    for tag_ids, customer_ids in by_tags.items():
        tags.tag_customers(
            session,
            tenant_id,
            customer_ids,
            add=tag_ids,
            actor="channel_code",
            source="channel_code",
            now=now,
            known_customers=True,
        )
    for code in touched.values():
        if is_dynamic(code):
            refresh_roster(session, code, now)


def _credit(
    session: Session, tenant_id: int, added: list[FriendAdded], codes: dict[str, ChannelCode]
) -> list[FriendAdded]:
    """Write one acquisition per friendship; returns the friendships credited just now."""
    rows = [
        {
            "tenant_id": tenant_id,
            "code_id": codes[f.state].id if f.state in codes else None,
            "customer_id": f.customer_id,
            "userid": f.userid,
            "state": f.state[:30],
            "add_way": f.add_way,
            "added_at": f.added_at,
            "day": local_day(f.added_at),
        }
        for f in added
    ]
    unique = ["tenant_id", "customer_id", "userid", "added_at"]
    statement = insert_ignoring(session, ACQUISITIONS, unique).returning(
        ACQUISITIONS.c.customer_id, ACQUISITIONS.c.userid
    )
    fresh = {(r.customer_id, r.userid) for r in session.execute(statement, rows)}
    return [f for f in added if (f.customer_id, f.userid) in fresh]


def _write_welcomes(
    session: Session,
    tenant_id: int,
    added: list[FriendAdded],
    codes: dict[str, ChannelCode],
    now: dt.datetime,
) -> None:
    fallback: dict[str, Any] | None = None
    names = dict(
        session.execute(
            select(Customer.id, Customer.name).where(
                Customer.id.in_([f.customer_id for f in added])
            )
        ).all()
    )
    staff = dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.name).where(
                StaffAccount.tenant_id == tenant_id,
                StaffAccount.userid.in_({f.userid for f in added}),
            )
        ).all()
    )
    rows = []
    for friend in added:
        code = codes.get(friend.state)
        if code is not None and code.status != DELETED:
            welcome = code.welcome or {}
        else:
            if fallback is None:
                fallback = default_welcome(session, tenant_id)
            welcome = fallback
        if not welcome.get("enabled"):
            continue
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "code_id": code.id if code is not None else None,
            "customer_id": friend.customer_id,
            "userid": friend.userid,
            "external_userid": friend.external_userid,
            "welcome_code": friend.welcome_code or "",
            "added_at": friend.added_at,
            "created_at": now,
            "attempts": 0,
            "content": content_for(
                welcome, names.get(friend.customer_id) or "", staff.get(friend.userid, ""), now
            ),
        }
        if friend.welcome_code:
            row |= {"welcome_key": friend.welcome_code, "status": PENDING, "reason": ""}
        else:
            stamp = int(friend.added_at.timestamp())
            row |= {
                "welcome_key": f"none:{friend.customer_id}:{friend.userid}:{stamp}",
                "status": SKIPPED,
                "reason": "no_welcome_code",
            }
        rows.append(row)
    if not rows:
        return
    statement = insert_ignoring(session, WELCOMES, ["tenant_id", "welcome_key"]).returning(
        WELCOMES.c.id, WELCOMES.c.status
    )
    to_send = [r.id for r in session.execute(statement, rows) if r.status == PENDING]
    if to_send:
        jobs.submit_many(
            session,
            WELCOME_JOB,
            [(tenant_id, f"welcome:{i}", {"welcome_id": i}) for i in to_send],
            chain=True,  # WeCom takes the welcome code for 20 seconds only
        )
