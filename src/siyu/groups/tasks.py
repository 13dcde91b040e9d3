"""Group jobs: the full sync (resumable), the coalesced re-read of groups callbacks marked, the
swap of a group with room into a full group code, and re-reading codes WeCom opened groups for.
WeCom is read with no transaction held; each batch is applied in a short one that also moves the
sync's position and checks the job's lease."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.groups import codes, service, wecom_ops
from siyu.groups import events as _events  # noqa: F401 - registers the callback handlers
from siyu.groups.models import Group, GroupCode, GroupSyncRun
from siyu.groups.schemas import GroupCodeIn, WelcomeAttachment, WelcomeIn
from siyu.jobs import Job, NotYet, every, hold_lease, io_job, job
from siyu.wecom import schemas
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import GoneInWeCom, WeComError
from siyu.wecom.models import WeComConnection

log = logging.getLogger("siyu.groups")

LIST_LIMIT = 1000  # groupchat/list's largest page
OWNERS_PER_CALL = 100  # owner_filter.userid_list takes at most 100 members
READ_BATCH = 20  # groups read from WeCom, then applied in one transaction
TOO_MANY = 81017  # groupchat/list without owner_filter when over 1000 members are visible
REFRESH_ROUNDS = 20


def read_groups(
    client: WeComClient, chat_ids: list[str]
) -> tuple[list[schemas.GroupChatDetail], list[str]]:
    """``groupchat/get`` for each: the groups read, and those WeCom says are gone."""
    details, gone = [], []
    for chat_id in chat_ids:
        try:
            details.append(client.get_group_chat(chat_id))
        except GoneInWeCom:
            gone.append(chat_id)
    return details, gone


def _apply_read(
    session: Session,
    tenant_id: int,
    details: list[schemas.GroupChatDetail],
    gone: list[str],
    *,
    run_id: int | None = None,
    read_started: dt.datetime | None = None,
) -> service.Applied:
    now = utcnow()
    applied = service.apply_details(
        session, tenant_id, details, now=now, run_id=run_id, read_started=read_started
    )
    for chat_id in gone:
        applied.group_ids.add(service.dismiss(session, tenant_id, chat_id, now).id)
    codes.check_codes(session, tenant_id, applied.group_ids)
    return applied


@io_job(service.SYNC_JOB, max_attempts=20)
def sync_groups(database: Database, job_row: Job) -> None:
    tenant_id, run_id = job_row.payload["tenant_id"], job_row.payload["run_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    with database.transaction() as session:
        run = session.get(GroupSyncRun, run_id)
        if run is None or run.state != "running":
            return
        if client is None:
            run.state, run.error, run.finished_at = "failed", "not connected to WeCom", utcnow()
            return
        if job_row.attempts > 1:
            run.resumed += 1
        hold_lease(session, job_row)
        session.expunge(run)
    if run.phase == "list":
        _list(database, job_row, client, run)
    while True:
        with database.factory() as session:
            chat_ids = service.to_read(session, tenant_id, run_id, READ_BATCH)
        if not chat_ids:
            break
        details, gone = read_groups(client, chat_ids)
        with database.transaction() as session:
            hold_lease(session, job_row)
            _apply_read(session, tenant_id, details, gone, run_id=run_id)
            for group in session.scalars(
                select(Group).where(Group.tenant_id == tenant_id, Group.chat_id.in_(gone))
            ):
                group.read_by_run = run_id
            stored = session.get(GroupSyncRun, run_id)
            assert stored is not None
            stored.read += len(chat_ids)
            stored.updated_at = utcnow()
    with database.transaction() as session:
        hold_lease(session, job_row)
        stored = session.get(GroupSyncRun, run_id)
        assert stored is not None
        stored.dismissed = service.finish_run(session, stored, utcnow())
        stored.state, stored.finished_at = "done", utcnow()
    log.info("group sync %s done for tenant %s", run_id, tenant_id)


def _list(database: Database, job_row: Job, client: WeComClient, run: GroupSyncRun) -> None:
    """Page through ``groupchat/list`` from the run's position, each page committed with it;
    by owner, 100 at a time, when WeCom says the corp is too large to list at once."""
    tenant_id, run_id = run.tenant_id, run.id
    by_owner, owners, batch, cursor = run.by_owner, list(run.owners), run.owner_batch, run.cursor
    while True:
        chunk = owners[batch * OWNERS_PER_CALL : (batch + 1) * OWNERS_PER_CALL]
        if by_owner and not chunk:
            break
        try:
            page = client.list_group_chats(
                cursor=cursor, limit=LIST_LIMIT, owners=chunk if by_owner else None
            )
        except WeComError as exc:
            if exc.errcode != TOO_MANY or by_owner:
                raise
            follow_users = client.get_follow_user_list()
            with database.transaction() as session:
                hold_lease(session, job_row)
                owners = service.follows_of_owners(session, tenant_id, follow_users)
                stored = session.get(GroupSyncRun, run_id)
                assert stored is not None
                stored.by_owner, stored.owners, stored.owner_batch, stored.cursor = (
                    True,
                    owners,
                    0,
                    "",
                )
            by_owner, batch, cursor = True, 0, ""
            continue
        cursor = page.next_cursor
        if not cursor and by_owner:
            batch += 1
        with database.transaction() as session:
            hold_lease(session, job_row)
            service.apply_listing(session, tenant_id, page.group_chat_list, run_id)
            stored = session.get(GroupSyncRun, run_id)
            assert stored is not None
            stored.owner_batch, stored.cursor = batch, cursor
            stored.listed += len(page.group_chat_list)
            stored.updated_at = utcnow()
            if not cursor and not by_owner:
                stored.phase = "detail"
        if not cursor and not by_owner:
            return
    with database.transaction() as session:
        stored = session.get(GroupSyncRun, run_id)
        assert stored is not None
        stored.phase = "detail"


@io_job(service.REFRESH_JOB, max_attempts=10)
def refresh_groups(database: Database, job_row: Job) -> None:
    """Read again every group a callback marked; a group marked again while it was being read
    stays marked and is read once more."""
    tenant_id = job_row.payload["tenant_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    for _ in range(REFRESH_ROUNDS):
        started = utcnow()
        with database.factory() as session:
            chat_ids = list(
                session.scalars(
                    select(Group.chat_id)
                    .where(
                        Group.tenant_id == tenant_id,
                        Group.refresh_requested_at.is_not(None),
                        Group.refresh_requested_at <= started,
                    )
                    .order_by(Group.refresh_requested_at)
                    .limit(READ_BATCH)
                )
            )
        if not chat_ids:
            return
        details, gone = read_groups(client, chat_ids)
        with database.transaction() as session:
            hold_lease(session, job_row)
            _apply_read(session, tenant_id, details, gone, read_started=started)


@io_job(codes.SWAP_JOB, max_attempts=6)
def swap_full_code(database: Database, job_row: Job) -> None:
    wecom_ops.swap_full_code(database, job_row.payload["tenant_id"], job_row.payload["code_id"])


@io_job(codes.READ_CODES_JOB, max_attempts=6)
def read_codes(database: Database, job_row: Job) -> None:
    wecom_ops.read_auto_create_codes(database, job_row.payload["tenant_id"])


DEMO_JOB = "groups.demo"


@io_job(DEMO_JOB, max_attempts=12)
def demo_group_code(database: Database, job_row: Job) -> None:
    """The demo brand's group code over wangfang's two groups, with a welcome template, made
    through WeCom (the sandbox) once the groups are synced. Its state is the one the sandbox's
    demo members joined by, so its joins show at once."""
    from siyu.auth.principal import system_principal
    from siyu.sandbox.demo import DEMO_GROUP_STATE, DEMO_GROUPS

    tenant_id = job_row.payload["tenant_id"]
    actor = system_principal(tenant_id, label="演示数据 demo seed")
    with database.factory() as session:
        run = session.scalar(
            select(GroupSyncRun.state)
            .where(GroupSyncRun.tenant_id == tenant_id)
            .order_by(GroupSyncRun.id.desc())
            .limit(1)
        )
        if run != "done":
            raise NotYet("waiting for the group sync")
        if session.scalar(
            select(GroupCode.id).where(
                GroupCode.tenant_id == tenant_id, GroupCode.state == DEMO_GROUP_STATE
            )
        ):
            return
        chat_ids = [g[0] for g in DEMO_GROUPS if g[2] == "wangfang"]
        group_ids = list(
            session.scalars(
                select(Group.id)
                .where(Group.tenant_id == tenant_id, Group.chat_id.in_(chat_ids))
                .order_by(Group.chat_id)
            )
        )
    if len(group_ids) != len(chat_ids):
        return  # connected to a corp that is not the sandbox's demo corp
    welcome_id = wecom_ops.create_welcome(
        database,
        actor,
        WelcomeIn(
            name="徐汇店入群欢迎",
            text="欢迎 %NICKNAME% 加入徐汇店福利群！每周三上新，群内专享券请看群公告。",
            attachment=WelcomeAttachment(
                msgtype="link", title="领取入群专享券", url="https://example.com/coupon"
            ),
        ),
    )
    wecom_ops.create_code(
        database,
        actor,
        GroupCodeIn(
            name="徐汇店福利群码",
            group_ids=group_ids,
            auto_create=True,
            room_base_name="徐汇店福利群",
            room_base_id=3,
            welcome_id=welcome_id,
            state=DEMO_GROUP_STATE,
        ),
    )


@job("groups.sync_all", max_attempts=3)
def sync_every_tenant(session: Session, job_row: Job) -> None:
    """Nightly: a full sync per connected tenant catches whatever callbacks missed."""
    for tenant_id in session.scalars(select(WeComConnection.tenant_id)):
        service.start_sync(session, tenant_id)


every(crontab(hour="20", minute="10"), "groups.sync_all")  # 04:10 China time
