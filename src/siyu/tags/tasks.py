"""Tag jobs: ``tags.sync`` pushes Siyu's pending tag changes to WeCom and pulls WeCom's list;
``tags.push_marks`` sends customers' tag writes (mark_tag) in batches. WeCom is called with no
transaction held; each result is recorded in a short one fenced by the job's lease."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import cast

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.models import Follow
from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job
from siyu.tags import events as _events  # noqa: F401 - registers the callback handler
from siyu.tags import service
from siyu.tags.models import FAILED, PENDING, SYNCED, Tag, TaggingRun, TagGroup, TagWrite
from siyu.wecom import schemas
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import NotAFriend, RateLimited, SystemBusy, WeComError
from siyu.wecom.models import WeComConnection

log = logging.getLogger("siyu.tags")

INVALID_ID = 40068
MARKS_PER_BATCH = 100
TRANSIENT = (RateLimited, SystemBusy)


@dataclass(frozen=True)
class _Row:
    id: int
    wecom_id: str | None
    name: str
    order: int
    updated_at: dt.datetime


def _snapshot(row: Tag | TagGroup) -> _Row:
    return _Row(row.id, row.wecom_id, row.name, row.order, row.updated_at)


@io_job(service.SYNC_JOB, max_attempts=8)
def sync_tags(database: Database, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    _push_deletions(database, job_row, client, tenant_id)
    _push_new(database, job_row, client, tenant_id)
    _push_edits(database, job_row, client, tenant_id)
    groups = client.get_corp_tag_list()
    with database.transaction() as session:
        hold_lease(session, job_row)
        counts = service.apply_corp_tags(session, tenant_id, groups, utcnow())
        waiting = session.scalar(
            select(TagWrite.id).where(TagWrite.tenant_id == tenant_id, TagWrite.state == PENDING)
        )
        if waiting is not None:
            service.request_push(session, tenant_id)
    log.info("tags of tenant %s pulled: %s", tenant_id, counts)


def _refused(exc: WeComError) -> str:
    return f"{exc.errcode}: {exc.message('zh-CN')}"[:300]


def _push_deletions(database: Database, job_row: Job, client: WeComClient, tenant_id: int) -> None:
    with database.factory() as session:
        groups = [
            _snapshot(g)
            for g in session.scalars(
                select(TagGroup).where(TagGroup.tenant_id == tenant_id, TagGroup.deleting)
            )
        ]
        group_ids = {g.id for g in groups}
        tags = [
            _snapshot(t)
            for t in session.scalars(select(Tag).where(Tag.tenant_id == tenant_id, Tag.deleting))
            if t.group_id not in group_ids
        ]
    pairs: list[tuple[list[_Row], type[Tag] | type[TagGroup]]] = [(tags, Tag), (groups, TagGroup)]
    for rows, model in pairs:
        for row in rows:
            try:
                if model is Tag:
                    client.del_corp_tag(tag_ids=[row.wecom_id or ""])
                else:
                    client.del_corp_tag(group_ids=[row.wecom_id or ""])
            except TRANSIENT:
                raise
            except WeComError as exc:
                if exc.errcode != INVALID_ID:  # 40068: already gone from WeCom
                    with database.transaction() as session:
                        refused = cast(Tag | TagGroup | None, session.get(model, row.id))
                        if refused is not None:
                            service.mark_failed(refused, _refused(exc))
                    continue
            with database.transaction() as session:
                hold_lease(session, job_row)
                found = session.get(model, row.id)
                if found is not None:
                    session.delete(found)


def _push_new(database: Database, job_row: Job, client: WeComClient, tenant_id: int) -> None:
    """Groups and tags made in Siyu: WeCom makes a group together with its first tags."""
    with database.factory() as session:
        work: list[tuple[_Row, list[str]]] = []
        for stored in session.scalars(
            select(TagGroup).where(TagGroup.tenant_id == tenant_id, TagGroup.deleting.is_(False))
        ):
            names = list(
                session.scalars(
                    select(Tag.name).where(
                        Tag.group_id == stored.id,
                        Tag.wecom_id.is_(None),
                        Tag.deleting.is_(False),
                        Tag.sync_state != FAILED,
                    )
                )
            )
            if names and stored.sync_state != FAILED:
                work.append((_snapshot(stored), names))
    for group, names in work:
        try:
            if group.wecom_id:
                created = client.add_corp_tag(names, group_id=group.wecom_id)
            else:
                created = client.add_corp_tag(names, group_name=group.name, order=group.order)
        except TRANSIENT:
            raise
        except WeComError as exc:
            with database.transaction() as session:
                for tag in session.scalars(
                    select(Tag).where(Tag.group_id == group.id, Tag.name.in_(names))
                ):
                    service.mark_failed(tag, _refused(exc))
            continue
        with database.transaction() as session:
            hold_lease(session, job_row)
            _created(session, group, created)


def _created(session: Session, group: _Row, created: schemas.CorpTagGroup) -> None:
    stored = session.get(TagGroup, group.id)
    if stored is None:
        return
    if stored.wecom_id is None:
        stored.wecom_id = created.group_id
        if stored.updated_at == group.updated_at:
            stored.sync_state = SYNCED
    by_name = {t.name: t.id for t in created.tag}
    for tag in session.scalars(select(Tag).where(Tag.group_id == group.id)):
        if tag.wecom_id is None and tag.name in by_name:
            tag.wecom_id, tag.sync_state = by_name[tag.name], SYNCED


def _push_edits(database: Database, job_row: Job, client: WeComClient, tenant_id: int) -> None:
    with database.factory() as session:
        edits: list[tuple[type[Tag] | type[TagGroup], _Row]] = []
        for model in (TagGroup, Tag):
            rows: list[Tag | TagGroup] = list(
                session.scalars(
                    select(model).where(
                        model.tenant_id == tenant_id,
                        model.sync_state == PENDING,
                        model.wecom_id.is_not(None),
                        model.deleting.is_(False),
                    )
                )
            )
            edits += [(model, _snapshot(row)) for row in rows]
    for model, row in edits:
        try:
            client.edit_corp_tag(row.wecom_id or "", name=row.name, order=row.order)
        except TRANSIENT:
            raise
        except WeComError as exc:
            with database.transaction() as session:
                found = cast(Tag | TagGroup | None, session.get(model, row.id))
                if found is not None and exc.errcode != INVALID_ID:
                    service.mark_failed(found, _refused(exc))
            continue  # 40068: deleted in WeCom meanwhile; the pull removes it
        with database.transaction() as session:
            hold_lease(session, job_row)
            edited = cast(Tag | TagGroup | None, session.get(model, row.id))
            if edited is not None and edited.updated_at == row.updated_at:
                edited.sync_state, edited.sync_error = SYNCED, ""


@io_job(service.PUSH_MARKS_JOB, max_attempts=12)
def push_marks(database: Database, job_row: Job) -> None:
    """Send pending tag writes, oldest first, a batch at a time. A write whose tag is not on
    WeCom yet waits for the tag sync, which asks for another push when it is."""
    tenant_id = job_row.payload["tenant_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    after = 0
    while True:
        with database.factory() as session:
            writes = list(
                session.scalars(
                    select(TagWrite)
                    .where(
                        TagWrite.tenant_id == tenant_id,
                        TagWrite.state == PENDING,
                        TagWrite.id > after,
                    )
                    .order_by(TagWrite.id)
                    .limit(MARKS_PER_BATCH)
                )
            )
            session.expunge_all()
            wanted = {t for w in writes for t in w.add + w.remove}
            wecom_of = dict(
                session.execute(
                    select(Tag.id, Tag.wecom_id).where(
                        Tag.id.in_(wanted), Tag.wecom_id.is_not(None)
                    )
                ).all()
            )
        if not writes:
            return
        after = writes[-1].id
        results: dict[int, str | None] = {}
        for write in writes:
            if any(t not in wecom_of for t in write.add):
                continue  # a tag still on its way to WeCom
            add = [str(wecom_of[t]) for t in write.add]
            remove = [str(wecom_of[t]) for t in write.remove if t in wecom_of]
            try:
                if add or remove:
                    client.mark_tag(write.userid, write.external_userid, add, remove)
                results[write.id] = None
            except NotAFriend as exc:
                results[write.id] = _refused(exc)
            except TRANSIENT:
                _record(database, job_row, tenant_id, writes, results, wecom_of)
                raise
            except WeComError as exc:
                results[write.id] = _refused(exc)
        _record(database, job_row, tenant_id, writes, results, wecom_of)


def _record(
    database: Database,
    job_row: Job,
    tenant_id: int,
    writes: list[TagWrite],
    results: dict[int, str | None],
    wecom_of: dict[int, str | None],
) -> None:
    """Mark sent writes done (or failed with WeCom's reason) and keep the follows' picture of
    WeCom's tags in step, so the next sync does not undo what was just written."""
    if not results:
        return
    now = utcnow()
    with database.transaction() as session:
        hold_lease(session, job_row)
        for write in writes:
            if write.id not in results:
                continue
            error = results[write.id]
            stored = session.get(TagWrite, write.id)
            if stored is None or stored.state != PENDING:
                continue
            stored.state, stored.done_at = (FAILED, now) if error else (SYNCED, now)
            stored.error = error or ""
            stored.attempts += 1
            if error:
                continue
            follow = session.scalar(
                select(Follow).where(
                    Follow.tenant_id == tenant_id,
                    Follow.customer_id == write.customer_id,
                    Follow.userid == write.userid,
                )
            )
            if follow is not None:
                removed = {wecom_of.get(t) for t in write.remove}
                kept = [t for t in follow.wecom_tag_ids if t not in removed]
                follow.wecom_tag_ids = kept + [
                    str(wecom_of[t]) for t in write.add if str(wecom_of[t]) not in kept
                ]


@job("tags.sync_all", max_attempts=3)
def sync_every_tenant(session: Session, job_row: Job) -> None:
    """Nightly reconcile: pull every connected tenant's corp tags, fixing drift."""
    for tenant_id in session.scalars(select(WeComConnection.tenant_id)):
        service.request_sync(session, tenant_id, "nightly")


every(crontab(hour="19", minute="45"), "tags.sync_all")  # 03:45 China time


@io_job(service.BULK_JOB, max_attempts=5)
def tag_by_filter(database: Database, job_row: Job) -> None:
    """Tag every customer a filter selects, a chunk per transaction in id order; a restart
    continues after the last chunk stored (tagging twice would change nothing anyway)."""
    from siyu.customers import repository as customers
    from siyu.customers.models import Customer

    run_id = job_row.payload["run_id"]
    while True:
        with database.transaction() as session:
            hold_lease(session, job_row)
            run = session.get(TaggingRun, run_id)
            if run is None or run.state != "running":
                return
            query = customers.filtered(run.tenant_id, service.filter_from_json(run.filter))
            ids = list(
                session.scalars(
                    query.with_only_columns(Customer.id)
                    .where(Customer.id > run.last_customer_id)
                    .order_by(Customer.id)
                    .limit(service.BULK_CHUNK)
                )
            )
            if not ids:
                run.state, run.finished_at = "done", utcnow()
                return
            result = service.tag_customers(
                session,
                run.tenant_id,
                ids,
                add=run.add,
                remove=run.remove,
                actor=run.actor,
                known_customers=True,
            )
            run.done += len(ids)
            run.last_customer_id = ids[-1]
            run.tagged += result.added
            run.untagged += result.removed
            run.writes += result.writes
