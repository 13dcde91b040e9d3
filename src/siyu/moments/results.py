"""What became of a created post: WeCom's task result (the moment id, the accounts it refused)
and each account's publish status. Never commits."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import utcnow
from siyu.jobs import PENDING as JOB_PENDING
from siyu.jobs import Job
from siyu.moments import repository
from siyu.moments.models import FAILED, INVALID, PENDING, PUBLISHED, MomentResult
from siyu.wecom import schemas as wecom_schemas

SYNC_JOB = "moments.sync"
# An account's likes and comments are read at most this often (a call per account and post),
# unless an operator asks for the post's results.
REACTIONS_EVERY = dt.timedelta(hours=1)


def request_sync(session: Session, tenant_id: int, delay: dt.timedelta | None = None) -> int:
    """A sync of the tenant's young posts that has not started yet, or a new one."""
    waiting = session.scalar(
        select(Job.id)
        .where(Job.state == JOB_PENDING, Job.kind == SYNC_JOB, Job.tenant_id == tenant_id)
        .limit(1)
    )
    if waiting is not None:
        return waiting
    run_after = utcnow() + delay if delay else None
    return jobs.submit(
        session, SYNC_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id, run_after=run_after
    )


def record_task_result(
    session: Session, tenant_id: int, post_id: int, result: wecom_schemas.MomentTaskOutcome
) -> str | None:
    """WeCom finished building the task: its moment id, or why it failed. Returns the id."""
    post = repository.get_post(session, tenant_id, post_id)
    if post is None:
        return None
    now = utcnow()
    if result.errcode != 0 or not result.moment_id:
        post.state, post.updated_at = FAILED, now
        post.error = (
            f"企业微信未能创建任务 WeCom refused the task: {result.errcode} {result.errmsg}"
        )
        return None
    post.moment_id, post.updated_at = result.moment_id, now
    post.invalid_userids = list(result.invalid_sender_list.user_list)
    for userid in post.invalid_userids:
        row = session.get(MomentResult, (post.id, userid))
        if row is None:
            session.add(
                MomentResult(
                    tenant_id=tenant_id,
                    post_id=post.id,
                    userid=userid,
                    status=INVALID,
                    synced_at=now,
                )
            )
    return post.moment_id


def apply_tasks(
    session: Session,
    tenant_id: int,
    post_id: int,
    tasks: list[wecom_schemas.MomentTaskItem],
    reactions: dict[str, tuple[int, int]] | None = None,
) -> None:
    """Each account's publish status as WeCom lists it now (the first time an account is seen
    published is kept as when it published), and the (likes, comments) read for an account."""
    post = repository.get_post(session, tenant_id, post_id)
    if post is None:
        return
    now = utcnow()
    for task in tasks:
        row = session.get(MomentResult, (post.id, task.userid))
        if row is None:
            row = MomentResult(tenant_id=tenant_id, post_id=post.id, userid=task.userid)
            row.status = PENDING
            session.add(row)
        if task.publish_status == 1 and row.status != PUBLISHED:
            row.status, row.published_at = PUBLISHED, now
        if reactions and task.userid in reactions:
            row.likes, row.comments = reactions[task.userid]
            row.reactions_read_at = now
        row.synced_at = now
    post.results_synced_at = now


def reactions_fresh(session: Session, post_id: int, now: dt.datetime) -> set[str]:
    """The accounts of the post whose likes and comments were read within the hour."""
    return set(
        session.scalars(
            select(MomentResult.userid).where(
                MomentResult.post_id == post_id,
                MomentResult.reactions_read_at > now - REACTIONS_EVERY,
            )
        )
    )


def reread_reactions(session: Session, post_id: int) -> None:
    """The next sync reads the post's likes and comments, however recently it did."""
    session.execute(
        update(MomentResult)
        .where(MomentResult.post_id == post_id)
        .values(reactions_read_at=None)
        .execution_options(synchronize_session=False)
    )
