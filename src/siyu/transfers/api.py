from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers.repository import staff_names
from siyu.db import Database
from siyu.errors import NotFound
from siyu.transfers import reasons, repository, service, tasks
from siyu.transfers.errors import (
    HandoverLeft,
    HandoverNotLeft,
    MessageNotForResigned,
    NoCustomers,
    NotConnected,
    NotHandoverCustomers,
    SameStaff,
    TakeoverLeft,
    TakeoverNoContact,
    UnknownStaff,
)
from siyu.transfers.models import ITEM_STATUSES, QUEUED, Transfer, TransferItem
from siyu.transfers.schemas import (
    ItemStatus,
    StatusCounts,
    TransferDetail,
    TransferIn,
    TransferItemOut,
    TransferKind,
    TransferOut,
    TransferPage,
    TransferState,
    UnassignedOut,
    UnassignedPage,
)
from siyu.wecom import service as wecom
from siyu.wecom.errors import WeComError, WeComUnavailable

router = APIRouter(tags=["transfers"])

Read = Annotated[Principal, Depends(require(Permission.CUSTOMERS_READ))]
Move = Annotated[Principal, Depends(require(Permission.CUSTOMERS_TRANSFER))]

REFUSALS = (
    SameStaff,
    UnknownStaff,
    TakeoverLeft,
    TakeoverNoContact,
    HandoverNotLeft,
    HandoverLeft,
    MessageNotForResigned,
    NoCustomers,
    NotHandoverCustomers,
    NotConnected,
)


def _outs(session: DbSession, tenant_id: int, transfers: list[Transfer]) -> list[TransferOut]:
    counts = repository.counts(session, [t.id for t in transfers])
    names = staff_names(
        session,
        tenant_id,
        {t.handover_userid for t in transfers} | {t.takeover_userid for t in transfers},
    )
    outs = []
    for t in transfers:
        by_status = counts.get(t.id, {})
        outs.append(
            TransferOut(
                id=t.id,
                kind=t.kind,
                handover_userid=t.handover_userid,
                handover_name=names.get(t.handover_userid),
                takeover_userid=t.takeover_userid,
                takeover_name=names.get(t.takeover_userid),
                message=t.message,
                state=t.state,
                counts=StatusCounts(
                    **{s: by_status.get(s, 0) for s in ITEM_STATUSES},
                    total=sum(by_status.values()),
                ),
                created_by=t.created_by,
                created_by_label=t.created_by_label,
                created_at=t.created_at,
                finished_at=t.finished_at,
            )
        )
    return outs


def _item_out(principal: Principal, item: TransferItem, customer_name: str) -> TransferItemOut:
    return TransferItemOut(
        id=item.id,
        customer_id=item.customer_id,
        customer_name=customer_name,
        external_userid=item.external_userid,
        status=item.status,
        reason=item.reason,
        reason_text=reasons.text(
            item.reason, principal.locale, errcode=item.errcode, errmsg=item.errmsg
        ),
        errcode=item.errcode,
        requested_at=item.requested_at,
        settled_at=item.settled_at,
    )


def _detail(
    session: DbSession,
    principal: Principal,
    transfer: Transfer,
    *,
    item_status: str | None,
    page: int,
    page_size: int,
) -> TransferDetail:
    out = _outs(session, principal.tenant_id, [transfer])[0]
    items, total = repository.items_page(
        session, transfer.id, status=item_status, offset=(page - 1) * page_size, limit=page_size
    )
    return TransferDetail(
        **out.model_dump(),
        items=[_item_out(principal, item, name) for item, name in items],
        items_total=total,
        page=page,
        page_size=page_size,
    )


def _transfer(session: DbSession, principal: Principal, transfer_id: int) -> Transfer:
    transfer = repository.get(session, principal.tenant_id, transfer_id)
    if transfer is None:
        raise NotFound("transfer")
    return transfer


@router.post(
    "/transfers",
    operation_id="createTransfer",
    response_model=TransferDetail,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *REFUSALS),
)
def create_transfer(session: DbSession, principal: Move, body: TransferIn) -> TransferDetail:
    """Move customers from one WeCom account to another: ``active`` (在职继承) while the handover
    is on the staff — each customer is told and may refuse within 24 hours — or ``resigned``
    (离职继承) after the handover left. WeCom allows each customer at most 2 transfers in 90
    days; customers it is known to refuse fail at once with the reason. Sending happens in the
    background; the results follow as WeCom reports them."""
    transfer = service.create(session, principal, body)
    audit.record(
        session,
        principal,
        "transfer.create",
        entity_type="transfer",
        entity_id=transfer.id,
        after={
            "kind": transfer.kind,
            "handover_userid": transfer.handover_userid,
            "takeover_userid": transfer.takeover_userid,
        },
    )
    session.flush()
    return _detail(session, principal, transfer, item_status=None, page=1, page_size=20)


