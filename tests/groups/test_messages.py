"""Messages per day of a customer group, counted from the chat archive: members talk in the
sandbox's group, the archive is pulled, the group page shows the day's messages — once, however
often the archive is pulled — and on the right China day. The demo's groups have a week of talk."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.chats import ingest, service
from siyu.chats.archive import ArchivedMessage
from siyu.codes.routing import LOCAL_TZ, local
from siyu.db import Database, utcnow
from siyu.groups.models import GroupMessageDay
from siyu.sandbox import msgaudit
from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from siyu.sandbox.runtime import Runtime
from tests.autotag.helpers import pull
from tests.conftest import RunJobs, World
from tests.groups.test_callbacks import CHAT, _group, _ready

WU = DEMO_CORP.customers[4].external_userid  # 吴佳怡, in the group
LIU = DEMO_CORP.customers[0].external_userid  # 刘晓燕, not in it


def _say(world: World, sender: str, text: str) -> dict[str, object]:
    return world.sandbox_admin(
        "POST",
        "/simulate/group_chat?wait=true",
        json={"chat_id": CHAT, "sender": sender, "text": text},
    )


def _days(world: World, group_id: int) -> dict[str, int]:
    detail = world.siyu.get(f"/api/v1/groups/{group_id}").json()
    return {d["day"]: d["messages"] for d in detail["days"]}


def test_a_groups_messages_are_counted_per_day_once(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    for text in ("今天有新品吗？", "几点开门", "好的谢谢"):
        _say(world, WU, text)
    for text in ("有的，下午三点上架", "十点开门"):
        _say(world, "wangfang", text)
    # Not a member: WeCom has no such line.
    assert _say(world, LIU, "我也想问")["errcode"] == 40058
    pull(world, run_jobs)

    group = _group(session)
    today = local(utcnow()).date().isoformat()
    assert _days(world, group.id)[today] == 5
    session.expire_all()
    row = session.scalar(select(GroupMessageDay).where(GroupMessageDay.group_id == group.id))
    assert row is not None
    assert (row.messages, row.from_customers) == (5, 3)

    pull(world, run_jobs)  # nothing new: nothing added
    assert _days(world, group.id)[today] == 5


def test_messages_count_on_their_china_day_and_unknown_groups_are_skipped(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    tenant_id = world.connection.tenant_id
    state = service.get(session, tenant_id)
    assert state is not None
    after = state.cursor_seq
    today = local(utcnow()).date()
    # 00:30 today in China is still yesterday in UTC; 23:30 yesterday in China is yesterday.
    early = dt.datetime.combine(today, dt.time(0, 30), LOCAL_TZ)
    late = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(23, 30), LOCAL_TZ)
    page = [
        ArchivedMessage(after + 1, "g1", "send", WU, roomid=CHAT, msgtime=_ms(early), text="早"),
        ArchivedMessage(after + 2, "g2", "send", WU, roomid=CHAT, msgtime=_ms(late), text="晚安"),
        ArchivedMessage(after + 3, "g3", "send", WU, roomid="wrInternal", msgtime=_ms(early)),
    ]
    with database.transaction() as tx:
        result = ingest.apply_page(tx, tenant_id, after, page)
    assert (result.group_messages, result.skipped_group) == (2, 1)

    days = _days(world, _group(session).id)
    assert days[today.isoformat()] == 1
    assert days[(today - dt.timedelta(days=1)).isoformat()] == 1


def _ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def test_the_demo_groups_have_a_week_of_messages(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    runtime: Runtime = world.sandbox.app.state.runtime  # type: ignore[attr-defined]
    with runtime.database.transaction() as sandbox:
        added = msgaudit.seed_group_chats(sandbox, runtime.clock.ts())
    assert added == sum(sum(days) for days in msgaudit.DEMO_GROUP_DAYS)
    with runtime.database.transaction() as sandbox:
        assert msgaudit.seed_group_chats(sandbox, runtime.clock.ts()) == 0  # once
    pull(world, run_jobs)
    for (chat_id, *_rest), per_day in zip(DEMO_GROUPS, msgaudit.DEMO_GROUP_DAYS, strict=True):
        days = _days(world, _group(session, chat_id).id)
        assert sum(days.values()) == sum(per_day), chat_id
        assert len([n for n in days.values() if n]) >= min(len(per_day), 6)
