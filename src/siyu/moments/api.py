"""Moments over HTTP: the calendar, posts (compose, change, cancel, results, .xlsx), the
tenant's posting hours and ad rule, and the choices the composer offers."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import FileResponse
from sqlalchemy import select

from siyu.api.deps import DbSession, require
from siyu.api.errors import responses
from siyu.api.files import download, temp_path
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.errors import NotFound
from siyu.materials.errors import AttachmentsNotAllowed, MaterialsUnknown
from siyu.moments import attachments, calendar, errors, repository, results, service
from siyu.moments.models import INVALID, PENDING, PUBLISHED, MomentPost
from siyu.moments.schemas import (
    Calendar,
    Option,
    Options,
    PostDetail,
    PostIn,
    ResultCounts,
    ResultRow,
    Senders,
    SettingsIn,
    SettingsOut,
    Slot,
)
from siyu.sheets.writer import write_xlsx
from siyu.staff.models import Department, StaffAccount
from siyu.tags.models import Tag, TagGroup

router = APIRouter(tags=["moments"])

Read = Annotated[Principal, Depends(require(Permission.MOMENTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.MOMENTS_MANAGE))]
POST_ERRORS = (
    errors.EmptyPost,
    errors.NoSenders,
    errors.UnknownStaff,
    errors.UnknownDepartments,
    errors.UnknownTags,
    errors.TimeInPast,
    errors.TimeTooFar,
    errors.NoTime,
    MaterialsUnknown,
    AttachmentsNotAllowed,
)


def _post(session: DbSession, principal: Principal, post_id: int) -> MomentPost:
    post = repository.get_post(session, principal.tenant_id, post_id)
    if post is None:
        raise NotFound("moment_post")
    return post


def _counts(found: dict[str, int]) -> ResultCounts:
    return ResultCounts(
        targets=sum(found.values()),
        published=found.get(PUBLISHED, 0),
        pending=found.get(PENDING, 0),
        invalid=found.get(INVALID, 0),
    )


def _out(post: MomentPost, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": post.id,
        "kind": post.kind,
        "text": post.text,
        "material_ids": post.material_ids,
        "senders": Senders(
            all=post.all_staff, userids=post.userids, department_ids=post.department_ids
        ),
        "tag_ids": post.tag_ids,
        "planned_at": post.planned_at,
        "state": post.state,
        "error": post.error,
        "jobid": post.jobid,
        "moment_id": post.moment_id,
        "created_in_wecom_at": post.created_in_wecom_at,
        "results_synced_at": post.results_synced_at,
        "counts": _counts(counts),
        "created_at": post.created_at,
        "updated_at": post.updated_at,
    }


def _detail(session: DbSession, post: MomentPost) -> PostDetail:
    rows = repository.results_of(session, post.tenant_id, [post.id])
    names = repository.staff_names(session, post.tenant_id, [r.userid for r in rows])
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return PostDetail(
        **_out(post, counts),
        materials=attachments.summaries(session, post.tenant_id, post.material_ids),
        results=[
            ResultRow(
                userid=r.userid,
                name=names.get(r.userid, r.userid),
                status=r.status,
                published_at=r.published_at,
                likes=r.likes,
                comments=r.comments,
            )
            for r in rows
        ],
    )


def _summary(post: MomentPost) -> dict[str, Any]:
    return {
        "kind": post.kind,
        "state": post.state,
        "planned_at": post.planned_at.isoformat() if post.planned_at else None,
        "text": post.text[:100],
    }


@router.get(
    "/moments/calendar",
    operation_id="momentsCalendar",
    responses=responses(*AUTH, errors.BadRange),
)
def get_calendar(
    session: DbSession,
    principal: Read,
    from_: Annotated[dt.date, Query(alias="from", description="First day (China time)")],
    to: Annotated[dt.date, Query(description="Last day, included (at most 62 days)")],
) -> Calendar:
    """Posts by day with their kinds, and the days the ad rule flags."""
    return calendar.calendar(session, principal.tenant_id, from_, to)


@router.post(
    "/moments/posts",
    operation_id="createMomentPost",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *POST_ERRORS),
)
def create_post(session: DbSession, principal: Manage, body: PostIn) -> PostDetail:
    post = service.create_post(session, principal.tenant_id, body, created_by=principal.user_id)
    audit.record(
        session,
        principal,
        "moments.create",
        entity_type="moment_post",
        entity_id=post.id,
        after=_summary(post),
    )
    return _detail(session, post)


@router.get(
    "/moments/posts/{post_id}",
    operation_id="getMomentPost",
    responses=responses(*AUTH, NotFound),
)
def get_post(session: DbSession, principal: Read, post_id: int) -> PostDetail:
    return _detail(session, _post(session, principal, post_id))


@router.put(
    "/moments/posts/{post_id}",
    operation_id="updateMomentPost",
    responses=responses(*AUTH, NotFound, errors.NotEditable, *POST_ERRORS),
)
def update_post(session: DbSession, principal: Manage, post_id: int, body: PostIn) -> PostDetail:
    post = _post(session, principal, post_id)
    before = _summary(post)
    service.update_post(session, post, body)
    audit.record(
        session,
        principal,
        "moments.update",
        entity_type="moment_post",
        entity_id=post.id,
        before=before,
        after=_summary(post),
    )
    return _detail(session, post)


@router.post(
    "/moments/posts/{post_id}/cancel",
    operation_id="cancelMomentPost",
    responses=responses(*AUTH, NotFound, errors.NotCancellable),
)
def cancel_post(session: DbSession, principal: Manage, post_id: int) -> PostDetail:
    post = _post(session, principal, post_id)
    before = _summary(post)
    service.cancel(session, post)
    audit.record(
        session,
        principal,
        "moments.cancel",
        entity_type="moment_post",
        entity_id=post.id,
        before=before,
    )
    return _detail(session, post)


@router.post(
    "/moments/posts/{post_id}/sync",
    operation_id="syncMomentPost",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound),
)
def sync_post(session: DbSession, principal: Manage, post_id: int) -> PostDetail:
    """Read the post's results from WeCom again now (they are also read every 15 minutes, its
    likes and comments every hour)."""
    post = _post(session, principal, post_id)
    if post.state == "created":
        results.reread_reactions(session, post.id)
        results.request_sync(session, principal.tenant_id)
    return _detail(session, post)


RESULT_HEADERS = {
    "zh-CN": ["员工账号", "姓名", "状态", "发表时间", "点赞", "评论"],
    "en": ["Account", "Name", "Status", "Published at", "Likes", "Comments"],
}
STATUS_TEXT = {
    "zh-CN": {PUBLISHED: "已发表", PENDING: "未发表", INVALID: "无效账号"},
    "en": {PUBLISHED: "published", PENDING: "not yet", INVALID: "invalid account"},
}


@router.get(
    "/moments/posts/{post_id}/results.xlsx",
    operation_id="exportMomentResults",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound),
)
def export_results(session: DbSession, principal: Read, post_id: int) -> FileResponse:
    """Each account's result of the post, as .xlsx."""
    detail = _detail(session, _post(session, principal, post_id))
    locale = principal.locale
    path = temp_path(".xlsx")
    rows = (
        [
            r.userid,
            r.name,
            STATUS_TEXT[locale].get(r.status, r.status),
            r.published_at,
            r.likes,
            r.comments,
        ]
        for r in detail.results
    )
    write_xlsx(path, RESULT_HEADERS[locale], rows, sheet_title=f"moment-{post_id}")
    return download(path, f"moment-{post_id}-results.xlsx")


