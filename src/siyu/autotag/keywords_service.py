"""Keyword rules: kept, validated, and applied to the chat pages the ingest reads. Never commits.

Each change bumps the tenant's rule-set version; the matcher a worker caches for a tenant is
rebuilt when the version it was built from is no longer the current one, so an edit takes
effect from the next page. A hit is a :class:`KeywordHit` row (once per rule and message) and
tags the customer through :func:`siyu.tags.service.tag_customers` in the page's transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from siyu.autotag import keywords
from siyu.autotag.errors import UnknownTags
from siyu.autotag.keywords import Matcher, RuleSpec
from siyu.autotag.models import KeywordHit, KeywordRule, KeywordRuleSet
from siyu.autotag.schemas import RuleIn, RulePatch
from siyu.chats.archive import ArchivedMessage
from siyu.customers.models import Customer
from siyu.db import insert_ignoring, insert_unless_exists, utcnow
from siyu.errors import NotFound
from siyu.tags import service as tags
from siyu.tags.models import Tag

HITS = cast(Table, KeywordHit.__table__)
EXCERPT_CHARS = 120
ACTOR = "keyword"


# --- the rules ---------------------------------------------------------------------------


def version(session: Session, tenant_id: int) -> int:
    found = session.scalar(
        select(KeywordRuleSet.version).where(KeywordRuleSet.tenant_id == tenant_id)
    )
    return int(found or 0)


def _bump(session: Session, tenant_id: int) -> None:
    created = insert_unless_exists(
        session, KeywordRuleSet, {"tenant_id": tenant_id, "version": 1}, ["tenant_id"]
    )
    if created is None:
        session.execute(
            update(KeywordRuleSet)
            .where(KeywordRuleSet.tenant_id == tenant_id)
            .values(version=KeywordRuleSet.version + 1)
            .execution_options(synchronize_session=False)
        )


def _check_tags(session: Session, tenant_id: int, tag_ids: Sequence[int]) -> None:
    unknown = tags.missing_tags(session, tenant_id, tag_ids)
    if unknown:
        raise UnknownTags(tag_ids=", ".join(map(str, unknown)), detail={"tag_ids": unknown})


def get(session: Session, tenant_id: int, rule_id: int) -> KeywordRule:
    rule = session.get(KeywordRule, rule_id)
    if rule is None or rule.tenant_id != tenant_id:
        raise NotFound("keyword_rule")
    return rule


def create_rule(
    session: Session, tenant_id: int, data: RuleIn, *, created_by: int | None
) -> KeywordRule:
    _check_tags(session, tenant_id, data.tag_ids)
    rule = KeywordRule(tenant_id=tenant_id, created_by=created_by, **data.model_dump())
    session.add(rule)
    session.flush()
    _bump(session, tenant_id)
    return rule


def update_rule(session: Session, rule: KeywordRule, data: RulePatch) -> KeywordRule:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    if "tag_ids" in changes:
        _check_tags(session, rule.tenant_id, changes["tag_ids"])
    for name, value in changes.items():
        setattr(rule, name, value)
    rule.updated_at = utcnow()
    session.flush()
    _bump(session, rule.tenant_id)
    return rule


def delete_rule(session: Session, rule: KeywordRule) -> None:
    session.execute(delete(KeywordHit).where(KeywordHit.rule_id == rule.id))
    session.delete(rule)
    session.flush()
    _bump(session, rule.tenant_id)


def page(
    session: Session, tenant_id: int, *, search: str, offset: int, limit: int
) -> tuple[list[KeywordRule], int]:
    query = select(KeywordRule).where(KeywordRule.tenant_id == tenant_id)
    if search:
        query = query.where(KeywordRule.name.contains(search, autoescape=True))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rules = session.scalars(
        query.order_by(KeywordRule.created_at.desc(), KeywordRule.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rules), total


@dataclass(frozen=True)
class RuleCounts:
    hits: int = 0
    customers: int = 0
    last_hit_at: dt.datetime | None = None


def counts(session: Session, tenant_id: int, rule_ids: list[int]) -> dict[int, RuleCounts]:
    if not rule_ids:
        return {}
    rows = session.execute(
        select(
            KeywordHit.rule_id,
            func.count(),
            func.count(KeywordHit.customer_id.distinct()),
            func.max(KeywordHit.at),
        )
        .where(KeywordHit.tenant_id == tenant_id, KeywordHit.rule_id.in_(rule_ids))
        .group_by(KeywordHit.rule_id)
    )
    return {rule_id: RuleCounts(n, c, last) for rule_id, n, c, last in rows}


def hits(
    session: Session, rule: KeywordRule, *, offset: int, limit: int
) -> tuple[list[tuple[KeywordHit, str]], int]:
    where = (KeywordHit.tenant_id == rule.tenant_id, KeywordHit.rule_id == rule.id)
    total = session.scalar(select(func.count()).select_from(KeywordHit).where(*where)) or 0
    rows = session.execute(
        select(KeywordHit, Customer.name)
        .join(Customer, Customer.id == KeywordHit.customer_id)
        .where(*where)
        .order_by(KeywordHit.at.desc(), KeywordHit.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [(hit, name) for hit, name in rows], total


# --- matching ------------------------------------------------------------------------------


def matcher_for(session: Session, tenant_id: int) -> Matcher:
    """The tenant's matcher of its current rules, from this worker's cache when up to date."""
    current = version(session, tenant_id)
    matcher = keywords.cached(tenant_id, current)
    if matcher is None:
        rules = session.scalars(
            select(KeywordRule).where(
                KeywordRule.tenant_id == tenant_id, KeywordRule.enabled.is_(True)
            )
        )
        matcher = Matcher(
            RuleSpec(r.id, r.name, tuple(r.keywords), r.match_mode, r.side, tuple(r.tag_ids))
            for r in rules
        )
        keywords.remember(tenant_id, current, matcher)
    return matcher


@dataclass(frozen=True)
class Said:
    """A message of a page with whose customer it is about and who wrote it."""

    customer_id: int
    side: str  # customer | staff
    message: ArchivedMessage


def excerpt(text: str, keyword: str) -> str:
    """The message around the keyword, at most :data:`EXCERPT_CHARS` characters."""
    if len(text) <= EXCERPT_CHARS:
        return text
    at = max(text.find(keyword), 0)
    start = max(0, min(at - EXCERPT_CHARS // 3, len(text) - EXCERPT_CHARS))
    clipped = text[start : start + EXCERPT_CHARS]
    return ("…" if start else "") + clipped + ("…" if start + EXCERPT_CHARS < len(text) else "")


def _at(message: ArchivedMessage) -> dt.datetime:
    return dt.datetime.fromtimestamp(message.msgtime / 1000, tz=dt.UTC)


def apply(session: Session, tenant_id: int, messages: Sequence[Said]) -> int:
    """Match the text messages of a page and tag the customers they hit. Returns the new hits."""
    texts = [m for m in messages if m.message.msgtype == "text" and m.message.text]
    if not texts:
        return 0
    matcher = matcher_for(session, tenant_id)
    if not matcher.rules:
        return 0
    found: list[tuple[Said, RuleSpec, str]] = []
    for said in texts:
        for rule_id, keyword in matcher.match(said.message.text, said.side).items():
            found.append((said, matcher.rules[rule_id], keyword))
    if not found:
        return 0
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {
            "tenant_id": tenant_id,
            "rule_id": rule.id,
            "customer_id": said.customer_id,
            "msgid": said.message.msgid,
            "keyword": keyword[:60],
            "side": said.side,
            "excerpt": excerpt(said.message.text, keyword)[:200],
            "seq": said.message.seq,
            "at": _at(said.message),
            "created_at": now,
        }
        for said, rule, keyword in found
    ]
    # Rules deleted since the matcher was built have no row to point at: left out.
    live = set(
        session.scalars(
            select(KeywordRule.id).where(
                KeywordRule.tenant_id == tenant_id,
                KeywordRule.id.in_({r["rule_id"] for r in rows}),
            )
        )
    )
    rows = [r for r in rows if r["rule_id"] in live]
    if not rows:
        return 0
    inserted = {
        (rule_id, msgid)
        for rule_id, msgid in session.execute(
            insert_ignoring(session, HITS, ["tenant_id", "rule_id", "msgid"]).returning(
                HITS.c.rule_id, HITS.c.msgid
            ),
            rows,
        )
    }
    valid_tags = set(
        session.scalars(
            select(Tag.id).where(
                Tag.tenant_id == tenant_id,
                Tag.id.in_({t for _s, rule, _k in found for t in rule.tag_ids}),
                Tag.deleting.is_(False),
            )
        )
    )
    tagged: set[tuple[int, int]] = set()
    for said, rule, keyword in found:
        key = (rule.id, said.customer_id)
        if (rule.id, said.message.msgid) not in inserted or key in tagged:
            continue
        tagged.add(key)
        add = [t for t in rule.tag_ids if t in valid_tags]
        if not add:
            continue
        tags.tag_customers(
            session,
            tenant_id,
            [said.customer_id],
            add=add,
            actor=ACTOR,
            source="keyword",
            now=now,
            known_customers=True,
            detail={
                "rule_id": rule.id,
                "rule": rule.name,
                "keyword": keyword,
                "msgid": said.message.msgid,
            },
        )
    return len(inserted)
