"""Channel codes over HTTP: the codes, their QR images and posters, welcomes, channel results,
and the public landing page (``/l/{state}``) that ads and Moments link to."""

from __future__ import annotations

import datetime as dt
import tempfile
from html import escape
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select
from starlette.background import BackgroundTask

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
from siyu.codes.models import DELETED, LIVE, ChannelCode, LandingVisit
from siyu.codes.schemas import (
    CodeCounts,
    CodeIn,
    CodeOut,
    CodePage,
    CodePatch,
    DefaultWelcomeIn,
    Landing,
    MemberRule,
    ResultRow,
    Results,
    Visits,
    VisitSource,
    Welcome,
    WelcomeOut,
    WelcomePage,
    WelcomeStatus,
)
from siyu.config import get_settings
from siyu.customers.repository import staff_names
from siyu.db import Database, utcnow
from siyu.errors import NotFound, SiyuError
from siyu.i18n import Locale
from siyu.sheets import write_xlsx
from siyu.stores.models import Store
from siyu.wecom import service as wecom

router = APIRouter(tags=["channel codes"])
landing_router = APIRouter(tags=["landing pages"])

Read = Annotated[Principal, Depends(require(Permission.CODES_READ))]
Manage = Annotated[Principal, Depends(require(Permission.CODES_MANAGE))]
MAX_RANGE_DAYS = 366


class BadQr(SiyuError):
    code = "code_bad_qr_request"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "二维码参数有误：{problem}",
        "en": "Bad QR request: {problem}",
    }


class BadRange(SiyuError):
    code = "code_bad_range"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "日期范围有误：开始日期须不晚于结束日期，且最长 {days} 天",
        "en": "Bad date range: the start must not be after the end, and at most {days} days",
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


# --- welcomes -------------------------------------------------------------------------------


