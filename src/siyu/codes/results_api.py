"""Welcomes (every one and what became of it), the default welcome, and channel results:
new friends, losses, net and greeted by day, code and staff, with an Excel export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse

from siyu.api import files
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.codes import friends, repository, service
from siyu.codes.schemas import (
    DefaultWelcomeIn,
    ResultRow,
    Results,
    Welcome,
    WelcomeOut,
    WelcomePage,
    WelcomeStatus,
)
from siyu.customers.repository import staff_names
from siyu.db import utcnow
from siyu.errors import SiyuError
from siyu.i18n import Locale
from siyu.sheets import write_xlsx

router = APIRouter(tags=["channel codes"])

Read = Annotated[Principal, Depends(require(Permission.CODES_READ))]
Manage = Annotated[Principal, Depends(require(Permission.CODES_MANAGE))]
MAX_RANGE_DAYS = 366


class BadRange(SiyuError):
    code = "code_bad_range"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "日期范围有误：开始日期须不晚于结束日期，且最长 {days} 天",
        "en": "Bad date range: the start must not be after the end, and at most {days} days",
    }


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
    welcome = friends.default_welcome(session, principal.tenant_id)
    return DefaultWelcomeIn(welcome=Welcome.model_validate(welcome))


@router.put("/default-welcome", operation_id="setDefaultWelcome", responses=responses(*AUTH))
def put_default_welcome(
    session: DbSession, principal: Manage, body: DefaultWelcomeIn
) -> DefaultWelcomeIn:
    friends.set_default_welcome(session, principal.tenant_id, body.welcome)
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
    code_names = repository.names(session, tenant_id, [k for k in by_code if k is not None])
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
    path = files.temp_path(".xlsx")
    title = "渠道效果" if principal.locale == "zh-CN" else "Channel results"
    write_xlsx(path, HEADERS[principal.locale], rows, sheet_title=title)
    return files.download(path, f"channel-results-{start.isoformat()}-{end.isoformat()}.xlsx")
