"""Channel codes over HTTP: the codes, their rules, QR images and posters, landing-page visits.
Welcomes and channel results are in :mod:`results_api`, the public landing page in
:mod:`landing`."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from fastapi.responses import Response
from sqlalchemy import select

from siyu import qr
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.codes import repository, service
from siyu.codes.errors import (
    CodeDeleted,
    CodeNotLive,
    NotConnected,
    UnknownMembers,
    UnknownStore,
    UnknownTags,
)
from siyu.codes.models import DELETED, LIVE, ChannelCode
from siyu.codes.schemas import (
    CodeCounts,
    CodeIn,
    CodeOut,
    CodePage,
    CodePatch,
    Landing,
    MemberRule,
    Visits,
    VisitSource,
    Welcome,
)
from siyu.config import get_settings
from siyu.customers.repository import staff_names
from siyu.db import utcnow
from siyu.errors import NotFound, SiyuError
from siyu.i18n import Locale
from siyu.stores.models import Store
from siyu.wecom import service as wecom

router = APIRouter(tags=["channel codes"])

Read = Annotated[Principal, Depends(require(Permission.CODES_READ))]
Manage = Annotated[Principal, Depends(require(Permission.CODES_MANAGE))]


class BadQr(SiyuError):
    code = "code_bad_qr_request"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "二维码参数有误：{problem}",
        "en": "Bad QR request: {problem}",
    }


def landing_url(code: ChannelCode) -> str:
    return f"{get_settings().console_url}/l/{code.state}"


def _outs(session: DbSession, tenant_id: int, codes: list[ChannelCode]) -> list[CodeOut]:
    today = service.local_day(utcnow())
    counts = repository.code_counts(session, tenant_id, [c.id for c in codes], today)
    userids = {m["userid"] for c in codes for m in c.members} | {
        u for c in codes for u in c.fallback_userids
    }
    names = staff_names(session, tenant_id, userids)
    store_ids = {c.store_id for c in codes if c.store_id is not None}
    stores = (
        dict(session.execute(select(Store.id, Store.name).where(Store.id.in_(store_ids))).all())
        if store_ids
        else {}
    )
    return [
        CodeOut(
            id=c.id,
            name=c.name,
            folder=c.folder,
            state=c.state,
            status=c.status,
            sync_error=c.sync_error,
            config_id=c.config_id,
            qr_url=c.qr_url,
            landing_url=landing_url(c),
            routing=c.routing,
            members=[MemberRule.model_validate(m) for m in c.members],
            member_names=names,
            fallback_userids=list(c.fallback_userids),
            skip_verify=c.skip_verify,
            tag_ids=list(c.tag_ids),
            remark_template=c.remark_template,
            description_template=c.description_template,
            welcome=Welcome.model_validate(c.welcome or {}),
            landing=Landing.model_validate(c.landing or {}),
            store_id=c.store_id,
            store_name=stores.get(c.store_id) if c.store_id is not None else None,
            nearest_store=c.nearest_store,
            roster=list(c.roster),
            in_step=c.pushed_version >= c.version,
            counts=CodeCounts(**counts.get(c.id, {})),
            created_at=c.created_at,
            updated_at=c.updated_at,
        )
        for c in codes
    ]


def _code(session: DbSession, principal: Principal, code_id: int) -> ChannelCode:
    code = repository.get(session, principal.tenant_id, code_id)
    if code is None:
        raise NotFound("channel_code")
    return code


@router.get("/channel-codes", operation_id="listChannelCodes", responses=responses(*AUTH))
def list_codes(
    session: DbSession,
    principal: Read,
    paging: Paging,
    search: Annotated[str, Query(max_length=60)] = "",
    folder: Annotated[str, Query(max_length=30)] = "",
) -> CodePage:
    codes, total = repository.page(
        session,
        principal.tenant_id,
        search=search,
        folder=folder,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return CodePage(
        items=_outs(session, principal.tenant_id, codes),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/channel-code-folders", operation_id="listChannelCodeFolders", responses=responses(*AUTH)
)
def list_folders(session: DbSession, principal: Read) -> list[str]:
    return repository.folders(session, principal.tenant_id)


@router.post(
    "/channel-codes",
    operation_id="createChannelCode",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, UnknownMembers, UnknownTags, UnknownStore, NotConnected),
)
def create_code(session: DbSession, principal: Manage, body: CodeIn) -> CodeOut:
    """Make a code: WeCom makes its contact way in the background (``status`` turns ``live``
    with the QR, or ``failed`` with WeCom's reason)."""
    if wecom.get(session, principal.tenant_id) is None:
        raise NotConnected
    code = service.create_code(session, principal.tenant_id, body, created_by=principal.user_id)
    audit.record(
        session,
        principal,
        "channel_codes.create",
        entity_type="channel_code",
        entity_id=code.id,
        after={"name": code.name, "routing": code.routing, "members": len(code.members)},
    )
    return _outs(session, principal.tenant_id, [code])[0]


@router.get(
    "/channel-codes/{code_id}",
    operation_id="getChannelCode",
    responses=responses(*AUTH, NotFound),
)
def get_code(session: DbSession, principal: Read, code_id: int) -> CodeOut:
    return _outs(session, principal.tenant_id, [_code(session, principal, code_id)])[0]


@router.patch(
    "/channel-codes/{code_id}",
    operation_id="updateChannelCode",
    responses=responses(*AUTH, NotFound, UnknownMembers, UnknownTags, UnknownStore, CodeDeleted),
)
def update_code(session: DbSession, principal: Manage, code_id: int, body: CodePatch) -> CodeOut:
    """Change the rules, tags or messages; WeCom gets the new member list without a new QR."""
    code = service.update_code(session, _code(session, principal, code_id), body)
    audit.record(
        session,
        principal,
        "channel_codes.update",
        entity_type="channel_code",
        entity_id=code.id,
        after=body.model_dump(mode="json", exclude_unset=True),
    )
    return _outs(session, principal.tenant_id, [code])[0]


@router.delete(
    "/channel-codes/{code_id}",
    operation_id="deleteChannelCode",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def delete_code(session: DbSession, principal: Manage, code_id: int) -> Response:
    code = _code(session, principal, code_id)
    service.delete_code(session, code)
    audit.record(
        session,
        principal,
        "channel_codes.delete",
        entity_type="channel_code",
        entity_id=code.id,
        before={"name": code.name},
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/channel-codes/{code_id}/visits",
    operation_id="getChannelCodeVisits",
    responses=responses(*AUTH, NotFound),
)
def code_visits(
    session: DbSession,
    principal: Read,
    code_id: int,
    days: Annotated[int, Query(ge=1, le=366)] = 30,
) -> Visits:
    """Visits of the code's landing page over the last ``days``, by utm source, medium and
    campaign (which ad, post or card brought people to the page)."""
    code = _code(session, principal, code_id)
    since = utcnow() - dt.timedelta(days=days)
    rows = repository.visits(session, principal.tenant_id, code.id, since)
    return Visits(
        days=days,
        total=sum(r[3] for r in rows),
        sources=[
            VisitSource(utm_source=a, utm_medium=b, utm_campaign=c, visits=n) for a, b, c, n in rows
        ],
    )


# --- QR codes and posters -------------------------------------------------------------------


def _image(
    request: Request, code: ChannelCode, fmt: str, size: str, logo: bytes | None
) -> Response:
    if code.status == DELETED:
        raise CodeDeleted
    if code.status != LIVE or not code.qr_url:
        hint = code.sync_error or "稍候片刻再试 / try again in a moment"
        raise CodeNotLive(status=code.status, hint=hint)
    name = f"{code.name}-{size}.{fmt}"
    disposition = {"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(name)}"}
    if not code.qr_content:
        # WeCom's image could not be read: hand over WeCom's own image, as it is.
        client = wecom.client_for_tenant(request.app.state.database, code.tenant_id)
        if client is None or fmt != "png" or logo is not None:
            raise CodeNotLive(status="qr_unreadable", hint=code.qr_url)
        return Response(
            client.fetch_image(code.qr_url), media_type="image/png", headers=disposition
        )
    try:
        image = qr.render(code.qr_content, fmt, size, logo)  # type: ignore[arg-type]
    except qr.BadQrRequest as exc:
        raise BadQr(problem=str(exc)) from None
    return Response(image.content, media_type=image.media_type, headers=disposition)


def _quote(name: str) -> str:
    return quote(name)


QrFormat = Annotated[Literal["png", "svg"], Query()]
QrSize = Annotated[str, Query(max_length=8, description="screen, web, print, poster or pixels")]


@router.get(
    "/channel-codes/{code_id}/qr",
    operation_id="getChannelCodeQr",
    response_class=Response,
    responses=responses(*AUTH, NotFound, CodeNotLive, CodeDeleted, BadQr),
)
def code_qr(
    request: Request,
    session: DbSession,
    principal: Read,
    code_id: int,
    format: QrFormat = "png",
    size: QrSize = "web",
) -> Response:
    """The code's QR as PNG or SVG at a named size (screen 258 px, web 430, print 1280,
    poster 2480) or in pixels."""
    return _image(request, _code(session, principal, code_id), format, size, None)


@router.post(
    "/channel-codes/{code_id}/qr",
    operation_id="renderChannelCodeQrWithLogo",
    response_class=Response,
    responses=responses(*AUTH, NotFound, CodeNotLive, CodeDeleted, BadQr),
)
def code_qr_with_logo(
    request: Request,
    session: DbSession,
    principal: Read,
    code_id: int,
    logo: Annotated[UploadFile | None, File(description="PNG or JPEG, ≤512 KB")] = None,
    format: QrFormat = "png",
    size: QrSize = "print",
) -> Response:
    """The QR with a logo in the middle (error correction H keeps it readable)."""
    code = _code(session, principal, code_id)
    if logo is None:
        raise BadQr(problem="upload the logo as the file field “logo”")
    return _image(request, code, format, size, logo.file.read(qr.MAX_LOGO_BYTES + 1))


@router.get(
    "/channel-codes/{code_id}/poster.svg",
    operation_id="getChannelCodePoster",
    response_class=Response,
    responses=responses(*AUTH, NotFound, CodeNotLive, CodeDeleted, BadQr),
)
def code_poster(
    session: DbSession,
    principal: Read,
    code_id: int,
    title: Annotated[str, Query(max_length=30)] = "",
    subtitle: Annotated[str, Query(max_length=40)] = "",
    footer: Annotated[str, Query(max_length=40)] = "长按识别二维码，添加专属顾问",
) -> Response:
    """A printable A4 poster (SVG) with the code, a title and a line of help."""
    code = _code(session, principal, code_id)
    if code.status != LIVE or not code.qr_content:
        raise CodeNotLive(status=code.status, hint=code.sync_error or "")
    try:
        image = qr.poster(
            code.qr_content,
            title=title or code.landing.get("title") or code.name,
            subtitle=subtitle or code.landing.get("description", ""),
            footer=footer,
        )
    except qr.BadQrRequest as exc:
        raise BadQr(problem=str(exc)) from None
    return Response(image.content, media_type=image.media_type)