@router.get("/welcomes", operation_id="listWelcomes", responses=responses(*AUTH))
def list_welcomes(
    session: DbSession,
    principal: Read,
    paging: Paging,
    code_id: int | None = None,
    status: WelcomeStatus | None = None,
) -> WelcomePage:
    """Every welcome message and what became of it (sent, expired, skipped … and why)."""
    rows, total = repository.welcomes_page(
        session,
        principal.tenant_id,
        code_id=code_id,
        status=status,
        offset=paging.offset,
        limit=paging.page_size,
    )
    names = staff_names(session, principal.tenant_id, {w.userid for w, _, _ in rows})
    return WelcomePage(
        items=[
            WelcomeOut(
                id=w.id,
                code_id=w.code_id,
                code_name=code_name,
                customer_id=w.customer_id,
                customer_name=customer_name,
                userid=w.userid,
                staff_name=names.get(w.userid),
                status=w.status,
                reason=w.reason,
                errcode=w.errcode,
                added_at=w.added_at,
                sent_at=w.sent_at,
                text=(w.content.get("text") or {}).get("content", ""),
            )
            for w, customer_name, code_name in rows
        ],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get("/default-welcome", operation_id="getDefaultWelcome", responses=responses(*AUTH))
def get_default_welcome(session: DbSession, principal: Read) -> DefaultWelcomeIn:
    """The welcome for new friends who came by no channel code."""
    welcome = service.default_welcome(session, principal.tenant_id)
    return DefaultWelcomeIn(welcome=Welcome.model_validate(welcome))


@router.put("/default-welcome", operation_id="setDefaultWelcome", responses=responses(*AUTH))
def put_default_welcome(
    session: DbSession, principal: Manage, body: DefaultWelcomeIn
) -> DefaultWelcomeIn:
    service.set_default_welcome(session, principal.tenant_id, body.welcome)
    audit.record(
        session,
        principal,
        "channel_codes.default_welcome",
        entity_type="default_welcome",
        entity_id=principal.tenant_id,
        after=body.welcome.model_dump(mode="json"),
    )
    return body


# --- channel results --------------------------------------------------------------------------


def _range(date_from: dt.date | None, date_to: dt.date | None) -> tuple[dt.date, dt.date]:
    end = date_to or service.local_day(utcnow())
    start = date_from or end - dt.timedelta(days=6)
    if start > end or (end - start).days >= MAX_RANGE_DAYS:
        raise BadRange(days=MAX_RANGE_DAYS)
    return start, end


def _row(key: str, label: str, counts: repository.Counts) -> ResultRow:
    return ResultRow(
        key=key,
        label=label,
        added=counts.added,
        lost_1d=counts.lost_1d,
        lost_7d=counts.lost_7d,
        lost_30d=counts.lost_30d,
        lost=counts.lost,
        net=counts.net,
        greeted=counts.greeted,
    )


def results_of(
    session: DbSession,
    principal: Principal,
    start: dt.date,
    end: dt.date,
    code_id: int | None,
    userid: str | None,
) -> Results:
    tenant_id = principal.tenant_id
    code_ids = [code_id] if code_id is not None else None
    userids = [userid] if userid else None

    def grouped(group: str) -> dict[Any, repository.Counts]:
        return repository.results(
            session, tenant_id, start, end, group=group, code_ids=code_ids, userids=userids
        )

    by_day = grouped("day")
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    by_code = grouped("code")
    code_names = {
        c.id: c.name
        for c in repository.page(session, tenant_id, offset=0, limit=10_000, include_deleted=True)[
            0
        ]
    }
    no_code = "无渠道 / no code" if principal.locale == "zh-CN" else "No code"
    by_staff = grouped("staff")
    names = staff_names(session, tenant_id, set(by_staff))
    total = grouped("all").get(tenant_id, repository.Counts())
    return Results(
        date_from=start,
        date_to=end,
        totals=_row("total", "合计" if principal.locale == "zh-CN" else "Total", total),
        by_day=[
            _row(d.isoformat(), d.isoformat(), by_day.get(d, repository.Counts())) for d in days
        ],
        by_code=sorted(
            (
                _row(str(k or ""), code_names.get(k, no_code) if k else no_code, v)
                for k, v in by_code.items()
            ),
            key=lambda r: -r.added,
        ),
        by_staff=sorted(
            (_row(k, names.get(k, k), v) for k, v in by_staff.items()), key=lambda r: -r.added
        ),
    )


DateFrom = Annotated[dt.date | None, Query(description="First local day (China time)")]
DateTo = Annotated[dt.date | None, Query(description="Last local day, inclusive")]


@router.get(
    "/channel-results",
    operation_id="getChannelResults",
    responses=responses(*AUTH, BadRange),
)
def channel_results(
    session: DbSession,
    principal: Read,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    code_id: int | None = None,
    userid: Annotated[str | None, Query(max_length=64)] = None,
) -> Results:
    """New friends, lost within 1/7/30 days, net and greeted — per day, per code and per staff
    account (default: the last 7 days)."""
    start, end = _range(date_from, date_to)
    return results_of(session, principal, start, end, code_id, userid)


HEADERS: dict[Locale, list[str]] = {
    "zh-CN": [
        "分组",
        "名称",
        "新增好友",
        "1天内流失",
        "7天内流失",
        "30天内流失",
        "已流失",
        "净增",
        "已发欢迎语",
    ],
    "en": [
        "Group",
        "Name",
        "New friends",
        "Lost in 1 day",
        "Lost in 7 days",
        "Lost in 30 days",
        "Lost",
        "Net",
        "Greeted",
    ],
}
GROUP_LABELS: dict[Locale, dict[str, str]] = {
    "zh-CN": {"total": "合计", "day": "按日", "code": "按渠道", "staff": "按员工"},
    "en": {"total": "Total", "day": "By day", "code": "By code", "staff": "By staff"},
}


@router.get(
    "/channel-results.xlsx",
    operation_id="exportChannelResults",
    response_class=FileResponse,
    responses=responses(*AUTH, BadRange),
)
def export_channel_results(
    session: DbSession,
    principal: Read,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    code_id: int | None = None,
    userid: Annotated[str | None, Query(max_length=64)] = None,
) -> FileResponse:
    start, end = _range(date_from, date_to)
    results = results_of(session, principal, start, end, code_id, userid)
    labels = GROUP_LABELS[principal.locale]

    def line(group: str, row: ResultRow) -> list[object]:
        return [
            labels[group],
            row.label,
            row.added,
            row.lost_1d,
            row.lost_7d,
            row.lost_30d,
            row.lost,
            row.net,
            row.greeted,
        ]

    rows = [line("total", results.totals)]
    rows += [line("day", r) for r in results.by_day]
    rows += [line("code", r) for r in results.by_code]
    rows += [line("staff", r) for r in results.by_staff]
    handle = tempfile.NamedTemporaryFile(prefix="siyu-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    path = Path(handle.name)
    title = "渠道效果" if principal.locale == "zh-CN" else "Channel results"
    write_xlsx(path, HEADERS[principal.locale], rows, sheet_title=title)
    return FileResponse(
        path,
        filename=f"channel-results-{start.isoformat()}-{end.isoformat()}.xlsx",
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


# --- the public landing page ----------------------------------------------------------------

LANDING_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>
body{{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f5f7f6;color:#222;text-align:center}}
header{{background:#07c160;color:#fff;padding:28px 16px}}
h1{{margin:0;font-size:24px}} p{{margin:12px 24px;line-height:1.6}}
.qr{{background:#fff;display:inline-block;margin:24px auto 8px;padding:12px;border-radius:12px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}} .qr svg{{width:240px;height:240px;display:block}}
.hint{{color:#666;font-size:14px}}
</style></head><body>
<header><h1>{title}</h1></header>
<p>{description}</p>
<div class="qr" role="img" aria-label="QR">{qr}</div>
<p class="hint">长按识别二维码添加 · Press and hold to scan</p>
{extra}
</body></html>"""

# For a nearest-store code: ask the browser where the visitor is, then come back with it (or
# with located=0 when they say no); without an answer the code's own QR stays.
LOCATE_SCRIPT = """
<p class="hint" id="locating">正在为您查找最近的门店… · Finding your nearest store…</p>
<script>
(function () {
  var url = new URL(window.location.href);
  function go(params) {
    Object.keys(params).forEach(function (k) { url.searchParams.set(k, params[k]); });
    window.location.replace(url.toString());
  }
  if (!navigator.geolocation) { go({located: "0"}); return; }
  navigator.geolocation.getCurrentPosition(
    function (p) { go({lat: p.coords.latitude.toFixed(5), lng: p.coords.longitude.toFixed(5)}); },
    function () { go({located: "0"}); },
    {timeout: 8000, maximumAge: 600000}
  );
})();
</script>"""
STORE_LINE = (
    '<p class="hint" data-store="{store_id}">离您最近的门店 · Nearest store: '
    "{name}（约 {km} 公里 / km）{address}</p>"
)

UTM = Annotated[str, Query(max_length=60)]
Latitude = Annotated[float | None, Query(ge=-90, le=90)]
Longitude = Annotated[float | None, Query(ge=-180, le=180)]


def _not_found() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><meta charset='utf-8'><title>404</title>"
        "<p>二维码不存在或已失效 / This code does not exist or has expired.</p>",
        status_code=404,
    )


@landing_router.get("/l/{state}", response_class=HTMLResponse, include_in_schema=False)
def landing_page(
    request: Request,
    state: str,
    utm_source: UTM = "",
    utm_medium: UTM = "",
    utm_campaign: UTM = "",
    lat: Latitude = None,
    lng: Longitude = None,
    located: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> HTMLResponse:
    """A code's public page (for ads and Moments links): its QR, and the visit recorded with
    where it came from. A nearest-store code shows the code of the store nearest to the
    visitor (the browser is asked for the location); the visit is counted on that code."""
    database: Database = request.app.state.database
    with database.transaction() as session:
        code = repository.by_state(session, state[:30])
        if code is None or not code.qr_content:
            return _not_found()
        shown, extra = code, ""
        if code.nearest_store and lat is not None and lng is not None:
            nearest = service.nearest_store_code(session, code, lat, lng)
            if nearest is not None:
                shown, store, km = nearest
                extra = STORE_LINE.format(
                    store_id=store.id,
                    name=escape(store.name),
                    km=f"{km:.1f}",
                    address=escape(store.address),
                )
        if code.nearest_store and lat is None and located is None:
            extra = LOCATE_SCRIPT  # counted when the browser comes back with the location
        else:
            session.add(
                LandingVisit(
                    tenant_id=shown.tenant_id,
                    code_id=shown.id,
                    at=utcnow(),
                    utm_source=utm_source,
                    utm_medium=utm_medium,
                    utm_campaign=utm_campaign,
                    referrer=request.headers.get("referer", "")[:300],
                )
            )
        svg = qr.render(shown.qr_content or code.qr_content, "svg", "web").content.decode()
        title = code.landing.get("title") or code.name
        description = code.landing.get("description", "")
    return HTMLResponse(
        LANDING_PAGE.format(
            title=escape(title), description=escape(description), qr=svg, extra=extra
        ),
        headers={"Cache-Control": "no-store"},
    )
