"""Segments over HTTP: counting a rule while it is edited, previews, saved segments and their
members (as pages and as .xlsx), and the audience index's state."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import FileResponse
from sqlalchemy import func, select

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.api.files import download, temp_path
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers.api import _rows as customer_rows
from siyu.customers.imports_api import EXPORT_BATCH, EXPORT_HEADERS, _export_rows
from siyu.customers.models import ERASED, Customer
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.segments import live, service
from siyu.segments import sql as segment_sql
from siyu.segments.errors import BadRule, DuplicateName, UnknownReferences
from siyu.segments.models import Segment
from siyu.segments.schemas import (
    Count,
    IndexStatus,
    MemberPage,
    Option,
    Options,
    Preview,
    RuleIn,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
)
from siyu.sheets.writer import write_xlsx

router = APIRouter(tags=["segments"])

Read = Annotated[Principal, Depends(require(Permission.SEGMENTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.SEGMENTS_MANAGE))]
Export = Annotated[Principal, Depends(require(Permission.CUSTOMERS_EXPORT))]
RULE_ERRORS = (BadRule, UnknownReferences)
PREVIEW = 20


def _count(session: DbSession, tenant_id: int, data: dict[str, Any], engine: str) -> Count:
    rule = service.check(session, tenant_id, data)
    started = time.perf_counter()
    if engine == "sql":
        ctx = service.context(session, tenant_id, rule)
        count = segment_sql.count(session, tenant_id, rule, ctx)
        universe = session.scalar(
            select(func.count()).where(Customer.tenant_id == tenant_id, Customer.status != ERASED)
        )
    else:
        count = len(service.members(session, tenant_id, rule))
        universe = service.universe(session, tenant_id)
    took = (time.perf_counter() - started) * 1000
    return Count(count=count, universe=int(universe or 0), took_ms=round(took, 2), engine=engine)


@router.post(
    "/segments/count",
    operation_id="countSegmentRule",
    responses=responses(*AUTH, *RULE_ERRORS),
)
def count_rule(
    session: DbSession,
    principal: Read,
    body: RuleIn,
    engine: Annotated[Literal["index", "sql"], Query()] = "index",
) -> Count:
    """How many customers a rule selects now (the console asks while the rule is edited)."""
    return _count(session, principal.tenant_id, body.rule, engine)


@router.post(
    "/segments/preview",
    operation_id="previewSegmentRule",
    responses=responses(*AUTH, *RULE_ERRORS),
)
def preview_rule(session: DbSession, principal: Read, body: RuleIn) -> Preview:
    rule = service.check(session, principal.tenant_id, body.rule)
    started = time.perf_counter()
    ids = service.members(session, principal.tenant_id, rule)
    took = (time.perf_counter() - started) * 1000
    return Preview(
        count=len(ids),
        universe=service.universe(session, principal.tenant_id),
        took_ms=round(took, 2),
        engine="index",
        members=_customers(session, principal, service.page_of(ids, 0, PREVIEW)),
    )


def _customers(session: DbSession, principal: Principal, ids: list[int]) -> list[Any]:
    if not ids:
        return []
    found = {
        c.id: c
        for c in session.scalars(
            select(Customer).where(Customer.tenant_id == principal.tenant_id, Customer.id.in_(ids))
        )
    }
    return customer_rows(session, principal, [found[i] for i in ids if i in found])


def _segment(session: DbSession, principal: Principal, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None or segment.tenant_id != principal.tenant_id:
        raise NotFound("segment")
    return segment


def _out(segment: Segment, count: int | None = None) -> SegmentOut:
    return SegmentOut(
        id=segment.id,
        name=segment.name,
        description=segment.description,
        rule=segment.rule,
        count=segment.last_count if count is None else count,
        counted_at=segment.counted_at,
        created_at=segment.created_at,
        updated_at=segment.updated_at,
    )


def _fresh(session: DbSession, segment: Segment) -> SegmentOut:
    rule = service.check(session, segment.tenant_id, segment.rule)
    count = len(service.members(session, segment.tenant_id, rule))
    service.remember_count(segment, count)
    return _out(segment, count)


@router.get("/segments", operation_id="listSegments", responses=responses(*AUTH))
def list_segments(
    session: DbSession,
    principal: Read,
    counts: Annotated[bool, Query(description="Count every segment now")] = True,
) -> list[SegmentOut]:
    segments = list(
        session.scalars(
            select(Segment)
            .where(Segment.tenant_id == principal.tenant_id)
            .order_by(Segment.id.desc())
        )
    )
    out = []
    for segment in segments:
        try:
            out.append(_fresh(session, segment) if counts else _out(segment))
        except (BadRule, UnknownReferences):
            # A tag or store the rule named was deleted since: shown without a count.
            out.append(_out(segment, None))
    return out


@router.post(
    "/segments",
    operation_id="createSegment",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *RULE_ERRORS, DuplicateName),
)
def create_segment(session: DbSession, principal: Manage, body: SegmentIn) -> SegmentOut:
    service.check(session, principal.tenant_id, body.rule)
    name = body.name.strip()
    service.unique_name(session, principal.tenant_id, name)
    now = utcnow()
    segment = Segment(
        tenant_id=principal.tenant_id,
        name=name,
        description=body.description.strip(),
        rule=body.rule,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(segment)
    session.flush()
    audit.record(
        session,
        principal,
        "segments.create",
        entity_type="segment",
        entity_id=segment.id,
        after={"name": segment.name, "rule": segment.rule},
    )
    return _fresh(session, segment)


@router.get(
    "/segments/{segment_id}",
    operation_id="getSegment",
    responses=responses(*AUTH, NotFound, *RULE_ERRORS),
)
def get_segment(session: DbSession, principal: Read, segment_id: int) -> SegmentOut:
    return _fresh(session, _segment(session, principal, segment_id))


@router.patch(
    "/segments/{segment_id}",
    operation_id="updateSegment",
    responses=responses(*AUTH, NotFound, *RULE_ERRORS, DuplicateName),
)
def update_segment(
    session: DbSession, principal: Manage, segment_id: int, body: SegmentPatch
) -> SegmentOut:
    segment = _segment(session, principal, segment_id)
    before = {"name": segment.name, "rule": segment.rule}
    if body.rule is not None:
        service.check(session, principal.tenant_id, body.rule)
        segment.rule = body.rule
    if body.name is not None:
        service.unique_name(session, principal.tenant_id, body.name.strip(), segment.id)
        segment.name = body.name.strip()
    if body.description is not None:
        segment.description = body.description.strip()
    segment.updated_at = utcnow()
    audit.record(
        session,
        principal,
        "segments.update",
        entity_type="segment",
        entity_id=segment.id,
        before=before,
        after={"name": segment.name, "rule": segment.rule},
    )
    return _fresh(session, segment)


@router.delete(
    "/segments/{segment_id}",
    operation_id="deleteSegment",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def delete_segment(session: DbSession, principal: Manage, segment_id: int) -> None:
    segment = _segment(session, principal, segment_id)
    audit.record(
        session,
        principal,
        "segments.delete",
        entity_type="segment",
        entity_id=segment.id,
        before={"name": segment.name, "rule": segment.rule},
    )
    session.delete(segment)


@router.get(
    "/segments/{segment_id}/members",
    operation_id="listSegmentMembers",
    responses=responses(*AUTH, NotFound, *RULE_ERRORS),
)
def segment_members(
    session: DbSession, principal: Read, segment_id: int, paging: Paging
) -> MemberPage:
    segment = _segment(session, principal, segment_id)
    rule = service.check(session, principal.tenant_id, segment.rule)
    ids = service.members(session, principal.tenant_id, rule)
    page = service.page_of(ids, paging.offset, paging.page_size)
    return MemberPage(
        items=_customers(session, principal, page),
        total=len(ids),
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/segments/{segment_id}/members.xlsx",
    operation_id="exportSegmentMembers",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound, *RULE_ERRORS),
)
def export_members(session: DbSession, principal: Export, segment_id: int) -> FileResponse:
    """The segment's members now, as .xlsx (phones masked unless the role may see them)."""
    segment = _segment(session, principal, segment_id)
    rule = service.check(session, principal.tenant_id, segment.rule)
    ids = service.members(session, principal.tenant_id, rule)
    full = principal.can(Permission.CUSTOMERS_PHONES)
    locale = principal.locale
    path = temp_path(".xlsx")

    def rows() -> Any:
        for offset in range(0, len(ids), EXPORT_BATCH):
            chunk = service.page_of(ids, offset, EXPORT_BATCH)
            batch = list(
                session.scalars(
                    select(Customer).where(Customer.id.in_(chunk)).order_by(Customer.id)
                )
            )
            yield from _export_rows(session, principal.tenant_id, batch, full, locale)

    count = write_xlsx(path, EXPORT_HEADERS[locale], rows(), sheet_title=segment.name[:30])
    audit.record(
        session,
        principal,
        "segments.export",
        entity_type="segment",
        entity_id=segment.id,
        after={"rows": count, "phones": "full" if full else "masked"},
    )
    return download(path, f"segment-{segment.id}-{dt.date.today().isoformat()}.xlsx")


