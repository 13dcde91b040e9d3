from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers import phones, repository, service
from siyu.customers.errors import BadPhoneNumber, CustomerErased
from siyu.customers.models import ChurnAlert, Customer, CustomerPhone
from siyu.customers.schemas import (
    AlertHandle,
    AlertPage,
    ChurnAlertOut,
    CustomerDetail,
    CustomerEdit,
    CustomerPage,
    CustomerRow,
    FollowOut,
    PhoneIn,
    PhoneOut,
    SyncRunOut,
    TaggingIn,
    TaggingOut,
    TagRef,
    TimelineOut,
    TimelinePage,
)
from siyu.errors import NotFound
from siyu.stores import service as stores
from siyu.tags import service as tags
from siyu.wecom import service as wecom

router = APIRouter(tags=["customers"])

Read = Annotated[Principal, Depends(require(Permission.CUSTOMERS_READ))]
Edit = Annotated[Principal, Depends(require(Permission.CUSTOMERS_EDIT))]
Sync = Annotated[Principal, Depends(require(Permission.CUSTOMERS_SYNC))]
Privacy = Annotated[Principal, Depends(require(Permission.CUSTOMERS_PRIVACY))]


def _phone(principal: Principal, phone: CustomerPhone) -> str:
    return (
        phones.unseal(phone.sealed) if principal.can(Permission.CUSTOMERS_PHONES) else phone.masked
    )


def _rows(session: DbSession, principal: Principal, customers: list[Customer]) -> list[CustomerRow]:
    ids = [c.id for c in customers]
    tag_map = repository.tags_of(session, ids)
    phone_map = repository.phones_of(session, ids)
    names = repository.staff_names(
        session, principal.tenant_id, {c.owner_userid for c in customers if c.owner_userid}
    )
    return [
        CustomerRow(
            id=c.id,
            external_userid=c.external_userid,
            name=c.name,
            gender=c.gender,
            avatar=c.avatar,
            corp_name=c.corp_name,
            status=c.status,
            owner_userid=c.owner_userid,
            owner_name=names.get(c.owner_userid or ""),
            source_channel=c.source_channel,
            city=c.city,
            member_level=c.member_level,
            phone=_phone(principal, phone_map[c.id][0]) if phone_map[c.id] else None,
            tags=[TagRef(id=i, name=n, group=g) for i, n, g in tag_map[c.id]],
            first_added_at=c.first_added_at,
        )
        for c in customers
    ]


def _visible(session: DbSession, principal: Principal) -> repository.Visible | None:
    """A shop manager's scope: customers of their stores' staff or of their stores."""
    store_ids = stores.scope_store_ids(session, principal)
    if store_ids is None:
        return None
    userids = stores.scope_userids(session, principal) or set()
    return repository.Visible(frozenset(userids), frozenset(store_ids))


def _customer(session: DbSession, principal: Principal, customer_id: int) -> Customer:
    customer = repository.get(session, principal.tenant_id, customer_id)
    visible = _visible(session, principal) if customer is not None else None
    if customer is None or (visible is not None and not visible.admits(customer)):
        raise NotFound("customer")
    return customer


def customer_filter(
    q: Annotated[str | None, Query(max_length=64, description="Name, remark or phone")] = None,
    tag_id: Annotated[list[int] | None, Query(max_length=20)] = None,
    owner_userid: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["active", "lost", "erased"] | None = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    added_from: dt.date | None = None,
    added_to: dt.date | None = None,
    store_id: Annotated[int | None, Query(ge=1)] = None,
) -> repository.CustomerFilter:
    """The customer list's filters from the query string (the list and its export share them)."""
    return repository.CustomerFilter(
        q=q,
        tag_ids=tuple(tag_id or ()),
        owner_userid=owner_userid,
        status=status,
        channel=channel,
        added_from=added_from,
        added_to=added_to,
        store_id=store_id,
    )


Filters = Annotated[repository.CustomerFilter, Depends(customer_filter)]


def scoped(
    session: DbSession, principal: Principal, f: repository.CustomerFilter
) -> repository.CustomerFilter:
    """``f`` limited to what the member may see."""
    return dataclasses.replace(f, visible=_visible(session, principal))


