"""Group codes (群活码) and group welcome templates (入群欢迎语).

Changes go to WeCom from the request: the request's own transaction is committed first, so none
is held while WeCom answers (see :mod:`siyu.groups.wecom_ops`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from siyu import qr
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.db import Database
from siyu.errors import InvalidInput, NotFound
from siyu.groups import codes, repository, wecom_ops, welcomes
from siyu.groups.errors import CodeNotReady, GroupUnusable, StateTaken, WelcomeInUse
from siyu.groups.models import GroupCode
from siyu.groups.schemas import (
    GroupCodeEdit,
    GroupCodeIn,
    GroupCodeOut,
    GroupCodePage,
    ListedGroup,
    WelcomeIn,
    WelcomeList,
    WelcomeOut,
)
from siyu.wecom.errors import WeComError, WeComUnavailable

router = APIRouter(tags=["group codes"])

Read = Annotated[Principal, Depends(require(Permission.GROUPS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.GROUPS_MANAGE))]
WECOM = (WeComError, WeComUnavailable)
CHINA = dt.timezone(dt.timedelta(hours=8))


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _outs(session: DbSession, tenant_id: int, rows: list[GroupCode]) -> list[GroupCodeOut]:
    lists = codes.listing(session, [c.id for c in rows])
    # "Today" is the brand's day: China time.
    midnight = dt.datetime.now(CHINA).replace(hour=0, minute=0, second=0, microsecond=0)
    joins = codes.join_counts(session, tenant_id, [c.state for c in rows], since=midnight)
    welcome_names = repository.welcome_names(session, {c.welcome_id for c in rows if c.welcome_id})
    return [
        GroupCodeOut(
            id=c.id,
            name=c.name,
            state=c.state,
            config_id=c.config_id,
            qr_code=c.qr_code,
            auto_create=c.auto_create,
            room_base_name=c.room_base_name,
            room_base_id=c.room_base_id,
            welcome_id=c.welcome_id,
            welcome_name=welcome_names.get(c.welcome_id) if c.welcome_id else None,
            status=c.status,
            alert=c.alert,
            alert_at=c.alert_at,
            swapped_at=c.swapped_at,
            last_error=c.last_error,
            groups=[
                ListedGroup(
                    id=g.id,
                    chat_id=g.chat_id,
                    name=g.name,
                    member_count=g.member_count,
                    full=codes.is_full(g),
                    status=g.status,
                )
                for g in lists[c.id]
            ],
            joins_total=joins.get(c.state, (0, 0))[0],
            joins_today=joins.get(c.state, (0, 0))[1],
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in rows
    ]


def _out(session: DbSession, principal: Principal, code_id: int) -> GroupCodeOut:
    session.expire_all()
    return _outs(session, principal.tenant_id, [codes.get(session, principal.tenant_id, code_id)])[
        0
    ]


@router.get(
    "/group-codes",
    operation_id="listGroupCodes",
    response_model=GroupCodePage,
    responses=responses(*AUTH),
)
def list_codes(session: DbSession, principal: Read, paging: Paging) -> GroupCodePage:
    """Each code with its groups' fill (members of 200) and its joins, in total and today."""
    rows, total = repository.codes_page(
        session, principal.tenant_id, offset=paging.offset, limit=paging.page_size
    )
    return GroupCodePage(
        items=_outs(session, principal.tenant_id, rows),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/group-codes",
    operation_id="createGroupCode",
    response_model=GroupCodeOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, NotFound, GroupUnusable, StateTaken, *WECOM),
)
def create_code(
    request: Request, session: DbSession, principal: Manage, data: GroupCodeIn
) -> GroupCodeOut:
    """Create the join way in WeCom with the chosen groups (at most 5, in routing order)."""
    session.commit()
    code_id = wecom_ops.create_code(_database(request), principal, data)
    return _out(session, principal, code_id)


@router.get(
    "/group-codes/{group_code_id}",
    operation_id="getGroupCode",
    response_model=GroupCodeOut,
    responses=responses(*AUTH, NotFound),
)
def get_code(session: DbSession, principal: Read, group_code_id: int) -> GroupCodeOut:
    return _out(session, principal, group_code_id)


@router.put(
    "/group-codes/{group_code_id}",
    operation_id="editGroupCode",
    response_model=GroupCodeOut,
    responses=responses(*AUTH, NotFound, GroupUnusable, CodeNotReady, *WECOM),
)
def edit_code(
    request: Request,
    session: DbSession,
    principal: Manage,
    group_code_id: int,
    data: GroupCodeEdit,
) -> GroupCodeOut:
    """Change the code in WeCom (its QR code stays the same), then here."""
    codes.get(session, principal.tenant_id, group_code_id)
    session.commit()
    wecom_ops.edit_code(_database(request), principal, group_code_id, data)
    return _out(session, principal, group_code_id)


