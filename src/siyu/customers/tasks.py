"""Customer jobs: the full sync (resumable page by page) and the refresh of one customer after a
callback. WeCom is read with no transaction held; each page is applied in a short one that also
moves the sync's cursor and checks the job's lease."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterator
from typing import TypeVar, cast

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import events as _events  # noqa: F401 - registers the callback handlers
from siyu.customers import imports, service
from siyu.customers.models import CustomerSyncRun
from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job
from siyu.tags import service as tags
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import NotAFriend
from siyu.wecom.models import WeComConnection

log = logging.getLogger("siyu.customers")

SYNC_JOB, REFRESH_JOB = service.SYNC_JOB, service.REFRESH_JOB
USERIDS_PER_CALL = 100  # batch/get_by_user takes at most 100 userids
PAGE_SIZE = 100  # and returns at most 100 contacts a page


def batches(userids: list[str]) -> list[list[str]]:
    return [userids[i : i + USERIDS_PER_CALL] for i in range(0, len(userids), USERIDS_PER_CALL)]


@io_job(SYNC_JOB, max_attempts=20)
def sync_customers(database: Database, job_row: Job) -> None:
    tenant_id, run_id = job_row.payload["tenant_id"], job_row.payload["run_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    with database.transaction() as session:
        run = session.get(CustomerSyncRun, run_id)
        if run is None or run.state != "running":
            return
        if client is None:
            run.state, run.error, run.finished_at = "failed", "not connected to WeCom", utcnow()
            return
        if job_row.attempts > 1:
            run.resumed += 1
        hold_lease(session, job_row)
        session.expunge(run)
    if run.pages == 0:
        # Tags first, so the customers' WeCom tag ids map onto Siyu's tags.
        corp_tags = client.get_corp_tag_list()
        with database.transaction() as session:
            hold_lease(session, job_row)
            tags.apply_corp_tags(session, tenant_id, corp_tags, utcnow())
    if not run.userids:
        userids = sorted(client.get_follow_user_list())
        with database.transaction() as session:
            hold_lease(session, job_row)
            stored = session.get(CustomerSyncRun, run_id)
            assert stored is not None
            stored.userids = userids
        run.userids = userids
    pages = _pages(client, batches(run.userids), run.batch, run.cursor)
    for views, batch, cursor in prefetched(pages):
        with database.transaction() as session:
            hold_lease(session, job_row)
            applied = service.apply_views(session, tenant_id, views, now=utcnow(), run_id=run_id)
            stored = session.get(CustomerSyncRun, run_id)
            assert stored is not None
            stored.batch, stored.cursor = batch, cursor
            stored.pages += 1
            stored.follows_seen += applied.follows_seen
            stored.customers_new += applied.customers_new
            stored.updated_at = utcnow()
    with database.transaction() as session:
        hold_lease(session, job_row)
        stored = session.get(CustomerSyncRun, run_id)
        assert stored is not None
        stored.removed = service.finish_run_removals(
            session, tenant_id, run_id, stored.userids, utcnow()
        )
        stored.state, stored.finished_at = "done", utcnow()
    log.info("customer sync %s done for tenant %s", run_id, tenant_id)


Page = tuple[list[service.ContactView], int, str]


def _pages(client: WeComClient, groups: list[list[str]], batch: int, cursor: str) -> Iterator[Page]:
    """WeCom's pages from (batch, cursor) on, each with the position to resume after it."""
    while batch < len(groups):
        page = client.batch_get_by_user(groups[batch], cursor=cursor, limit=PAGE_SIZE)
        cursor = page.next_cursor
        if not cursor:
            batch += 1
        yield service.views_from_batch(page.external_contact_list), batch, cursor


T = TypeVar("T")
_END = object()


def prefetched(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items`` read ahead by a thread, so the next page comes over the network while this one
    is written to the database. An error in the reader is raised here, in order."""
    ahead: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ahead.put(item)
            ahead.put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it
            ahead.put(exc)

    reader = threading.Thread(target=read, name="wecom-prefetch", daemon=True)
    reader.start()
    try:
        while (item := ahead.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
    finally:
        stop.set()
        while reader.is_alive():  # let a blocked reader finish its put and see the stop
            try:
                ahead.get_nowait()
            except queue.Empty:
                reader.join(0.05)


@io_job(REFRESH_JOB, max_attempts=8)
def refresh_customer(database: Database, job_row: Job) -> None:
    """Read one customer with every friendship (``externalcontact/get``) and apply it."""
    tenant_id, external_userid = job_row.payload["tenant_id"], job_row.payload["external_userid"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    try:
        detail = client.get_external_contact(external_userid)
    except NotAFriend:
        return  # no longer anyone's friend: the deletion callbacks say who ended it
    follows = list(detail.follow_user)
    cursor = detail.next_cursor
    while cursor:
        more = client.get_external_contact(external_userid, cursor)
        follows += more.follow_user
        cursor = more.next_cursor
    view = service.view_from_detail(detail.external_contact, follows)
    announce = job_row.payload.get("announce") or {}
    announced = (
        {(external_userid, announce["userid"]): announce.get("welcome_code", "")}
        if announce.get("userid")
        else None
    )
    with database.transaction() as session:
        hold_lease(session, job_row)
        service.apply_views(session, tenant_id, [view], now=utcnow(), announced=announced)


@job("customers.sync_all", max_attempts=3)
def sync_every_tenant(session: Session, job_row: Job) -> None:
    """Weekly reconciliation: a full sync per connected tenant catches what callbacks missed."""
    for tenant_id in session.scalars(select(WeComConnection.tenant_id)):
        service.start_sync(session, tenant_id)


every(crontab(day_of_week="0", hour="18", minute="0"), "customers.sync_all")  # Mon 02:00 CST


@io_job(imports.IMPORT_JOB, max_attempts=5)
def import_customers(database: Database, job_row: Job) -> None:
    imports.run(database, job_row.payload["import_id"], fence=lambda s: hold_lease(s, job_row))
