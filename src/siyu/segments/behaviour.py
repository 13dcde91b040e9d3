"""Behaviour rules (行为标签): a segment rule and the tags it gives.

A rule tags the customers its segment rule selects and, when it ``untag``s, takes its tags off
the customers it tagged that it no longer selects. Who a rule tagged is kept
(:class:`BehaviourMember`), so a tag someone put on by hand is never taken off by a rule.
Evaluation is by Siyu's SQL evaluator, in id ranges for a whole tenant (nightly, and when a
rule is made or changed) and for the customers in the audience change log every minute. Every
tag goes through :func:`siyu.tags.service.tag_customers`: the timeline names the rule, and WeCom
gets the tags in batches through the tags outbox.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.db import insert_rows_ignoring, utcnow
from siyu.segments import service
from siyu.segments import sql as segment_sql
from siyu.segments.models import AudienceChange, BehaviourCursor, BehaviourMember, BehaviourRule
from siyu.segments.rules import parse
from siyu.tags import service as tags
from siyu.tags.models import CustomerTag

SOURCE = "rule"
RANGE = 50_000  # customer ids per step of a whole-tenant evaluation
CHANGES = 5_000  # changed customers per step of a catch-up
MEMBERS = cast(Table, BehaviourMember.__table__)
RUN_JOB, CHANGES_JOB, NIGHTLY_JOB = (
    "segments.behaviour_run",
    "segments.behaviour_changes",
    "segments.behaviour_nightly",
)


@dataclass
class Outcome:
    selected: int = 0
    tagged: int = 0
    untagged: int = 0


def check_tags(session: Session, tenant_id: int, tag_ids: list[int]) -> list[int]:
    from siyu.segments.errors import UnknownReferences

    wanted = sorted(set(tag_ids))
    missing = tags.missing_tags(session, tenant_id, wanted)
    if missing or not wanted:
        raise UnknownReferences(
            {"field": "tag_ids", "ids": missing},
            what_zh="标签",
            what_en="tags",
            ids=", ".join(map(str, missing)) or "—",
        )
    return wanted


def evaluate(
    session: Session,
    row: BehaviourRule,
    *,
    only: list[int] | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Apply the rule to the tenant's customers, or to ``only`` these."""
    now = now or utcnow()
    rule = parse(row.rule)
    ctx = service.context(session, row.tenant_id, rule)
    outcome = Outcome()
    if only is not None:
        for start in range(0, len(only), CHANGES):
            _apply(
                session, row, rule, ctx, sorted(only[start : start + CHANGES]), None, now, outcome
            )
        return outcome
    low, high = session.execute(
        select(func.min(Customer.id), func.max(Customer.id)).where(
            Customer.tenant_id == row.tenant_id
        )
    ).one()
    if low is not None:
        for lo in range(low, high + 1, RANGE):
            _apply(session, row, rule, ctx, None, (lo, lo + RANGE - 1), now, outcome)
    row.members = outcome.selected
    row.last_run_at, row.last_tagged, row.last_untagged = now, outcome.tagged, outcome.untagged
    row.last_error = ""
    return outcome


def _apply(
    session: Session,
    row: BehaviourRule,
    rule: Any,
    ctx: Any,
    ids: list[int] | None,
    span: tuple[int, int] | None,
    now: dt.datetime,
    outcome: Outcome,
) -> None:
    query = segment_sql.members(row.tenant_id, rule, ctx)
    held = select(BehaviourMember.customer_id).where(BehaviourMember.rule_id == row.id)
    if ids is not None:
        query = query.where(Customer.id.in_(ids))
        held = held.where(BehaviourMember.customer_id.in_(ids))
    elif span is not None:
        query = query.where(Customer.id.between(*span))
        held = held.where(BehaviourMember.customer_id.between(*span))
    selected = set(session.scalars(query))
    members = set(session.scalars(held))
    outcome.selected += len(selected)
    detail = {"rule_id": row.id, "rule": row.name}
    actor = f"rule:{row.name}"[:64]
    joining = sorted(selected - members)
    if joining:
        # The rule owns the tags of those it gives at least one of them to.
        having = session.execute(
            select(CustomerTag.customer_id, func.count())
            .where(CustomerTag.customer_id.in_(joining), CustomerTag.tag_id.in_(row.tag_ids))
            .group_by(CustomerTag.customer_id)
        ).all()
        complete = {cid for cid, count in having if count >= len(set(row.tag_ids))}
        owned = [cid for cid in joining if cid not in complete]
        if owned:
            done = tags.tag_customers(
                session,
                row.tenant_id,
                owned,
                add=row.tag_ids,
                actor=actor,
                source=SOURCE,
                now=now,
                known_customers=True,
                detail=detail,
            )
            outcome.tagged += done.added
            insert_rows_ignoring(
                session,
                MEMBERS,
                ["rule_id", "customer_id"],
                [
                    {"tenant_id": row.tenant_id, "rule_id": row.id, "customer_id": c, "since": now}
                    for c in owned
                ],
            )
    leaving = sorted(members - selected)
    if leaving and row.untag:
        done = tags.tag_customers(
            session,
            row.tenant_id,
            leaving,
            remove=row.tag_ids,
            actor=actor,
            source=SOURCE,
            now=now,
            known_customers=True,
            detail=detail,
        )
        outcome.untagged += done.removed
    if leaving:
        session.execute(
            delete(BehaviourMember).where(
                BehaviourMember.rule_id == row.id, BehaviourMember.customer_id.in_(leaving)
            )
        )


def enabled_rules(session: Session, tenant_id: int) -> list[BehaviourRule]:
    return list(
        session.scalars(
            select(BehaviourRule)
            .where(BehaviourRule.tenant_id == tenant_id, BehaviourRule.enabled.is_(True))
            .order_by(BehaviourRule.id)
        )
    )


def catch_up(session: Session, tenant_id: int, *, limit: int = CHANGES) -> int:
    """Apply the tenant's rules to the customers changed since the last catch-up; returns how
    many customers were looked at. The cursor moves in the same transaction."""
    cursor = session.get(BehaviourCursor, tenant_id)
    if cursor is None:
        last = session.scalar(
            select(func.coalesce(func.max(AudienceChange.id), 0)).where(
                AudienceChange.tenant_id == tenant_id
            )
        )
        cursor = BehaviourCursor(tenant_id=tenant_id, change_id=int(last or 0))
        session.add(cursor)
        session.flush()
        return 0
    rows = session.execute(
        select(AudienceChange.id, AudienceChange.customer_id)
        .where(AudienceChange.tenant_id == tenant_id, AudienceChange.id > cursor.change_id)
        .order_by(AudienceChange.id)
        .limit(limit)
    ).all()
    if not rows:
        return 0
    ids = sorted({r.customer_id for r in rows})
    for row in enabled_rules(session, tenant_id):
        evaluate(session, row, only=ids)
    cursor.change_id, cursor.updated_at = rows[-1].id, utcnow()
    return len(ids)
