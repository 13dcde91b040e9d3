"""Moments' business rules: what a post may hold, its states, and the steps of turning it into
exactly one WeCom moment task. Never commits (the API request or the job does)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import utcnow
from siyu.jobs import PENDING as JOB_PENDING
from siyu.jobs import Job
from siyu.moments import attachments, errors, repository, results
from siyu.moments.models import (
    CANCELLED,
    CREATED,
    CREATING,
    DRAFT,
    FAILED,
    SCHEDULED,
    MomentPost,
)
from siyu.moments.schemas import PostIn
from siyu.wecom import schemas as wecom_schemas

CREATE_JOB = "moments.create"
SYNC_JOB = results.SYNC_JOB
CANCEL_JOB = "moments.cancel"
DUE_JOB = "moments.due"
SYNC_ALL_JOB = "moments.sync_all"
MAX_DAYS_AHEAD = 180
# A post's per-account results are read until it is this old.
SYNC_FOR = dt.timedelta(days=3)
# A time a moment less than this in the past still counts as "now" (the form took a while).
GRACE = dt.timedelta(minutes=2)


# --- what a post may hold ---------------------------------------------------------------------


def check(session: Session, tenant_id: int, body: PostIn) -> None:
    """Refuse what WeCom would refuse, or what does not exist in this tenant (a 422 each)."""
    if not body.text.strip() and not body.material_ids:
        raise errors.EmptyPost()
    senders = body.senders
    if not senders.all and not senders.userids and not senders.department_ids:
        raise errors.NoSenders()
    if not senders.all:
        known = repository.active_userids(session, tenant_id, senders.userids)
        unknown = [u for u in dict.fromkeys(senders.userids) if u not in known]
        if unknown:
            raise errors.UnknownStaff(unknown, ids="、".join(unknown[:10]))
        departments = repository.known_departments(session, tenant_id, senders.department_ids)
        missing = [d for d in dict.fromkeys(senders.department_ids) if d not in departments]
        if missing:
            raise errors.UnknownDepartments(missing, ids=", ".join(map(str, missing[:10])))
    found = {t.id for t in repository.tags(session, tenant_id, body.tag_ids)}
    missing_tags = [t for t in dict.fromkeys(body.tag_ids) if t not in found]
    if missing_tags:
        raise errors.UnknownTags(missing_tags, ids=", ".join(map(str, missing_tags[:10])))
    if body.material_ids:
        attachments.check(session, tenant_id, body.material_ids)


def _when(body: PostIn, now: dt.datetime) -> tuple[str, dt.datetime | None, dt.datetime | None]:
    """The state, planned time and due time the body asks for."""
    if body.draft:
        return DRAFT, body.planned_at, None
    if body.now:
        return SCHEDULED, now, None
    if body.planned_at is None:
        raise errors.NoTime()
    if body.planned_at < now - GRACE:
        raise errors.TimeInPast()
    if body.planned_at > now + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise errors.TimeTooFar(days=MAX_DAYS_AHEAD)
    return SCHEDULED, body.planned_at, body.planned_at


def _fill(post: MomentPost, body: PostIn, now: dt.datetime) -> None:
    state, planned_at, due_at = _when(body, now)
    post.kind = body.kind
    post.text = body.text.strip()
    post.material_ids = list(dict.fromkeys(body.material_ids))
    post.all_staff = body.senders.all
    post.userids = [] if body.senders.all else list(dict.fromkeys(body.senders.userids))
    post.department_ids = (
        [] if body.senders.all else list(dict.fromkeys(body.senders.department_ids))
    )
    post.tag_ids = list(dict.fromkeys(body.tag_ids))
    post.state, post.planned_at, post.due_at = state, planned_at, due_at
    post.updated_at = now


def create_post(
    session: Session, tenant_id: int, body: PostIn, *, created_by: int | None
) -> MomentPost:
    check(session, tenant_id, body)
    now = utcnow()
    post = MomentPost(tenant_id=tenant_id, created_by=created_by, created_at=now)
    _fill(post, body, now)
    session.add(post)
    session.flush()
    if body.now and not body.draft:
        submit_create(session, post)
    return post


def update_post(session: Session, post: MomentPost, body: PostIn) -> MomentPost:
    """Replace a draft, or a scheduled post whose time has not come (not yet claimed)."""
    now = utcnow()
    # The guard and the write are one UPDATE: a post claimed meanwhile is not changed.
    still_open = session.execute(
        update(MomentPost)
        .where(
            MomentPost.id == post.id,
            or_(
                MomentPost.state == DRAFT,
                (MomentPost.state == SCHEDULED) & MomentPost.due_at.is_not(None),
            ),
        )
        .values(updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if still_open.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(post)
        raise errors.NotEditable(state=post.state)
    check(session, post.tenant_id, body)
    _fill(post, body, now)
    session.flush()
    if body.now and not body.draft:
        submit_create(session, post)
    return post


def cancel(session: Session, post: MomentPost) -> None:
    """A draft or scheduled post is simply cancelled; a created one is also cancelled in WeCom
    (its moment is withdrawn from the accounts that have not published it)."""
    now = utcnow()
    if post.state in (DRAFT, SCHEDULED):
        done = session.execute(
            update(MomentPost)
            .where(
                MomentPost.id == post.id,
                or_(
                    MomentPost.state == DRAFT,
                    (MomentPost.state == SCHEDULED) & MomentPost.due_at.is_not(None),
                ),
            )
            .values(state=CANCELLED, due_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.refresh(post)
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise errors.NotCancellable()
        return
    if post.state == CREATED and post.moment_id:
        post.state, post.updated_at = CANCELLED, now
        jobs.submit(
            session,
            CANCEL_JOB,
            {"tenant_id": post.tenant_id, "post_id": post.id},
            tenant_id=post.tenant_id,
            key=f"{CANCEL_JOB}:{post.id}",
        )
        return
    raise errors.NotCancellable()


# --- creating the WeCom task, exactly once ----------------------------------------------------


def submit_create(session: Session, post: MomentPost) -> int:
    """The create job of a post: one per post (keyed), however often it is asked for."""
    return jobs.submit(
        session,
        CREATE_JOB,
        {"tenant_id": post.tenant_id, "post_id": post.id},
        tenant_id=post.tenant_id,
        key=f"{CREATE_JOB}:{post.id}",
    )


def submit_due(session: Session, now: dt.datetime | None = None) -> int:
    """Claim the scheduled posts whose time has come and give each its create job."""
    claimed = repository.claim_due(session, now or utcnow())
    for tenant_id, post_id in claimed:
        jobs.submit(
            session,
            CREATE_JOB,
            {"tenant_id": tenant_id, "post_id": post_id},
            tenant_id=tenant_id,
            key=f"{CREATE_JOB}:{post_id}",
        )
    return len(claimed)


def resubmit_stuck(session: Session, now: dt.datetime, *, after: dt.timedelta) -> int:
    """Posts claimed or ``creating`` for longer than ``after`` whose create jobs have all ended
    (WeCom was unreachable through every attempt) get one more: it looks in WeCom's moment list
    first, so it never makes a second task."""
    stuck = session.execute(
        select(MomentPost.id, MomentPost.tenant_id).where(
            or_(
                MomentPost.state == CREATING,
                (MomentPost.state == SCHEDULED) & MomentPost.due_at.is_(None),
            ),
            MomentPost.updated_at < now - after,
        )
    ).all()
    again = 0
    for post_id, tenant_id in stuck:
        prefix = f"{CREATE_JOB}:{post_id}"
        states = list(
            session.scalars(
                select(Job.state).where(
                    Job.kind == CREATE_JOB,
                    or_(Job.key == prefix, Job.key.like(f"{prefix}:%")),
                )
            )
        )
        if any(state in (JOB_PENDING, "running") for state in states):
            continue
        jobs.submit(
            session,
            CREATE_JOB,
            {"tenant_id": tenant_id, "post_id": post_id},
            tenant_id=tenant_id,
            key=f"{prefix}:{len(states)}",
        )
        again += 1
    return again


@dataclass(frozen=True)
class Plan:
    """A post as the calls to WeCom need it, read in a short transaction."""

    post_id: int
    text: str
    material_ids: list[int]
    body: dict[str, Any]
    # An earlier attempt marked it creating and stopped: look in WeCom before asking again.
    recovering: bool
    since: dt.datetime


def begin_create(session: Session, tenant_id: int, post_id: int, now: dt.datetime) -> Plan | None:
    """Mark the post ``creating`` (committed by the caller before WeCom is called) and return
    what to send; None when there is nothing to do (created, cancelled, failed meanwhile)."""
    post = repository.get_post(session, tenant_id, post_id)
    if post is None or post.state not in (SCHEDULED, CREATING):
        return None
    tags = repository.tags(session, tenant_id, post.tag_ids)
    wecom_tags = [t.wecom_id for t in tags if t.wecom_id]
    lost = [t for t in post.tag_ids if t not in {x.id for x in tags}]
    unsynced = [t.name for t in tags if not t.wecom_id]
    if lost or unsynced:
        post.state, post.updated_at = FAILED, now
        post.error = (
            f"可见标签已删除或未同步到企业微信 tags deleted or not in WeCom: "
            f"{', '.join([*map(str, lost), *unsynced])}"
        )[:500]
        return None
    recovering = post.state == CREATING
    if not recovering:
        post.state, post.creating_since, post.updated_at = CREATING, now, now
    body: dict[str, Any] = {}
    if post.text:
        body["text"] = {"content": post.text}
    senders: dict[str, Any] = {}
    if not post.all_staff:
        if post.userids:
            senders["user_list"] = list(post.userids)
        if post.department_ids:
            senders["department_list"] = list(post.department_ids)
    visible: dict[str, Any] = {}
    if senders:
        visible["sender_list"] = senders
    if wecom_tags:
        visible["external_contact_list"] = {"tag_list": wecom_tags}
    if visible:
        body["visible_range"] = visible
    return Plan(
        post.id,
        post.text,
        list(post.material_ids),
        body,
        recovering,
        post.creating_since or now,
    )


def release(session: Session, tenant_id: int, post_id: int) -> None:
    """WeCom answered with a passing error, so it created nothing: the next attempt asks anew."""
    post = repository.get_post(session, tenant_id, post_id)
    if post is not None and post.state == CREATING:
        post.state = SCHEDULED


def record_created(session: Session, tenant_id: int, post_id: int, jobid: str) -> None:
    post = repository.get_post(session, tenant_id, post_id)
    if post is None:
        return
    now = utcnow()
    post.state, post.jobid, post.error = CREATED, jobid, ""
    post.created_in_wecom_at = post.updated_at = now
    results.request_sync(session, tenant_id, delay=dt.timedelta(seconds=10))


def record_found(session: Session, tenant_id: int, post_id: int, moment_id: str) -> None:
    """An interrupted attempt had created the task after all: WeCom's moment list shows it."""
    post = repository.get_post(session, tenant_id, post_id)
    if post is None:
        return
    now = utcnow()
    post.state, post.moment_id, post.error = CREATED, moment_id, ""
    post.created_in_wecom_at = post.updated_at = now
    results.request_sync(session, tenant_id)


def fail(session: Session, tenant_id: int, post_id: int, reason: str) -> None:
    post = repository.get_post(session, tenant_id, post_id)
    if post is not None and post.state in (SCHEDULED, CREATING, CREATED):
        post.state, post.error, post.updated_at = FAILED, reason[:500], utcnow()


def matches(plan: Plan, moment: wecom_schemas.MomentListItem, since: int) -> bool:
    """Whether a moment of WeCom's list is the one this post's interrupted attempt created:
    made by the corp (not a member) no earlier than the attempt, with the same text."""
    return (
        moment.create_type == 0
        and moment.create_time >= since
        and moment.text.content.strip() == plan.text.strip()
    )
