"""Jobs: pull each tenant's chat archive on WeCom's ``msgaudit_notify`` and every minute.

A pull fetches a page without holding a transaction (the feed or the SDK may be slow), then
applies it in one transaction with the cursor's advance (:func:`siyu.chats.ingest.apply_page`).
"""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.chats import events as _events  # noqa: F401 - registers the callback handler
from siyu.chats import ingest, service
from siyu.chats.archive import ArchivedMessage
from siyu.chats.errors import ArchiveFailed, ArchiveNotConfigured
from siyu.chats.models import ChatArchiveState
from siyu.config import get_settings
from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job
from siyu.wecom import service as wecom

log = logging.getLogger("siyu.chats")

PAGE_SIZE = 1000
# Pages one job applies before handing over to a new job (other tenants get their turn).
MAX_PAGES = 20


def _record_error(database: Database, tenant_id: int, message: str) -> None:
    with database.transaction() as session:
        now = utcnow()
        session.execute(
            update(ChatArchiveState)
            .where(ChatArchiveState.tenant_id == tenant_id)
            .values(
                errors=ChatArchiveState.errors + 1,
                last_error=message[:2000],
                last_error_at=now,
                last_pull_at=now,
            )
            .execution_options(synchronize_session=False)
        )


def _fetch(state: ChatArchiveState, corp_id: str, after: int) -> list[ArchivedMessage]:
    archive = service.archive_for(state, corp_id, get_settings(), wecom._shared_http())
    try:
        return archive.fetch(after, PAGE_SIZE)
    finally:
        close = getattr(archive, "close", None)
        if close is not None:
            close()


@io_job(service.PULL_JOB, max_attempts=8, lease_seconds=300)
def pull(database: Database, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    for _ in range(MAX_PAGES):
        with database.transaction() as session:
            hold_lease(session, job_row)
            state = service.get(session, tenant_id)
            connection = wecom.get(session, tenant_id)
            if state is None or not state.enabled or connection is None:
                return
            after, corp_id = state.cursor_seq, connection.corp_id
            session.expunge(state)
        try:
            messages = _fetch(state, corp_id, after)
        except ArchiveNotConfigured as exc:
            # Nothing to retry until an admin configures it: recorded for the console.
            _record_error(database, tenant_id, exc.message("zh-CN"))
            return
        except ArchiveFailed as exc:
            _record_error(database, tenant_id, exc.message("zh-CN"))
            raise
        try:
            with database.transaction() as session:
                hold_lease(session, job_row)
                result = ingest.apply_page(session, tenant_id, after, messages)
        except ingest.StaleCursor:
            log.info("tenant %s: a page was applied by another pull", tenant_id)
            return
        if result.read:
            log.info(
                "tenant %s: %d messages read, %d applied, %d keyword hits",
                tenant_id,
                result.read,
                result.applied,
                result.hits,
            )
        if len(messages) < PAGE_SIZE:
            return
    with database.transaction() as session:
        service.request_pull(session, tenant_id)


@job(service.PULL_ALL_JOB)
def pull_all(session: Session, job_row: Job) -> None:
    """Every minute: a pull for each tenant reading its archive (WeCom keeps messages 5 days,
    and a notify can be lost)."""
    tenant_ids = session.scalars(
        select(ChatArchiveState.tenant_id).where(ChatArchiveState.enabled.is_(True))
    )
    for tenant_id in tenant_ids:
        service.request_pull(session, tenant_id)


every(crontab(minute="*"), service.PULL_ALL_JOB)
