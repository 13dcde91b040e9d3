"""Moments' jobs. WeCom is called with no transaction held; each step's result is written in a
short transaction fenced by the job's lease.

- ``moments.due`` (every minute): claims the scheduled posts whose time has come, one create
  job each.
- ``moments.create``: marks the post ``creating`` and commits, then calls ``add_moment_task``
  and records the jobid. An attempt that finds the post already ``creating`` (the one before
  stopped after, or during, the call) first looks for the moment in ``get_moment_list``; only
  when WeCom has none does it ask again. A post is never made into two tasks.
- ``moments.sync``: reads ``get_moment_task_result`` until the task is done (the moment id,
  the accounts WeCom refused), then each account's ``publish_status`` (``get_moment_task``);
  every 15 minutes (``moments.sync_all``) while a post is younger than three days;
  ``moments.sync_all`` also gives a post whose create jobs all ended (WeCom unreachable
  through every attempt) one more.
- ``moments.cancel``: ``cancel_moment_task`` for a cancelled post that WeCom had created.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from huey import crontab
from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job
from siyu.moments import attachments, repository, results, service
from siyu.moments import demo as _demo  # noqa: F401 - registers the demo job
from siyu.wecom import schemas
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import WeComError

log = logging.getLogger("siyu.moments")

NOT_CONNECTED = "企业微信未连接 WeCom is not connected"
# Seconds around an interrupted attempt searched in WeCom's moment list (clocks differ a bit).
SLACK = 600
MAX_PAGES = 50
# A post claimed this long ago without a live create job is given another.
STUCK_AFTER = dt.timedelta(minutes=30)


@job(service.DUE_JOB, max_attempts=3)
def due(session: Session, job_row: Job) -> None:
    claimed = service.submit_due(session)
    if claimed:
        log.info("moments: %d scheduled posts are due", claimed)


@job(service.SYNC_ALL_JOB, max_attempts=3)
def sync_all(session: Session, job_row: Job) -> None:
    now = utcnow()
    for tenant_id in repository.tenants_to_sync(session, now, age=service.SYNC_FOR):
        results.request_sync(session, tenant_id)
    again = service.resubmit_stuck(session, now, after=STUCK_AFTER)
    if again:
        log.warning("moments: %d posts whose create jobs ended are tried again", again)


every(crontab(minute="*"), service.DUE_JOB)
every(crontab(minute="*/15"), service.SYNC_ALL_JOB)


# --- creating --------------------------------------------------------------------------------


@io_job(service.CREATE_JOB, max_attempts=10)
def create(database: Database, job_row: Job) -> None:
    tenant_id, post_id = job_row.payload["tenant_id"], job_row.payload["post_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        with database.transaction() as session:
            hold_lease(session, job_row)
            service.fail(session, tenant_id, post_id, NOT_CONNECTED)
        return
    with database.transaction() as session:
        hold_lease(session, job_row)
        plan = service.begin_create(session, tenant_id, post_id, utcnow())
    if plan is None:
        return
    if plan.recovering:
        found = find_in_wecom(database, client, tenant_id, plan)
        if found is not None:
            with database.transaction() as session:
                hold_lease(session, job_row)
                service.record_found(session, tenant_id, post_id, found)
            log.info("moments: post %s was created by an interrupted attempt: %s", post_id, found)
            return
    body = dict(plan.body)
    if plan.material_ids:
        body["attachments"] = attachments.for_wecom(database, client, tenant_id, plan.material_ids)
    try:
        jobid = client.add_moment_task(body)
    except WeComError as exc:
        # WeCom answered, so it created nothing.
        with database.transaction() as session:
            hold_lease(session, job_row)
            if exc.retryable:
                service.release(session, tenant_id, post_id)
            else:
                reason = f"企业微信拒绝创建 WeCom refused: {exc.errcode} {exc.errmsg}"
                service.fail(session, tenant_id, post_id, reason)
        if exc.retryable:
            raise
        return
    # Anything else (a timeout, a crash) leaves the post ``creating``: the next attempt looks
    # in WeCom's moment list before asking again.
    with database.transaction() as session:
        hold_lease(session, job_row)
        service.record_created(session, tenant_id, post_id, jobid)


def find_in_wecom(
    database: Database, client: WeComClient, tenant_id: int, plan: service.Plan
) -> str | None:
    """The moment an interrupted attempt created for this post, if WeCom lists one that no
    other post of the tenant has claimed."""
    now = int(utcnow().timestamp())
    since = int(plan.since.timestamp()) - SLACK
    start = max(since, now - 30 * 86400)
    with database.factory() as session:
        taken = repository.used_moment_ids(session, tenant_id)
    cursor = ""
    for _page in range(MAX_PAGES):
        answer = client.get_moment_list(start, now + SLACK, filter_type=0, cursor=cursor)
        for moment in answer.moment_list:
            if moment.moment_id not in taken and service.matches(plan, moment, since):
                return moment.moment_id
        if not answer.next_cursor:
            break
        cursor = answer.next_cursor
    return None


# --- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    id: int
    jobid: str | None
    moment_id: str | None


@io_job(service.SYNC_JOB, max_attempts=5)
def sync(database: Database, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is not None:
        sync_now(database, client, tenant_id, job_row)


def sync_now(database: Database, client: WeComClient, tenant_id: int, job_row: Job) -> None:
    """Read the tenant's young created posts' task results, per-account publish status, and
    the likes and comments on each published copy (not read within the hour)."""
    with database.factory() as session:
        refs = [
            Ref(p.id, p.jobid, p.moment_id)
            for p in repository.posts_to_sync(session, tenant_id, utcnow(), age=service.SYNC_FOR)
        ]
    unfinished = False
    for ref in refs:
        moment_id = ref.moment_id
        if moment_id is None:
            if ref.jobid is None:
                continue
            answer = client.get_moment_task_result(ref.jobid)
            if answer.status != 3 or answer.result is None:
                unfinished = True
                continue
            with database.transaction() as session:
                hold_lease(session, job_row)
                moment_id = results.record_task_result(session, tenant_id, ref.id, answer.result)
            if moment_id is None:
                continue
        tasks = fetch_tasks(client, moment_id)
        with database.factory() as session:
            fresh = results.reactions_fresh(session, ref.id, utcnow())
        reactions = {
            t.userid: found
            for t in tasks
            if t.publish_status == 1
            and t.userid not in fresh
            and (found := fetch_reactions(client, moment_id, t.userid)) is not None
        }
        with database.transaction() as session:
            hold_lease(session, job_row)
            results.apply_tasks(session, tenant_id, ref.id, tasks, reactions)
    if unfinished:
        # WeCom is still building a task: look again shortly.
        with database.transaction() as session:
            results.request_sync(session, tenant_id, delay=dt.timedelta(seconds=15))


def fetch_tasks(client: WeComClient, moment_id: str) -> list[schemas.MomentTaskItem]:
    tasks: list[schemas.MomentTaskItem] = []
    cursor = ""
    for _page in range(MAX_PAGES):
        answer = client.get_moment_task(moment_id, cursor)
        tasks += answer.task_list
        if not answer.next_cursor:
            break
        cursor = answer.next_cursor
    return tasks


def fetch_reactions(client: WeComClient, moment_id: str, userid: str) -> tuple[int, int] | None:
    """(likes, comments) on one account's copy; None when WeCom would not say (the counts
    read before are kept)."""
    try:
        answer = client.get_moment_comments(moment_id, userid)
    except WeComError as exc:
        log.warning("moment %s of %s: likes and comments not read: %s", moment_id, userid, exc)
        return None
    return len(answer.like_list), len(answer.comment_list)


# --- cancelling ------------------------------------------------------------------------------


@io_job(service.CANCEL_JOB, max_attempts=8)
def cancel(database: Database, job_row: Job) -> None:
    tenant_id, post_id = job_row.payload["tenant_id"], job_row.payload["post_id"]
    with database.factory() as session:
        post = repository.get_post(session, tenant_id, post_id)
        moment_id = post.moment_id if post is not None else None
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None or moment_id is None:
        return
    client.cancel_moment_task(moment_id)