@router.delete(
    "/group-codes/{group_code_id}",
    operation_id="deleteGroupCode",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound, *WECOM),
)
def delete_code(
    request: Request, session: DbSession, principal: Manage, group_code_id: int
) -> Response:
    """Delete the join way in WeCom (its QR code stops working); the joins stay counted."""
    codes.get(session, principal.tenant_id, group_code_id)
    session.commit()
    wecom_ops.delete_code(_database(request), principal, group_code_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _image(content: qr.QrImage, code_id: int, ext: str) -> Response:
    return Response(
        content.content,
        media_type=content.media_type,
        headers={"Content-Disposition": f'attachment; filename="group-code-{code_id}.{ext}"'},
    )


@router.get(
    "/group-codes/{group_code_id}/qr",
    operation_id="downloadGroupCodeQr",
    response_class=Response,
    responses={
        **responses(*AUTH, NotFound, CodeNotReady, InvalidInput, *WECOM),
        200: {"content": {"image/png": {}, "image/svg+xml": {}}},
    },
)
def download_qr(
    request: Request,
    session: DbSession,
    principal: Read,
    group_code_id: int,
    format: Literal["png", "svg"] = "png",
    size: Annotated[str, Query(max_length=12, description="screen|web|print|poster or px")] = "web",
) -> Response:
    """The code's QR image: it encodes the join way's ``qr_code`` URL."""
    codes.get(session, principal.tenant_id, group_code_id)
    session.commit()
    content = wecom_ops.qr_content(_database(request), principal.tenant_id, group_code_id)
    try:
        image = qr.render(content, format, size)
    except qr.BadQrRequest as exc:
        raise InvalidInput(reason=str(exc)) from None
    return _image(image, group_code_id, format)


@router.get(
    "/group-codes/{group_code_id}/poster",
    operation_id="downloadGroupCodePoster",
    response_class=Response,
    responses={
        **responses(*AUTH, NotFound, CodeNotReady, InvalidInput, *WECOM),
        200: {"content": {"image/svg+xml": {}}},
    },
)
def download_poster(
    request: Request,
    session: DbSession,
    principal: Read,
    group_code_id: int,
    title: Annotated[str | None, Query(max_length=40)] = None,
    subtitle: Annotated[str, Query(max_length=60)] = "",
    footer: Annotated[str, Query(max_length=60)] = "长按识别二维码，加入客户群",
) -> Response:
    """A printable SVG poster with the code's QR image."""
    code = codes.get(session, principal.tenant_id, group_code_id)
    name = code.name
    session.commit()
    content = wecom_ops.qr_content(_database(request), principal.tenant_id, group_code_id)
    poster = qr.poster(content, title=title or name, subtitle=subtitle, footer=footer)
    return _image(poster, group_code_id, "svg")


# --- group welcome templates ------------------------------------------------------------------


def _welcome_outs(session: DbSession, tenant_id: int) -> list[WelcomeOut]:
    used = welcomes.used_by(session, tenant_id)
    return [
        WelcomeOut(
            id=w.id,
            name=w.name,
            template_id=w.template_id,
            text=w.text,
            attachment=welcomes.attachment_of(w),
            notify=w.notify,
            used_by=used.get(w.id, 0),
            created_at=w.created_at,
            updated_at=w.updated_at,
        )
        for w in repository.welcomes(session, tenant_id)
    ]


@router.get(
    "/group-welcomes",
    operation_id="listGroupWelcomes",
    response_model=WelcomeList,
    responses=responses(*AUTH),
)
def list_welcomes(session: DbSession, principal: Read) -> WelcomeList:
    return WelcomeList(items=_welcome_outs(session, principal.tenant_id))


def _welcome_out(session: DbSession, principal: Principal, welcome_id: int) -> WelcomeOut:
    session.expire_all()
    found = [w for w in _welcome_outs(session, principal.tenant_id) if w.id == welcome_id]
    if not found:
        raise NotFound("group_welcome")
    return found[0]


@router.post(
    "/group-welcomes",
    operation_id="createGroupWelcome",
    response_model=WelcomeOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *WECOM),
)
def create_welcome(
    request: Request, session: DbSession, principal: Manage, data: WelcomeIn
) -> WelcomeOut:
    """Add the template to WeCom's library (at most 100 per corp)."""
    session.commit()
    welcome_id = wecom_ops.create_welcome(_database(request), principal, data)
    return _welcome_out(session, principal, welcome_id)


@router.put(
    "/group-welcomes/{welcome_id}",
    operation_id="editGroupWelcome",
    response_model=WelcomeOut,
    responses=responses(*AUTH, NotFound, *WECOM),
)
def edit_welcome(
    request: Request, session: DbSession, principal: Manage, welcome_id: int, data: WelcomeIn
) -> WelcomeOut:
    welcomes.get(session, principal.tenant_id, welcome_id)
    session.commit()
    wecom_ops.edit_welcome(_database(request), principal, welcome_id, data)
    return _welcome_out(session, principal, welcome_id)


@router.delete(
    "/group-welcomes/{welcome_id}",
    operation_id="deleteGroupWelcome",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound, WelcomeInUse, *WECOM),
)
def delete_welcome(
    request: Request, session: DbSession, principal: Manage, welcome_id: int
) -> Response:
    welcomes.get(session, principal.tenant_id, welcome_id)
    session.commit()
    wecom_ops.delete_welcome(_database(request), principal, welcome_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