@router.get(
    "/customers",
    operation_id="listCustomers",
    response_model=CustomerPage,
    responses=responses(*AUTH),
)
def list_customers(
    session: DbSession, principal: Read, paging: Paging, filters: Filters
) -> CustomerPage:
    f = scoped(session, principal, filters)
    rows, total = repository.page(
        session, principal.tenant_id, f, offset=paging.offset, limit=paging.page_size
    )
    return CustomerPage(
        items=_rows(session, principal, list(rows)),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


def _alert_out(alert: ChurnAlert, customer_name: str, names: dict[str, str]) -> ChurnAlertOut:
    return ChurnAlertOut(
        id=alert.id,
        customer_id=alert.customer_id,
        customer_name=customer_name,
        userid=alert.userid,
        staff_name=names.get(alert.userid),
        kind=alert.kind,
        at=alert.at,
        handled_at=alert.handled_at,
        note=alert.note,
    )


def _detail(session: DbSession, principal: Principal, customer: Customer) -> CustomerDetail:
    row = _rows(session, principal, [customer])[0]
    follows = repository.follows_of(session, customer.id)
    alerts, _ = repository.alerts(
        session, principal.tenant_id, handled=None, customer_id=customer.id
    )
    names = repository.staff_names(
        session, principal.tenant_id, {f.userid for f in follows} | {a.userid for a, _ in alerts}
    )
    return CustomerDetail(
        **row.model_dump(),
        type=customer.type,
        unionid=customer.unionid,
        birthday=customer.birthday,
        preferences=customer.preferences,
        follow_up_days=customer.follow_up_days,
        store_id=customer.store_id,
        notes=customer.notes,
        custom=customer.custom,
        phones=[
            PhoneOut(id=p.id, phone=_phone(principal, p), source=p.source)
            for p in repository.phones_of(session, [customer.id])[customer.id]
        ],
        follows=[
            FollowOut.model_validate(f).model_copy(update={"staff_name": names.get(f.userid)})
            for f in follows
        ],
        alerts=[_alert_out(a, n, names) for a, n in alerts],
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


@router.get(
    "/customers/{customer_id}",
    operation_id="getCustomer",
    response_model=CustomerDetail,
    responses=responses(*AUTH, NotFound),
)
def get_customer(session: DbSession, principal: Read, customer_id: int) -> CustomerDetail:
    return _detail(session, principal, _customer(session, principal, customer_id))


@router.patch(
    "/customers/{customer_id}",
    operation_id="editCustomer",
    response_model=CustomerDetail,
    responses=responses(*AUTH, NotFound, CustomerErased),
)
def edit_customer(
    session: DbSession, principal: Edit, customer_id: int, body: CustomerEdit
) -> CustomerDetail:
    customer = _customer(session, principal, customer_id)
    if body.store_id is not None:
        stores.store(session, principal, body.store_id)  # of the tenant (and the caller's scope)
    changed = service.edit_profile(
        session, customer, body.model_dump(exclude_unset=True), actor=principal.label
    )
    if changed:
        audit.record(
            session,
            principal,
            "customer.edit",
            entity_type="customer",
            entity_id=customer.id,
            before={k: service.printable(v[0]) for k, v in changed.items()},
            after={k: service.printable(v[1]) for k, v in changed.items()},
        )
    return _detail(session, principal, customer)


@router.post(
    "/customers/{customer_id}/phones",
    operation_id="addCustomerPhone",
    response_model=CustomerDetail,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, NotFound, CustomerErased, BadPhoneNumber),
)
def add_phone(
    session: DbSession, principal: Edit, customer_id: int, body: PhoneIn
) -> CustomerDetail:
    customer = _customer(session, principal, customer_id)
    if customer.status == "erased":
        raise CustomerErased
    try:
        service.add_phone(
            session, principal.tenant_id, customer.id, body.phone, "manual", principal.label
        )
    except phones.BadPhone:
        raise BadPhoneNumber(phone=body.phone) from None
    audit.record(
        session, principal, "customer.add_phone", entity_type="customer", entity_id=customer.id
    )
    return _detail(session, principal, customer)


@router.get(
    "/customers/{customer_id}/timeline",
    operation_id="getCustomerTimeline",
    response_model=TimelinePage,
    responses=responses(*AUTH, NotFound),
)
def get_timeline(
    session: DbSession, principal: Read, customer_id: int, paging: Paging
) -> TimelinePage:
    customer = _customer(session, principal, customer_id)
    rows, total = repository.timeline_page(
        session, customer.id, offset=paging.offset, limit=paging.page_size
    )
    return TimelinePage(
        items=[TimelineOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/customers/tagging",
    operation_id="tagCustomers",
    response_model=TaggingOut,
    responses=responses(*AUTH, NotFound),
)
def tag_customers(session: DbSession, principal: Edit, body: TaggingIn) -> TaggingOut:
    """Add and remove tags on up to 5,000 customers at once; WeCom follows through the outbox."""
    visible = _visible(session, principal)
    customer_ids = body.customer_ids
    if visible is not None:  # customers out of the caller's scope are left alone
        customer_ids = repository.visible_ids(session, principal.tenant_id, customer_ids, visible)
    result = tags.tag_customers(
        session,
        principal.tenant_id,
        customer_ids,
        add=body.add,
        remove=body.remove,
        actor=principal.label,
    )
    return TaggingOut(
        customers=result.customers, added=result.added, removed=result.removed, writes=result.writes
    )


def _run_out(session: DbSession, tenant_id: int) -> SyncRunOut:
    run = repository.latest_run(session, tenant_id)
    total = repository.count(session, tenant_id)
    if run is None:
        return SyncRunOut(state="never", customers_total=total)
    batches = -(-len(run.userids) // 100)
    return SyncRunOut(
        id=run.id,
        state=run.state,
        staff_total=len(run.userids),
        staff_done=min(len(run.userids), run.batch * 100) if batches else 0,
        pages=run.pages,
        follows_seen=run.follows_seen,
        customers_new=run.customers_new,
        removed=run.removed,
        resumed=run.resumed,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        customers_total=total,
    )


@router.get(
    "/customers-sync",
    operation_id="getCustomerSync",
    response_model=SyncRunOut,
    responses=responses(*AUTH),
)
def get_sync(session: DbSession, principal: Read) -> SyncRunOut:
    return _run_out(session, principal.tenant_id)


@router.post(
    "/customers-sync",
    operation_id="syncCustomers",
    response_model=SyncRunOut,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound),
)
def start_sync(session: DbSession, principal: Sync) -> SyncRunOut:
    """Read every customer of every staff account from WeCom, in the background; a sync under way
    is reused. It resumes where it stopped if the worker is restarted."""
    if wecom.get(session, principal.tenant_id) is None:
        raise NotFound("wecom_connection")
    service.start_sync(session, principal.tenant_id)
    session.flush()
    return _run_out(session, principal.tenant_id)


@router.get(
    "/churn-alerts",
    operation_id="listChurnAlerts",
    response_model=AlertPage,
    responses=responses(*AUTH),
)
def list_alerts(
    session: DbSession,
    principal: Read,
    paging: Paging,
    state: Literal["open", "handled", "all"] = "open",
    userid: Annotated[str | None, Query(max_length=64)] = None,
) -> AlertPage:
    handled = {"open": False, "handled": True, "all": None}[state]
    rows, total = repository.alerts(
        session,
        principal.tenant_id,
        handled=handled,
        owner_userid=userid,
        visible=_visible(session, principal),
        offset=paging.offset,
        limit=paging.page_size,
    )
    names = repository.staff_names(session, principal.tenant_id, {a.userid for a, _ in rows})
    return AlertPage(
        items=[_alert_out(a, n, names) for a, n in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/churn-alerts/{alert_id}/handle",
    operation_id="handleChurnAlert",
    response_model=ChurnAlertOut,
    responses=responses(*AUTH, NotFound),
)
def handle_alert(
    session: DbSession, principal: Edit, alert_id: int, body: AlertHandle
) -> ChurnAlertOut:
    alert = session.get(ChurnAlert, alert_id)
    if alert is None or alert.tenant_id != principal.tenant_id:
        raise NotFound("churn_alert")
    customer = session.get(Customer, alert.customer_id)
    visible = _visible(session, principal)
    if visible is not None and (customer is None or not visible.admits(customer)):
        raise NotFound("churn_alert")
    service.handle_alert(alert, member_id=principal.user_id, note=body.note)
    names = repository.staff_names(session, principal.tenant_id, {alert.userid})
    return _alert_out(alert, customer.name if customer else "", names)


@router.get(
    "/customers/{customer_id}/personal-data",
    operation_id="exportPersonalData",
    responses={
        **responses(*AUTH, NotFound),
        200: {"content": {"application/json": {}}, "description": "Everything held on the person"},
    },
)
def export_personal_data(session: DbSession, principal: Privacy, customer_id: int) -> Response:
    customer = _customer(session, principal, customer_id)
    data = service.personal_data(session, customer)
    audit.record(
        session,
        principal,
        "customer.export_personal_data",
        entity_type="customer",
        entity_id=customer.id,
    )
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="customer-{customer.id}.json"'},
    )


@router.post(
    "/customers/{customer_id}/erase",
    operation_id="eraseCustomer",
    response_model=CustomerDetail,
    responses=responses(*AUTH, NotFound),
)
def erase_customer(session: DbSession, principal: Privacy, customer_id: int) -> CustomerDetail:
    """Erase a person's data on their request (PIPL): kept only as an anonymous row."""
    customer = _customer(session, principal, customer_id)
    if customer.status != "erased":
        name = customer.name
        service.erase(session, customer)
        audit.record(
            session,
            principal,
            "customer.erase",
            entity_type="customer",
            entity_id=customer.id,
            before={"name": name},
        )
    return _detail(session, principal, customer)
