"""Segments: checking rules against the tenant's data, counting and listing members with the
audience index, and the saved segments."""

from __future__ import annotations

from itertools import islice
from typing import Any

from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.codes.service import local_day
from siyu.db import utcnow
from siyu.groups.models import Group
from siyu.segments import live
from siyu.segments.errors import BadRule, DuplicateName, UnknownReferences
from siyu.segments.models import Segment
from siyu.segments.rules import Rule, RuleError, parse, referenced
from siyu.segments.sql import Context
from siyu.stores.models import Region, Store
from siyu.tags.models import Tag

REFERENCES: list[tuple[str, Any, dict[str, str]]] = [
    ("tags", Tag, {"zh-CN": "标签", "en": "tags"}),
    ("store", Store, {"zh-CN": "门店", "en": "stores"}),
    ("region", Region, {"zh-CN": "区域", "en": "regions"}),
    ("group", Group, {"zh-CN": "客户群", "en": "groups"}),
]


def check(session: Session, tenant_id: int, data: Any) -> Rule:
    """Read a rule and check that what it names is the tenant's."""
    try:
        rule = parse(data)
    except RuleError as error:
        raise BadRule(error) from None
    for field, model, label in REFERENCES:
        ids = referenced(rule, field)
        if not ids:
            continue
        found = set(
            session.scalars(select(model.id).where(model.tenant_id == tenant_id, model.id.in_(ids)))
        )
        missing = sorted(ids - found)
        if missing:
            raise UnknownReferences(
                {"field": field, "ids": missing},
                what_zh=label["zh-CN"],
                what_en=label["en"],
                ids=", ".join(map(str, missing)),
            )
    return rule


def context(session: Session, tenant_id: int, rule: Rule) -> Context:
    regions = referenced(rule, "region")
    stores: dict[int, set[int]] = {r: set() for r in regions}
    if regions:
        for store_id, region_id in session.execute(
            select(Store.id, Store.region_id).where(
                Store.tenant_id == tenant_id, Store.region_id.in_(regions)
            )
        ):
            if region_id is not None:
                stores[region_id].add(store_id)
    return Context(
        today=local_day(utcnow()),
        region_stores={r: frozenset(s) for r, s in stores.items()},
    )


def members(session: Session, tenant_id: int, rule: Rule) -> BitMap:
    """The customers a rule selects now, from the audience index."""
    held = live.index_for(session, tenant_id)
    with held.lock:
        return held.index.evaluate(rule, context(session, tenant_id, rule))


def universe(session: Session, tenant_id: int) -> int:
    return len(live.index_for(session, tenant_id).index.universe)


def page_of(ids: BitMap, offset: int, limit: int) -> list[int]:
    if offset >= len(ids):
        return []
    return [int(i) for i in islice(ids.iter_equal_or_larger(ids[offset]), limit)]


def unique_name(
    session: Session,
    tenant_id: int,
    name: str,
    current: int | None = None,
    model: Any = Segment,
) -> None:
    """Refuse a name another segment (or behaviour rule, with ``model``) of the tenant has."""
    other = session.scalar(select(model.id).where(model.tenant_id == tenant_id, model.name == name))
    if other is not None and other != current:
        raise DuplicateName(name=name)


def remember_count(segment: Segment, count: int) -> None:
    segment.last_count, segment.counted_at = count, utcnow()
