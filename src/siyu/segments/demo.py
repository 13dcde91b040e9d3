"""The demo tenant's saved segments: audiences an operations team would keep, on what the demo's
customers carry (the cities of its stores, when they were added, whether they are still friends,
whether they have written in a chat or joined a customer group).

The rules name no tag, store or group ids (those arrive later, from the WeCom sync), so they can
be saved with the tenant; their counts fill in as the syncs bring the customers in. The demo's
behaviour rules and its segments on tags wait for the sync in a job
(:mod:`siyu.segments.demo_rules`), submitted here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import utcnow
from siyu.segments import service
from siyu.segments.models import Segment

DEMO_SEGMENTS: tuple[dict[str, Any], ...] = (
    {
        "name": "上海 · 在跟进的好友",
        "description": "上海门店的客户里仍是好友的，门店活动优先触达",
        "rule": {
            "and": [
                {"field": "city", "op": "eq", "value": "上海"},
                {"field": "follow", "op": "eq", "value": "friend"},
            ]
        },
    },
    {
        "name": "近30天新好友",
        "description": "最近一个月加上的好友，适合发新客福利",
        "rule": {
            "and": [
                {"field": "added_at", "op": "within_days", "value": 30},
                {"field": "follow", "op": "eq", "value": "friend"},
            ]
        },
    },
    {
        "name": "已流失的客户",
        "description": "已不是任何员工好友的客户，可安排召回",
        "rule": {"field": "follow", "op": "eq", "value": "deleted"},
    },
    {
        "name": "近7天咨询过的好友",
        "description": "最近一周在单聊里主动发过消息的好友，适合跟进成交",
        "rule": {
            "and": [
                {"field": "chat_last", "op": "within_days", "value": 7},
                {"field": "follow", "op": "eq", "value": "friend"},
            ]
        },
    },
    {
        "name": "在客户群里的好友",
        "description": "已进入任一客户群的好友，群发与群活动的主力",
        "rule": {
            "and": [
                {"field": "group", "op": "exists"},
                {"field": "follow", "op": "eq", "value": "friend"},
            ]
        },
    },
)


def seed(session: Session, tenant_id: int) -> int:
    """Save the demo segments the tenant does not have yet (by name), and ask for the demo's
    behaviour rules once the tags are synced; returns how many segments were saved."""
    have = set(session.scalars(select(Segment.name).where(Segment.tenant_id == tenant_id)))
    now = utcnow()
    made = 0
    for demo in DEMO_SEGMENTS:
        if demo["name"] in have:
            continue
        service.check(session, tenant_id, demo["rule"])
        session.add(
            Segment(
                tenant_id=tenant_id,
                name=demo["name"],
                description=demo["description"],
                rule=demo["rule"],
                created_at=now,
                updated_at=now,
            )
        )
        made += 1
    session.flush()
    # Behaviour rules and segments on tags, once the WeCom sync has brought the tags in.
    jobs.submit(
        session,
        "segments.demo",
        {"tenant_id": tenant_id},
        tenant_id=tenant_id,
        key=f"segments-demo:{tenant_id}",
    )
    return made