@router.get("/moments/settings", operation_id="momentSettings", responses=responses(*AUTH))
def get_settings(session: DbSession, principal: Read) -> SettingsOut:
    return calendar.out(calendar.settings_of(session, principal.tenant_id))


@router.put(
    "/moments/settings",
    operation_id="updateMomentSettings",
    responses=responses(*AUTH, errors.BadSlot),
)
def put_settings(session: DbSession, principal: Manage, body: SettingsIn) -> SettingsOut:
    before = calendar.settings_of(session, principal.tenant_id).as_dict()
    saved = calendar.save_settings(session, principal.tenant_id, body)
    audit.record(
        session,
        principal,
        "moments.settings",
        entity_type="moment_settings",
        entity_id=principal.tenant_id,
        before=before,
        after=saved.as_dict(),
    )
    return calendar.out(saved)


@router.get("/moments/slots", operation_id="momentSlots", responses=responses(*AUTH))
def slots(
    session: DbSession,
    principal: Read,
    after: Annotated[dt.datetime | None, Query(description="From this time (default now)")] = None,
    count: Annotated[int, Query(ge=1, le=20)] = 5,
) -> list[Slot]:
    """The next suggested posting times no post is planned near (the first is proposed)."""
    if after is not None and after.tzinfo is None:
        after = after.replace(tzinfo=dt.UTC)
    return calendar.free_slots(session, principal.tenant_id, after=after, count=count)


@router.get("/moments/options", operation_id="momentOptions", responses=responses(*AUTH))
def options(session: DbSession, principal: Read) -> Options:
    """Who may post (accounts with 客户联系, departments) and the tags visibility can use."""
    tenant_id = principal.tenant_id
    staff = session.execute(
        select(StaffAccount.userid, StaffAccount.name)
        .where(
            StaffAccount.tenant_id == tenant_id,
            StaffAccount.status == "active",
            StaffAccount.customer_contact.is_(True),
        )
        .order_by(StaffAccount.name)
    ).all()
    departments = session.execute(
        select(Department.wecom_id, Department.name)
        .where(Department.tenant_id == tenant_id)
        .order_by(Department.order, Department.wecom_id)
    ).all()
    tags = session.execute(
        select(Tag.id, Tag.name, TagGroup.name)
        .join(TagGroup, TagGroup.id == Tag.group_id)
        .where(Tag.tenant_id == tenant_id, Tag.deleting.is_(False))
        .order_by(TagGroup.order, TagGroup.id, Tag.order, Tag.id)
    ).all()
    return Options(
        staff=[Option(id=u, label=f"{n}（{u}）") for u, n in staff],
        departments=[Option(id=str(i), label=n) for i, n in departments],
        tags=[Option(id=str(i), label=f"{g} / {n}") for i, n, g in tags],
    )
