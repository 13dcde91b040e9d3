"""The demo tenant's week of broadcasts: seven sent over the past days to its segments, tags, a
staff account's customers, three hand-picked customers (with the sender's name and a price list
from the material library) and its customer groups (planned and created in the sandbox through
the real paths, dated on their days), three to come (one repeating every morning) and one
cancelled. ``siyu up`` then has the sandbox's staff confirm most tasks (see
:func:`confirm_demo_tasks`), so the results pages show sends, a sender who has not sent yet,
and customers over the frequency cap."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts import planning, service
from siyu.broadcasts.dispatch import Message
from siyu.broadcasts.models import SENDING, SENT, Broadcast, BroadcastTask
from siyu.broadcasts.schemas import BroadcastIn
from siyu.codes.routing import LOCAL_TZ, local
from siyu.customers.models import Customer, CustomerSyncRun
from siyu.db import Database, utcnow
from siyu.groups.models import GroupSyncRun
from siyu.jobs import Job, NotYet, hold_lease, io_job
from siyu.materials.models import Material
from siyu.segments.models import Segment
from siyu.tags.models import Tag
from siyu.wecom import service as wecom

log = logging.getLogger("siyu.broadcasts")

DEMO_JOB = "broadcasts.demo"
SOURCE = "demo"

# (days ago, China time, name, audience, text)
PAST: tuple[tuple[int, str, str, dict[str, Any], str], ...] = (
    (
        6,
        "10:00",
        "双十一返场 · 上海老客专享",
        {"segment": "上海 · 在跟进的好友"},
        "双十一返场最后三天！上海门店老客到店出示本消息，全场满 300 减 50。",
    ),
    (
        5,
        "20:30",
        "新客福利 · 到店领小样",
        {"segment": "近30天新好友"},
        "欢迎成为我们的新朋友～本周到店报手机号即可领取新品小样一份。",
    ),
    (
        4,
        "12:00",
        "会员日 · 复购客户双倍积分",
        {"tags": "复购"},
        "今天是会员日：老朋友消费享双倍积分，积分可抵现金使用。",
    ),
    (
        3,
        "19:30",
        "王芳的客户 · 新品试用招募",
        {"staff": ["wangfang"]},
        "我这边有 10 个新品试用名额，想试试的回复「试用」就好～",
    ),
    (
        2,
        "15:00",
        "群内新品预告",
        {"groups": True},
        "下午三点新品上架，群内专享 9 折，库存有限先到先得！",
    ),
    (
        2,
        "11:00",
        "老客回访 · 秋冬价目表",
        {"customers": ["刘晓燕", "赵明", "孙丽娟"], "materials": ["秋冬价目表"]},
        "{staff_name}给您发一份秋冬价目表，老客到店再享 95 折，有想看的款随时问我～",
    ),
    (
        1,
        "10:30",
        "周末上新 · 群里的好友",
        {"segment": "在客户群里的好友"},
        "周末上新：秋冬新款到店，群内好友到店再送保温杯一只。",
    ),
)


def _audience(session: Session, tenant_id: int, spec: dict[str, Any]) -> dict[str, Any] | None:
    if "segment" in spec:
        found = session.scalar(
            select(Segment.id).where(
                Segment.tenant_id == tenant_id, Segment.name == spec["segment"]
            )
        )
        return {"kind": "segment", "segment_id": found} if found else None
    if "tags" in spec:
        tag = session.scalar(
            select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.name == spec["tags"]).limit(1)
        )
        return {"kind": "tags", "tag_ids": [tag], "match": "any"} if tag else None
    if "staff" in spec:
        return {"kind": "staff", "userids": spec["staff"]}
    if "customers" in spec:  # hand-picked, by name
        chosen = session.scalars(
            select(Customer.id).where(
                Customer.tenant_id == tenant_id, Customer.name.in_(spec["customers"])
            )
        ).all()
        return {"kind": "customers", "customer_ids": list(chosen)} if chosen else None
    return {"kind": "groups", "group_ids": [], "owner_userids": []}


def _at(days_ago: int, hhmm: str) -> dt.datetime:
    day = local(utcnow()).date() - dt.timedelta(days=days_ago)
    hours, minutes = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hours, minutes), LOCAL_TZ).astimezone(dt.UTC)


def _ready(session: Session, tenant_id: int) -> None:
    for model in (CustomerSyncRun, GroupSyncRun):
        state = session.scalar(
            select(model.state)
            .where(model.tenant_id == tenant_id)
            .order_by(model.id.desc())
            .limit(1)
        )
        if state != "done":
            raise NotYet(f"waiting for {model.__tablename__}")


@io_job(DEMO_JOB, max_attempts=15)
def seed_broadcasts(database: Database, job_row: Job) -> None:
    from siyu.broadcasts.tasks import dispatch_all

    tenant_id = int(job_row.payload["tenant_id"])
    with database.factory() as session:
        _ready(session, tenant_id)
        if session.scalar(
            select(Broadcast.id).where(Broadcast.tenant_id == tenant_id, Broadcast.source == SOURCE)
        ):
            return
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    for days_ago, hhmm, name, spec, text in PAST:
        when = _at(days_ago, hhmm)
        with database.transaction() as session:
            hold_lease(session, job_row)
            audience = _audience(session, tenant_id, spec)
            if audience is None:
                continue
            material_ids = list(
                session.scalars(
                    select(Material.id).where(
                        Material.tenant_id == tenant_id,
                        Material.title.in_(spec.get("materials", [])),
                    )
                )
            )
            body = BroadcastIn.model_validate(
                {
                    "name": name,
                    "chat_type": "group" if audience["kind"] == "groups" else "single",
                    "audience": audience,
                    "text": text,
                    "material_ids": material_ids,
                }
            )
            broadcast = service.create(
                session, tenant_id, body, created_by=None, now=when, source=SOURCE, scheduled=False
            )
            broadcast.due_at = broadcast.send_at = when
            planning.plan(session, broadcast, when)
            broadcast.planned_at, broadcast.state = when, SENDING
            message = Message(
                broadcast.id,
                tenant_id,
                broadcast.chat_type,
                broadcast.text,
                [],
                tuple(material_ids),
            )
        dispatch_all(database, job_row, client, message, quiet_hours=False)
        with database.transaction() as session:
            sent = session.get(Broadcast, message.broadcast_id)
            if sent is not None and sent.state == SENT:
                sent.sent_at = when + dt.timedelta(minutes=1)
    _future(database, tenant_id)


def _future(database: Database, tenant_id: int) -> None:
    now = utcnow()
    today = local(now).date()
    saturday = today + dt.timedelta(days=(5 - today.weekday()) % 7 or 7)
    with database.transaction() as session:
        new_friends = _audience(session, tenant_id, {"segment": "近30天新好友"})
        shanghai = _audience(session, tenant_id, {"segment": "上海 · 在跟进的好友"})
        plans: list[dict[str, Any]] = []
        if new_friends:
            plans.append(
                {
                    "name": "每日早安 · 新朋友",
                    "audience": new_friends,
                    "text": "早上好！今天也为你准备了一份小惊喜，回复「福利」领取～",
                    "send_at": _next(now, "08:30"),
                    "repeat": {"every": "day", "until": str(today + dt.timedelta(days=7))},
                }
            )
        if shanghai:
            plans.append(
                {
                    "name": "周末上新预告",
                    "audience": shanghai,
                    "text": "本周六上海门店秋冬新款首发，提前预约可留尺码。",
                    "send_at": dt.datetime.combine(saturday, dt.time(10), LOCAL_TZ),
                }
            )
        plans.append(
            {
                "name": "群内下午茶 · 限时拼团",
                "chat_type": "group",
                "audience": {"kind": "groups", "group_ids": [], "owner_userids": []},
                "text": "下午茶拼团 3 点开始，群内 5 人成团立减 20 元。",
                "send_at": _next(now, "15:00"),
            }
        )
        for plan in plans:
            service.create(
                session, tenant_id, BroadcastIn.model_validate(plan), created_by=None, source=SOURCE
            )
        dropped = service.create(
            session,
            tenant_id,
            BroadcastIn.model_validate(
                {
                    "name": "临时促销（已取消）",
                    "audience": {"kind": "staff", "userids": ["chenjie"]},
                    "text": "限时秒杀，今晚八点开抢！",
                    "send_at": _next(now, "20:00"),
                }
            ),
            created_by=None,
            source=SOURCE,
        )
        service.cancel(session, dropped)


def _next(now: dt.datetime, hhmm: str) -> dt.datetime:
    """The next China time of day ``hhmm`` at least an hour from now."""
    hours, minutes = (int(x) for x in hhmm.split(":"))
    moment = dt.datetime.combine(local(now).date(), dt.time(hours, minutes), LOCAL_TZ)
    while moment < now + dt.timedelta(hours=1):
        moment += dt.timedelta(days=1)
    return moment


def unconfirmed_demo_tasks(session: Session) -> list[tuple[int, str, str]]:
    """(broadcast, msgid, sender) of the demo's tasks no staff has confirmed, but one sender of
    the latest broadcast (left for the page's "remind" button)."""
    rows = session.execute(
        select(BroadcastTask.broadcast_id, BroadcastTask.msgid, BroadcastTask.sender)
        .join(Broadcast, Broadcast.id == BroadcastTask.broadcast_id)
        .where(
            Broadcast.source == SOURCE,
            Broadcast.state == SENT,
            BroadcastTask.msgid.is_not(None),
            BroadcastTask.confirmed.is_(False),
        )
        .order_by(BroadcastTask.broadcast_id, BroadcastTask.sender)
    ).all()
    if not rows:
        return []
    latest = max(r[0] for r in rows)
    left = [r for r in rows if r[0] == latest][-1]
    return [(b, m or "", s) for b, m, s in rows if (b, m, s) != left]
