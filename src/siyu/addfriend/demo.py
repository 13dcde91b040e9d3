"""The demo tenant's add-friend list: last year's buyers handed to two shop assistants three days
ago, some added, some skipped, some waiting, the rest planned for the days ahead. Made by the
same code an uploaded list goes through (drop, hand out, plan), with the file's rows inline."""

from __future__ import annotations

import datetime as dt
import random
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.addfriend import imports, repository, service
from siyu.addfriend.models import ACTIVE, AddFriendList, AddFriendTask
from siyu.customers import phones
from siyu.customers.models import Customer, CustomerPhone, CustomerSyncRun
from siyu.db import utcnow
from siyu.jobs import NotYet
from siyu.sheets import importing
from siyu.sheets.importing import Problem

DEMO_LIST = "老客回流 · 双十一买家 Singles' Day buyers"
DEMO_STAFF = ("wangfang", "chenjie")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("女士", "先生", "小姐", "阿姨", "姐", "哥")
SOURCES = ("天猫旗舰店", "门店收银", "小程序商城")


def seed(session: Session, tenant_id: int, *, size: int = 60) -> None:
    """Idempotent: a tenant that has the demo list keeps it as it is."""
    if session.scalar(
        select(AddFriendList.id).where(
            AddFriendList.tenant_id == tenant_id, AddFriendList.name == DEMO_LIST
        )
    ):
        return
    statuses = repository.staff_statuses(session, tenant_id)
    userids = [u for u in DEMO_STAFF if statuses.get(u) == "active"]
    if not userids:
        raise NotYet("waiting for the staff sync")
    last_sync = session.scalar(
        select(CustomerSyncRun.state)
        .where(CustomerSyncRun.tenant_id == tenant_id)
        .order_by(CustomerSyncRun.id.desc())
        .limit(1)
    )
    if last_sync in (None, "running"):
        raise NotYet("waiting for the customer sync")
    rng = random.Random(11)  # noqa: S311 - made-up demo rows, not security
    now = utcnow()
    today = service.today(now)
    started = today - dt.timedelta(days=3)
    # The file's rows, by field: sixty buyers, one number a digit short, one buyer who is a
    # friend already (a number WeCom reported as a remark mobile), two rows given twice.
    cells = [
        {
            "phone": f"170{rng.randrange(10**8):08d}",
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "note": rng.choice(("", "买过两次", "咨询过尺码", "")),
            "source": rng.choice(SOURCES),
        }
        for _ in range(size)
    ]
    cells.insert(size // 2, {"phone": "1380013800", "name": "号码少一位"})
    known = session.scalar(
        select(CustomerPhone.sealed)
        .join(Customer, Customer.id == CustomerPhone.customer_id)
        .where(CustomerPhone.tenant_id == tenant_id, Customer.status == "active")
        .limit(1)
    )
    if known is not None:
        cells.append({"phone": phones.unseal(known), "name": "老朋友"})
    cells += cells[:2]
    headers = ["手机号", "姓名", "备注", "来源"]
    mapping = {"手机号": "phone", "姓名": "name", "备注": "note", "来源": "source"}
    check = partial(
        imports.check,
        columns=imports.column_map(headers, mapping),
        staff=statuses,
        locale="zh-CN",
    )
    rows: list[imports.Row] = []
    problems: list[Problem] = []
    for number, values in enumerate(cells, start=2):
        row, found = check(number, values)
        rows += [row] if row is not None else []
        problems += found
    demo_list = AddFriendList(
        tenant_id=tenant_id,
        name=DEMO_LIST,
        state=ACTIVE,
        filename="双十一买家.csv",
        stored_path="",
        sha256="0" * 64,
        format="csv",
        headers=headers,
        mapping=mapping,
        userids=userids,
        daily_limit=8,
        greeting=service.DEFAULT_GREETING,
        start_day=started,
        rows_hint=len(cells),
        rows_read=len(cells),
        last_row=len(cells) + 1,
        rejected=len({p.row for p in problems}),
        created_at=now - dt.timedelta(days=3),
        started_at=now - dt.timedelta(days=3),
        imported_at=now - dt.timedelta(days=3),
    )
    session.add(demo_list)
    session.flush()
    session.execute(
        imports.REJECTS.insert(),
        importing.reject_rows(tenant_id, {"list_id": demo_list.id}, problems),
    )
    tasks, dropped = imports.apply_rows(
        session, demo_list, rows, service.Assigner(userids, {}), now=now
    )
    demo_list.added, demo_list.duplicates = len(tasks), dropped.duplicates
    demo_list.existing_customers = dropped.existing_customers
    demo_list.open_elsewhere = dropped.open_elsewhere
    session.flush()
    service.plan(session, tenant_id, userids, day=started)
    # The past three days: most requests accepted, a few refused or wrong, one still waiting.
    for task in session.scalars(
        select(AddFriendTask)
        .where(AddFriendTask.list_id == demo_list.id, AddFriendTask.due_day < today)
        .order_by(AddFriendTask.id)
    ):
        roll = rng.random()
        at = dt.datetime.combine(task.due_day or today, dt.time(3), dt.UTC)
        if roll < 0.55:
            task.state, task.completed_userid, task.finished_at = "done", task.userid, at
            task.sent_at = at - dt.timedelta(hours=1)
        elif roll < 0.7:
            task.state, task.skip_reason, task.finished_at = "skipped", "refused", at
        elif roll < 0.78:
            task.state, task.skip_reason, task.finished_at = "skipped", "no_such_number", at
        elif roll < 0.88:
            task.state, task.sent_at = "sent", at
        # else: left pending, and rolls over to today below
    session.flush()
    service.plan(session, tenant_id, userids, day=today, again=True)
