from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from siyu import jobs
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.staff import repository
from siyu.staff.schemas import DepartmentList, DepartmentOut, StaffOut, StaffPage, SyncState
from siyu.staff.service import SYNC_JOB
from siyu.wecom import service as wecom

router = APIRouter(tags=["staff"])

ReadStaff = Annotated[Principal, Depends(require(Permission.STAFF_READ))]
SyncStaff = Annotated[Principal, Depends(require(Permission.STAFF_SYNC))]


@router.get(
    "/staff", operation_id="listStaff", response_model=StaffPage, responses=responses(*AUTH)
)
def list_staff(
    session: DbSession,
    principal: ReadStaff,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["active", "left"] | None = None,
    department_id: Annotated[int | None, Query(ge=1)] = None,
) -> StaffPage:
    rows, total = repository.page(
        session,
        principal.tenant_id,
        offset=paging.offset,
        limit=paging.page_size,
        q=q,
        status=status,
        department_id=department_id,
    )
    return StaffPage(
        items=[StaffOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/departments",
    operation_id="listDepartments",
    response_model=DepartmentList,
    responses=responses(*AUTH),
)
def list_departments(session: DbSession, principal: ReadStaff) -> DepartmentList:
    return DepartmentList(
        items=[
            DepartmentOut(
                id=d.wecom_id,
                name=d.name,
                parent_id=d.parent_wecom_id,
                order=d.order,
                staff_count=count,
            )
            for d, count in repository.departments_with_counts(session, principal.tenant_id)
        ]
    )


def _state(session: DbSession, tenant_id: int) -> SyncState:
    job = repository.latest_sync(session, tenant_id)
    active, left, departments = repository.counts(session, tenant_id)
    return SyncState(
        state=job.state if job else "never",
        requested_at=job.created_at if job else None,
        finished_at=job.finished_at if job else None,
        last_error=job.last_error if job else None,
        active=active,
        left=left,
        departments=departments,
    )


@router.get(
    "/staff/sync",
    operation_id="getStaffSync",
    response_model=SyncState,
    responses=responses(*AUTH),
)
def get_staff_sync(session: DbSession, principal: ReadStaff) -> SyncState:
    return _state(session, principal.tenant_id)


@router.post(
    "/staff/sync",
    operation_id="syncStaff",
    response_model=SyncState,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound),
)
def sync_staff(session: DbSession, principal: SyncStaff) -> SyncState:
    """Mirror staff and departments from WeCom, in the background; a sync already waiting or
    running is reused rather than doubled."""
    if wecom.get(session, principal.tenant_id) is None:
        raise NotFound("wecom_connection")
    latest = repository.latest_sync(session, principal.tenant_id)
    if latest is None or latest.state not in (jobs.PENDING, jobs.RUNNING):
        key = f"staff-sync:{principal.tenant_id}:{utcnow().isoformat()}"
        jobs.submit(
            session,
            SYNC_JOB,
            {"tenant_id": principal.tenant_id},
            tenant_id=principal.tenant_id,
            key=key,
        )
        session.flush()
    return _state(session, principal.tenant_id)
