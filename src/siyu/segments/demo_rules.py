"""The demo tenant's behaviour rules (行为标签) and its saved segments that name tags.

Tags reach Siyu with the WeCom sync, after the tenant is made, so these wait for it in a job
(``segments.demo``, submitted by :func:`siyu.segments.demo.seed`) as the demo channel codes do.
The rules use the demo corp's own tags (客户等级: 潜在 / 新客 / 复购; 来源渠道: 门店 …) and are
made the way the console makes them: checked, saved, and run over every customer at once.
Nothing is made twice: a rule or segment whose name the tenant has is left as it is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers.models import CustomerSyncRun
from siyu.db import utcnow
from siyu.jobs import Job, NotYet, job
from siyu.segments import behaviour, service
from siyu.segments.models import BehaviourRule, Segment
from siyu.staff.models import StaffAccount
from siyu.tags.models import Tag

DEMO_JOB = "segments.demo"

# Rules an operations team of the demo brand would keep. ``tags`` and ``tag_names`` (in a
# ``tags`` condition) are tag names, turned into the tenant's tag ids when the job runs.
DEMO_RULES: tuple[dict[str, Any], ...] = (
    {
        "name": "近30天新好友 → 新客",
        "description": "最近 30 天加上、还不是潜在客户的好友打上新客；满 30 天后由规则摘掉",
        "rule": {
            "and": [
                {"field": "added_at", "op": "within_days", "value": 30},
                {"field": "follow", "op": "eq", "value": "friend"},
                {"field": "tags", "op": "none", "tag_names": ["潜在"]},
            ]
        },
        "tags": ["新客"],
        "untag": True,
    },
    {
        "name": "朋友圈广告来、未复购 → 潜在",
        "description": "朋友圈广告带来的客户在复购之前都算潜在客户，导购优先跟进；复购后由规则摘掉",
        "rule": {
            "and": [
                {"field": "channel", "op": "eq", "value": "moments_ad"},
                {"field": "tags", "op": "none", "tag_names": ["复购"]},
            ]
        },
        "tags": ["潜在"],
        "untag": True,
    },
    {
        "name": "门店码加的好友 → 门店",
        "description": "从徐汇店、朝阳店渠道码加上的客户都带上门店标签，导入或改资料的也不漏",
        "rule": {"field": "channel", "op": "in", "value": ["store_xuhui", "store_chaoyang"]},
        "tags": ["门店"],
        "untag": False,
    },
)

# Saved segments on tags: they can only be saved once the tags are synced.
DEMO_TAG_SEGMENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "上海 · 新客",
        "description": "上海门店的新客，适合推到店首单福利",
        "rule": {
            "and": [
                {"field": "city", "op": "eq", "value": "上海"},
                {"field": "tags", "op": "any", "tag_names": ["新客"]},
            ]
        },
    },
)


def _with_tag_ids(rule: dict[str, Any], tag_ids: dict[str, int]) -> dict[str, Any]:
    """The rule with each ``tag_names`` turned into the tenant's ``value`` of tag ids."""
    if "and" in rule or "or" in rule:
        key = "and" if "and" in rule else "or"
        return {key: [_with_tag_ids(part, tag_ids) for part in rule[key]]}
    if "not" in rule:
        return {"not": _with_tag_ids(rule["not"], tag_ids)}
    if "tag_names" in rule:
        names = rule["tag_names"]
        return {"field": rule["field"], "op": rule["op"], "value": [tag_ids[n] for n in names]}
    return dict(rule)


def _tag_names(rule: dict[str, Any]) -> set[str]:
    if "and" in rule or "or" in rule:
        return set().union(*(_tag_names(part) for part in rule.get("and", rule.get("or", []))))
    if "not" in rule:
        return _tag_names(rule["not"])
    return set(rule.get("tag_names", ()))


def seed(session: Session, tenant_id: int) -> tuple[int, int]:
    """Make the demo rules and tag segments the tenant does not have yet (by name); returns
    how many rules and segments were made. Raises :class:`NotYet` until the syncs are done."""
    if session.scalar(select(StaffAccount.id).where(StaffAccount.tenant_id == tenant_id)) is None:
        raise NotYet("waiting for the staff sync")
    syncs = session.scalars(
        select(CustomerSyncRun.state).where(CustomerSyncRun.tenant_id == tenant_id)
    ).all()
    if not syncs or "running" in syncs:
        raise NotYet("waiting for the customer sync")
    tag_ids = dict(
        session.execute(
            select(Tag.name, Tag.id).where(Tag.tenant_id == tenant_id, Tag.deleting.is_(False))
        ).all()
    )
    wanted = {n for demo in DEMO_RULES for n in demo["tags"]}
    wanted |= {n for demo in (*DEMO_RULES, *DEMO_TAG_SEGMENTS) for n in _tag_names(demo["rule"])}
    if not wanted <= set(tag_ids):
        raise NotYet(f"waiting for the demo's tags: {', '.join(sorted(wanted - set(tag_ids)))}")

    now = utcnow()
    have_rules = set(
        session.scalars(select(BehaviourRule.name).where(BehaviourRule.tenant_id == tenant_id))
    )
    rules = 0
    for demo in DEMO_RULES:
        if demo["name"] in have_rules:
            continue
        rule = _with_tag_ids(demo["rule"], tag_ids)
        service.check(session, tenant_id, rule)
        row = BehaviourRule(
            tenant_id=tenant_id,
            name=demo["name"],
            description=demo["description"],
            rule=rule,
            tag_ids=behaviour.check_tags(session, tenant_id, [tag_ids[n] for n in demo["tags"]]),
            untag=demo["untag"],
            enabled=True,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        # Run over every customer now, as a rule made in the console does.
        jobs.submit(
            session,
            behaviour.RUN_JOB,
            {"rule_id": row.id},
            tenant_id=tenant_id,
            key=f"behaviour:{row.id}:{row.updated_at.timestamp():.6f}",
        )
        rules += 1

    have_segments = set(session.scalars(select(Segment.name).where(Segment.tenant_id == tenant_id)))
    segments = 0
    for demo in DEMO_TAG_SEGMENTS:
        if demo["name"] in have_segments:
            continue
        rule = _with_tag_ids(demo["rule"], tag_ids)
        service.check(session, tenant_id, rule)
        session.add(
            Segment(
                tenant_id=tenant_id,
                name=demo["name"],
                description=demo["description"],
                rule=rule,
                created_at=now,
                updated_at=now,
            )
        )
        segments += 1
    session.flush()
    return rules, segments


@job(DEMO_JOB, max_attempts=12)
def demo_rules(session: Session, job_row: Job) -> None:
    """The demo brand's behaviour rules and tag segments, once its tags are synced."""
    seed(session, job_row.payload["tenant_id"])
