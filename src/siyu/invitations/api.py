"""Group invitations over HTTP: compose (the QR image drawn once per code, the broadcast made
and scheduled), list with their numbers, one invitation's results and their workbook."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import FileResponse

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.api.files import download, temp_path
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.broadcasts.api import COMPOSE_ERRORS
from siyu.db import Database, utcnow
from siyu.errors import NotFound
from siyu.groups.errors import CodeNotReady
from siyu.groups.models import GroupCode
from siyu.invitations import qr_images, repository, service
from siyu.invitations.errors import CodeNotLive, EmptyText, UnknownCode
from siyu.invitations.models import Invitation
from siyu.invitations.schemas import (
    GroupJoins,
    InvitationIn,
    InvitationOut,
    InvitationPage,
    InvitationResults,
    JoinedCustomer,
    Numbers,
)
from siyu.sheets.writer import write_xlsx
from siyu.wecom.errors import WeComError

router = APIRouter(tags=["invitations"])

Read = Annotated[Principal, Depends(require(Permission.BROADCASTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.BROADCASTS_MANAGE))]
JOINED_SHOWN = 500


def _numbers(invited: int, delivered: int, joined: int) -> Numbers:
    rate = round(100.0 * joined / delivered, 1) if delivered else 0.0
    return Numbers(invited=invited, delivered=delivered, joined=joined, conversion=rate)


def _out(
    session: DbSession, invitation: Invitation, code: GroupCode | None
) -> tuple[InvitationOut, list[repository.Join]]:
    broadcast = service.broadcast_of(session, invitation)
    invited, delivered = repository.delivery(session, broadcast)
    found = repository.joins(session, broadcast, code)
    joined = len({j.customer_id for j in found})
    return (
        InvitationOut(
            id=invitation.id,
            name=invitation.name,
            audience=invitation.audience,
            text=invitation.text,
            code_id=invitation.code_id,
            code_name=code.name if code else "",
            code_status=code.status if code else "deleted",
            broadcast_id=invitation.broadcast_id,
            broadcast_state=broadcast.state if broadcast else "",
            send_at=broadcast.due_at if broadcast else None,
            material_id=invitation.material_id,
            numbers=_numbers(invited, delivered, joined),
            created_at=invitation.created_at,
        ),
        found,
    )


def _get(session: DbSession, principal: Principal, invitation_id: int) -> Invitation:
    found = repository.get(session, principal.tenant_id, invitation_id)
    if found is None:
        raise NotFound("invitation")
    return found


def _code(session: DbSession, invitation: Invitation) -> GroupCode | None:
    codes = repository.codes_by_id(session, invitation.tenant_id, {invitation.code_id})
    return codes.get(invitation.code_id)


@router.get("/invitations", operation_id="listInvitations", responses=responses(*AUTH))
def list_invitations(
    session: DbSession,
    principal: Read,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> InvitationPage:
    rows, total = repository.page(session, principal.tenant_id, paging.offset, paging.page_size, q)
    codes = repository.codes_by_id(session, principal.tenant_id, {r.code_id for r in rows})
    return InvitationPage(
        items=[_out(session, r, codes.get(r.code_id))[0] for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/invitations",
    operation_id="createInvitation",
    status_code=status.HTTP_201_CREATED,
    responses=responses(
        *AUTH, *COMPOSE_ERRORS, UnknownCode, CodeNotLive, CodeNotReady, EmptyText, WeComError
    ),
)
def create_invitation(
    request: Request, session: DbSession, principal: Manage, body: InvitationIn
) -> InvitationOut:
    """Invite a segment (or tags) into the groups of a group code: one 1:1 broadcast from each
    customer's owner account, the code's QR attached as an image."""
    tenant_id = principal.tenant_id
    service.check(session, tenant_id, body, utcnow())
    session.commit()  # nothing held while WeCom is asked for the code's QR
    database: Database = request.app.state.database
    material_id = qr_images.material_for(database, tenant_id, body.code_id, principal.user_id)
    invitation = service.create(
        session, tenant_id, body, material_id=material_id, created_by=principal.user_id
    )
    audit.record(
        session,
        principal,
        "invitations.create",
        entity_type="invitation",
        entity_id=invitation.id,
        after={"name": invitation.name, "code_id": invitation.code_id},
    )
    return _out(session, invitation, _code(session, invitation))[0]


@router.get(
    "/invitations/{invitation_id}",
    operation_id="getInvitation",
    responses=responses(*AUTH, NotFound),
)
def read_invitation(session: DbSession, principal: Read, invitation_id: int) -> InvitationOut:
    invitation = _get(session, principal, invitation_id)
    return _out(session, invitation, _code(session, invitation))[0]


def _joined_rows(
    session: DbSession, invitation: Invitation, found: list[repository.Join]
) -> Iterator[JoinedCustomer]:
    tenant_id = invitation.tenant_id
    customers = {j.customer_id for j in found}
    names = repository.customer_names(session, tenant_id, customers)
    groups = repository.group_names(session, tenant_id, {j.group_id for j in found})
    senders = repository.senders(session, invitation.broadcast_id or 0, customers)
    for join in found:
        yield JoinedCustomer(
            customer_id=join.customer_id,
            name=names.get(join.customer_id, ""),
            sender=senders.get(join.customer_id, ""),
            group_id=join.group_id,
            group_name=groups.get(join.group_id, ""),
            joined_at=join.joined_at,
            state=join.state,
        )


@router.get(
    "/invitations/{invitation_id}/results",
    operation_id="getInvitationResults",
    responses=responses(*AUTH, NotFound),
)
def read_results(session: DbSession, principal: Read, invitation_id: int) -> InvitationResults:
    """The numbers, the joins per group (the code's groups, then any WeCom opened for it) and
    the customers who joined."""
    invitation = _get(session, principal, invitation_id)
    code = _code(session, invitation)
    summary, found = _out(session, invitation, code)
    per_group = Counter(j.group_id for j in found)
    listed = repository.listed_groups(session, code) if code else []
    order = [g for g, _n in listed] + sorted(set(per_group) - {g for g, _n in listed})
    names = dict(listed) | repository.group_names(
        session, principal.tenant_id, set(per_group) - {g for g, _n in listed}
    )
    return InvitationResults(
        invitation=summary,
        groups=[GroupJoins(group_id=g, name=names.get(g, ""), joined=per_group[g]) for g in order],
        joined=list(_joined_rows(session, invitation, found[:JOINED_SHOWN])),
    )


@router.get(
    "/invitations/{invitation_id}/results.xlsx",
    operation_id="exportInvitationResults",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound),
)
def export_results(session: DbSession, principal: Read, invitation_id: int) -> FileResponse:
    """Every customer who joined through the invitation, as a workbook."""
    invitation = _get(session, principal, invitation_id)
    _summary, found = _out(session, invitation, _code(session, invitation))
    rows = (
        (r.customer_id, r.name, r.sender, r.group_name, r.joined_at, r.state)
        for r in _joined_rows(session, invitation, found)
    )
    path = temp_path(".xlsx")
    headers = [
        "客户编号 Customer ID",
        "客户 Customer",
        "邀请员工 Sender",
        "加入的群 Group",
        "入群时间 Joined at",
        "渠道参数 State",
    ]
    write_xlsx(path, headers, rows, sheet_title="拉群结果")
    return download(path, f"invitation-{invitation.id}-joins.xlsx")