@router.get("/segment-options", operation_id="segmentOptions", responses=responses(*AUTH))
def options(session: DbSession, principal: Read) -> Options:
    held = live.index_for(session, principal.tenant_id)
    with held.lock:
        text = held.index.text

        def values(name: str) -> list[Option]:
            found = [Option(value=k, count=len(v)) for k, v in text[name].items() if k and v]
            return sorted(found, key=lambda o: -o.count)[:500]

        return Options(city=values("city"), level=values("level"), channel=values("channel"))


@router.get("/segment-index", operation_id="segmentIndexStatus", responses=responses(*AUTH))
def index_status(session: DbSession, principal: Read) -> IndexStatus:
    held = live.held(principal.tenant_id)
    if held is None:
        return IndexStatus(held=False)
    with held.lock:
        bitmaps = sum(1 for _ in held.index.bitmaps())
        return IndexStatus(
            held=True,
            customers=len(held.index.universe),
            bitmaps=bitmaps,
            memory_bytes=held.index.memory_bytes(),
            built_at=held.built_at,
            build_seconds=round(held.build_seconds, 3),
            changes_applied=held.applied,
        )


@router.post(
    "/segment-index/rebuild", operation_id="rebuildSegmentIndex", responses=responses(*AUTH)
)
def rebuild_index(session: DbSession, principal: Manage) -> IndexStatus:
    live.rebuild(session, principal.tenant_id)
    audit.record(
        session, principal, "segments.rebuild_index", entity_type="segment", entity_id="index"
    )
    return index_status(session, principal)
