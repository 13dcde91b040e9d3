"""Regions, stores, their staff and shop managers; rotation of who operates a staff account."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.db import utcnow
from siyu.errors import Conflict, NotFound
from siyu.stores import repository, service
from siyu.stores.errors import (
    IncompleteLocation,
    NotShopManager,
    RegionInUse,
    RegionNameTaken,
    RotationOutOfOrder,
    StoreCodeTaken,
    StoreInUse,
    StoreNameTaken,
)
from siyu.stores.models import Region, StaffRotation, Store
from siyu.stores.schemas import (
    OperatorOut,
    OperatorsAt,
    RegionCreate,
    RegionEdit,
    RegionList,
    RegionOut,
    RotationCreate,
    RotationOut,
    RotationPage,
    StoreCreate,
    StoreDetail,
    StoreEdit,
    StoreManagerOut,
    StoreManagersSet,
    StorePage,
    StoreRow,
    StoreStaffOut,
    StoreStaffSet,
)

router = APIRouter()

ReadStores = Annotated[Principal, Depends(require(Permission.STORES_READ))]
ManageStores = Annotated[Principal, Depends(require(Permission.STORES_MANAGE))]
ReadStaff = Annotated[Principal, Depends(require(Permission.STAFF_READ))]
RotateStaff = Annotated[Principal, Depends(require(Permission.STAFF_ROTATE))]

# The routes are listed under two tags in OpenAPI: the stores and the staff accounts.
STORES: list[str | Enum] = ["stores"]
STAFF: list[str | Enum] = ["staff"]
STORE_ERRORS = (NotFound, StoreNameTaken, StoreCodeTaken, IncompleteLocation)


def _changes(changed: dict[str, tuple[Any, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    return {k: v[0] for k, v in changed.items()}, {k: v[1] for k, v in changed.items()}


# --- regions ---------------------------------------------------------------------------------


def _region_out(region: Region, store_count: int) -> RegionOut:
    return RegionOut(
        id=region.id,
        name=region.name,
        order=region.order,
        store_count=store_count,
        created_at=region.created_at,
        updated_at=region.updated_at,
    )


@router.get(
    "/regions",
    tags=STORES,
    operation_id="listRegions",
    response_model=RegionList,
    responses=responses(*AUTH),
)
def list_regions(session: DbSession, principal: ReadStores) -> RegionList:
    return RegionList(
        items=[
            _region_out(r, n)
            for r, n in repository.regions_with_counts(session, principal.tenant_id)
        ]
    )


@router.get(
    "/regions/{region_id}",
    tags=STORES,
    operation_id="getRegion",
    response_model=RegionOut,
    responses=responses(*AUTH, NotFound),
)
def get_region(session: DbSession, principal: ReadStores, region_id: int) -> RegionOut:
    region = service.region(session, principal.tenant_id, region_id)
    return _region_out(region, repository.stores_in_region(session, region.tenant_id, region.id))


@router.post(
    "/regions",
    tags=STORES,
    operation_id="createRegion",
    response_model=RegionOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, RegionNameTaken),
)
def create_region(session: DbSession, principal: ManageStores, body: RegionCreate) -> RegionOut:
    region = service.create_region(session, principal.tenant_id, name=body.name, order=body.order)
    audit.record(
        session,
        principal,
        "region.create",
        entity_type="region",
        entity_id=region.id,
        after={"name": region.name, "order": region.order},
    )
    return _region_out(region, 0)


@router.patch(
    "/regions/{region_id}",
    tags=STORES,
    operation_id="editRegion",
    response_model=RegionOut,
    responses=responses(*AUTH, NotFound, RegionNameTaken),
)
def edit_region(
    session: DbSession, principal: ManageStores, region_id: int, body: RegionEdit
) -> RegionOut:
    region = service.region(session, principal.tenant_id, region_id)
    changed = service.edit_region(session, region, body.model_dump(exclude_unset=True))
    if changed:
        before, after = _changes(changed)
        audit.record(
            session,
            principal,
            "region.edit",
            entity_type="region",
            entity_id=region.id,
            before=before,
            after=after,
        )
    return _region_out(region, repository.stores_in_region(session, region.tenant_id, region.id))


@router.delete(
    "/regions/{region_id}",
    tags=STORES,
    operation_id="deleteRegion",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound, RegionInUse),
)
def delete_region(session: DbSession, principal: ManageStores, region_id: int) -> Response:
    """Delete a region no store belongs to."""
    region = service.region(session, principal.tenant_id, region_id)
    before = {"name": region.name, "order": region.order}
    service.delete_region(session, region)
    audit.record(
        session,
        principal,
        "region.delete",
        entity_type="region",
        entity_id=region_id,
        before=before,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# --- stores ----------------------------------------------------------------------------------


def _rows(session: DbSession, stores: list[Store]) -> list[StoreRow]:
    names = repository.region_names(session, {s.region_id for s in stores if s.region_id})
    counts = repository.staff_counts(session, [s.id for s in stores])
    return [
        StoreRow(
            id=s.id,
            name=s.name,
            code=s.code,
            region_id=s.region_id,
            region_name=names.get(s.region_id) if s.region_id else None,
            city=s.city,
            address=s.address,
            latitude=s.latitude,
            longitude=s.longitude,
            phone=s.phone,
            status="closed" if s.status == "closed" else "active",
            staff_count=counts.get(s.id, 0),
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in stores
    ]


def _detail(session: DbSession, store: Store) -> StoreDetail:
    return StoreDetail(
        **_rows(session, [store])[0].model_dump(),
        staff=[
            StoreStaffOut(
                id=a.id,
                userid=a.userid,
                name=a.name,
                status="left" if a.status == "left" else "active",
            )
            for a in repository.staff_of_store(session, store.id)
        ],
        managers=[
            StoreManagerOut(
                id=u.id, username=u.username, display_name=u.display_name, is_active=u.is_active
            )
            for u in repository.managers_of_store(session, store.id)
        ],
    )


@router.get(
    "/stores",
    tags=STORES,
    operation_id="listStores",
    response_model=StorePage,
    responses=responses(*AUTH),
)
def list_stores(
    session: DbSession,
    principal: ReadStores,
    paging: Paging,
    region_id: Annotated[int | None, Query(ge=1)] = None,
    city: Annotated[str | None, Query(max_length=50)] = None,
    status: Literal["active", "closed"] | None = None,
    q: Annotated[str | None, Query(max_length=64, description="Name, code or address")] = None,
) -> StorePage:
    """Stores of the tenant; a shop manager sees the stores they look after."""
    f = repository.StoreFilter(
        region_id=region_id,
        city=city,
        status=status,
        q=q,
        store_ids=service.scope_store_ids(session, principal),
    )
    rows, total = repository.store_page(
        session, principal.tenant_id, f, offset=paging.offset, limit=paging.page_size
    )
    return StorePage(
        items=_rows(session, list(rows)), total=total, page=paging.page, page_size=paging.page_size
    )


@router.get(
    "/stores/{store_id}",
    tags=STORES,
    operation_id="getStore",
    response_model=StoreDetail,
    responses=responses(*AUTH, NotFound),
)
def get_store(session: DbSession, principal: ReadStores, store_id: int) -> StoreDetail:
    return _detail(session, service.store(session, principal, store_id))


@router.post(
    "/stores",
    tags=STORES,
    operation_id="createStore",
    response_model=StoreDetail,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *STORE_ERRORS),
)
def create_store(session: DbSession, principal: ManageStores, body: StoreCreate) -> StoreDetail:
    store = service.create_store(session, principal.tenant_id, body.model_dump())
    audit.record(
        session,
        principal,
        "store.create",
        entity_type="store",
        entity_id=store.id,
        after=service.snapshot(store),
    )
    return _detail(session, store)


@router.patch(
    "/stores/{store_id}",
    tags=STORES,
    operation_id="editStore",
    response_model=StoreDetail,
    responses=responses(*AUTH, *STORE_ERRORS),
)
def edit_store(
    session: DbSession, principal: ManageStores, store_id: int, body: StoreEdit
) -> StoreDetail:
    store = service.store(session, principal, store_id)
    changed = service.edit_store(session, store, body.model_dump(exclude_unset=True))
    if changed:
        before, after = _changes(changed)
        audit.record(
            session,
            principal,
            "store.edit",
            entity_type="store",
            entity_id=store.id,
            before=before,
            after=after,
        )
    return _detail(session, store)


@router.delete(
    "/stores/{store_id}",
    tags=STORES,
    operation_id="deleteStore",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound, StoreInUse),
)
def delete_store(session: DbSession, principal: ManageStores, store_id: int) -> Response:
    """Delete a store no staff account, shop manager or customer refers to; close it otherwise."""
    store = service.store(session, principal, store_id)
    before = service.snapshot(store)
    service.delete_store(session, store)
    audit.record(
        session, principal, "store.delete", entity_type="store", entity_id=store_id, before=before
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.put(
    "/stores/{store_id}/staff",
    tags=STORES,
    operation_id="setStoreStaff",
    response_model=StoreDetail,
    responses=responses(*AUTH, NotFound, Conflict),
)
def set_store_staff(
    session: DbSession, principal: ManageStores, store_id: int, body: StoreStaffSet
) -> StoreDetail:
    """Set the staff accounts working for the store. An account works for one store at a time:
    one listed here that works for another store moves here."""
    store = service.store(session, principal, store_id)
    change = service.set_staff(session, store, body.staff_account_ids)
    if change.added or change.removed:
        audit.record(
            session,
            principal,
            "store.set_staff",
            entity_type="store",
            entity_id=store.id,
            before={"removed": change.removed, "moved_from": change.moved},
            after={"added": change.added, "staff_account_ids": body.staff_account_ids},
        )
    return _detail(session, store)


@router.put(
    "/stores/{store_id}/managers",
    tags=STORES,
    operation_id="setStoreManagers",
    response_model=StoreDetail,
    responses=responses(*AUTH, NotFound, NotShopManager, Conflict),
)
def set_store_managers(
    session: DbSession, principal: ManageStores, store_id: int, body: StoreManagersSet
) -> StoreDetail:
    """Set the shop managers looking after the store (members with the shop manager role);
    they see the store and the customers of its staff."""
    store = service.store(session, principal, store_id)
    added, removed = service.set_managers(session, store, body.user_ids)
    if added or removed:
        audit.record(
            session,
            principal,
            "store.set_managers",
            entity_type="store",
            entity_id=store.id,
            before={"removed": removed},
            after={"added": added, "user_ids": body.user_ids},
        )
    return _detail(session, store)


# --- rotation --------------------------------------------------------------------------------


def _rotation_out(rotation: StaffRotation) -> RotationOut:
    return RotationOut(
        id=rotation.id,
        staff_account_id=rotation.staff_account_id,
        operator_name=rotation.operator_name,
        user_id=rotation.user_id,
        started_at=rotation.started_at,
        ended_at=rotation.ended_at,
    )


@router.get(
    "/staff/{staff_account_id}/rotations",
    tags=STAFF,
    operation_id="listStaffRotations",
    response_model=RotationPage,
    responses=responses(*AUTH, NotFound),
)
def list_rotations(
    session: DbSession, principal: ReadStaff, staff_account_id: int, paging: Paging
) -> RotationPage:
    """Who operated the account, newest period first."""
    account = service.staff_account(session, principal.tenant_id, staff_account_id)
    rows, total = repository.rotation_page(
        session, principal.tenant_id, account.id, offset=paging.offset, limit=paging.page_size
    )
    return RotationPage(
        items=[_rotation_out(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/staff/{staff_account_id}/rotations",
    tags=STAFF,
    operation_id="rotateStaffAccount",
    response_model=RotationOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, NotFound, RotationOutOfOrder, Conflict),
)
def rotate_staff_account(
    session: DbSession, principal: RotateStaff, staff_account_id: int, body: RotationCreate
) -> RotationOut:
    """Hand the account to another person from ``started_at`` (now when left out): the current
    period ends at that moment. It may not start before the current period began."""
    opened, closed = service.rotate(
        session,
        principal.tenant_id,
        staff_account_id,
        operator_name=body.operator_name,
        user_id=body.user_id,
        started_at=body.started_at,
    )
    audit.record(
        session,
        principal,
        "staff.rotate",
        entity_type="staff_account",
        entity_id=staff_account_id,
        before={"operator_name": closed.operator_name, "user_id": closed.user_id}
        if closed
        else None,
        after={
            "operator_name": opened.operator_name,
            "user_id": opened.user_id,
            "started_at": opened.started_at.isoformat(),
        },
    )
    return _rotation_out(opened)


@router.get(
    "/rotations",
    tags=STAFF,
    operation_id="listOperatorsAt",
    response_model=OperatorsAt,
    responses=responses(*AUTH),
)
def list_operators_at(
    session: DbSession,
    principal: ReadStaff,
    at: Annotated[
        AwareDatetime | None, Query(description="ISO 8601 with a time zone; now when left out")
    ] = None,
) -> OperatorsAt:
    """Who operated each staff account at a moment (accounts with no recorded operator then
    are left out)."""
    moment = at or utcnow()
    return OperatorsAt(
        at=moment,
        items=[
            OperatorOut(
                staff_account_id=account.id,
                userid=account.userid,
                staff_name=account.name,
                rotation_id=rotation.id,
                operator_name=rotation.operator_name,
                user_id=rotation.user_id,
                started_at=rotation.started_at,
                ended_at=rotation.ended_at,
            )
            for rotation, account in repository.rotations_at(session, principal.tenant_id, moment)
        ],
    )