@router.get(
    "/transfers",
    operation_id="listTransfers",
    response_model=TransferPage,
    responses=responses(*AUTH),
)
def list_transfers(
    session: DbSession,
    principal: Read,
    paging: Paging,
    state: TransferState | None = None,
    kind: TransferKind | None = None,
    userid: Annotated[
        str | None, Query(max_length=64, description="Handover or takeover account")
    ] = None,
) -> TransferPage:
    rows, total = repository.page(
        session,
        principal.tenant_id,
        offset=paging.offset,
        limit=paging.page_size,
        state=state,
        kind=kind,
        userid=userid,
    )
    return TransferPage(
        items=_outs(session, principal.tenant_id, list(rows)),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/transfers/unassigned",
    operation_id="listUnassignedCustomers",
    response_model=UnassignedPage,
    responses=responses(*AUTH, NotFound, WeComError, WeComUnavailable),
)
def list_unassigned(
    request: Request,
    session: DbSession,
    principal: Read,
    cursor: Annotated[str, Query(max_length=256)] = "",
    page_size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> UnassignedPage:
    """WeCom's customers of staff who left that nobody has taken over yet (离职待分配), a page
    at a time, with the Siyu customer each one is (if synced)."""
    if wecom.get(session, principal.tenant_id) is None:
        raise NotFound("wecom_connection")
    # Never hold a transaction across a call to WeCom.
    session.commit()
    database: Database = request.app.state.database
    client = wecom.client_for_tenant(database, principal.tenant_id)
    if client is None:
        raise NotFound("wecom_connection")
    answer = client.get_unassigned_list(cursor, page_size)
    known = repository.customers_by_external_id(
        session, principal.tenant_id, {i.external_userid for i in answer.info}
    )
    names = staff_names(session, principal.tenant_id, {i.handover_userid for i in answer.info})
    items = []
    for info in answer.info:
        customer = known.get(info.external_userid)
        items.append(
            UnassignedOut(
                handover_userid=info.handover_userid,
                handover_name=names.get(info.handover_userid),
                external_userid=info.external_userid,
                customer_id=customer[0] if customer else None,
                customer_name=customer[1] if customer else None,
                dimission_time=(
                    service.from_timestamp(info.dimission_time) if info.dimission_time else None
                ),
            )
        )
    return UnassignedPage(items=items, next_cursor="" if answer.is_last else answer.next_cursor)


@router.get(
    "/transfers/{transfer_id}",
    operation_id="getTransfer",
    response_model=TransferDetail,
    responses=responses(*AUTH, NotFound),
)
def get_transfer(
    session: DbSession,
    principal: Read,
    transfer_id: int,
    paging: Paging,
    status: ItemStatus | None = None,
) -> TransferDetail:
    """The transfer with its customers a page at a time (optionally of one status), each with
    the reason when refused or failed."""
    transfer = _transfer(session, principal, transfer_id)
    return _detail(
        session,
        principal,
        transfer,
        item_status=status,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/transfers/{transfer_id}/refresh",
    operation_id="refreshTransfer",
    response_model=TransferDetail,
    responses=responses(*AUTH, NotFound, WeComError, WeComUnavailable),
)
def refresh_transfer(
    request: Request, session: DbSession, principal: Move, transfer_id: int
) -> TransferDetail:
    """Read WeCom's results for this transfer now, rather than at the next 10-minute look."""
    transfer = _transfer(session, principal, transfer_id)
    queued = session.scalar(
        repository.has_status(transfer.id, (QUEUED,)),
    )
    if queued:
        service.request_send(session, principal.tenant_id)
    # Never hold a transaction across a call to WeCom.
    session.commit()
    database: Database = request.app.state.database
    client = wecom.client_for_tenant(database, principal.tenant_id)
    if client is None:
        raise NotFound("wecom_connection")
    tasks.poll_now(database, client, principal.tenant_id, transfer_id=transfer.id)
    session.expire_all()
    return _detail(session, principal, transfer, item_status=None, page=1, page_size=20)
