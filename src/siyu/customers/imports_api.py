"""Customer import and export routes: upload a sheet, confirm its column mapping against a
preview, start it, watch its progress, download the rejected rows; export a filtered list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, UploadFile, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.api.files import download, save_upload, temp_path
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers import imports, phones, repository
from siyu.customers.api import Filters, scoped
from siyu.customers.errors import ImportStarted
from siyu.customers.models import Customer, CustomerImport
from siyu.errors import NotFound
from siyu.sheets import (
    ColumnNotInSheet,
    FieldMappedTwice,
    SheetCorrupt,
    SheetEmpty,
    SheetEncodingUnknown,
    SheetFormatUnsupported,
    SheetTooLarge,
    SheetTooManyColumns,
    UnknownField,
    write_xlsx,
)

router = APIRouter(tags=["customers"])

Import = Annotated[Principal, Depends(require(Permission.CUSTOMERS_EDIT))]
Export = Annotated[Principal, Depends(require(Permission.CUSTOMERS_EXPORT))]
SHEET_ERRORS = (
    SheetFormatUnsupported,
    SheetCorrupt,
    SheetEncodingUnknown,
    SheetTooLarge,
    SheetEmpty,
    SheetTooManyColumns,
)
MAPPING_ERRORS = (ColumnNotInSheet, UnknownField, FieldMappedTwice)


class FieldOut(BaseModel):
    name: str
    aliases: list[str]


class ImportOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    format: str
    size: int
    headers: list[str]
    mapping: dict[str, str]
    tag_ids: list[int]
    state: Literal["uploaded", "running", "done", "failed"]
    rows_hint: int | None
    rows_read: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    error: str
    created_at: dt.datetime
    finished_at: dt.datetime | None


class ImportPreview(ImportOut):
    fields: list[FieldOut]
    preview: list[dict[str, Any]]


class ImportPage(BaseModel):
    items: list[ImportOut]
    total: int
    page: int
    page_size: int


class MappingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, str] = Field(max_length=200)
    tag_ids: list[int] = Field(default_factory=list, max_length=50)


def _import(session: DbSession, principal: Principal, import_id: int) -> CustomerImport:
    imp = session.get(CustomerImport, import_id)
    if imp is None or imp.tenant_id != principal.tenant_id:
        raise NotFound("customer_import")
    return imp


def _preview(session: DbSession, principal: Principal, imp: CustomerImport) -> ImportPreview:
    # The preview reads the file: only while the mapping is being chosen, not on progress polls.
    shown = (
        imports.preview(session, imp, principal.locale)
        if imp.mapping and imp.state == "uploaded"
        else []
    )
    return ImportPreview(
        **ImportOut.model_validate(imp).model_dump(),
        fields=[FieldOut(name=k, aliases=v) for k, v in imports.FIELDS.items()],
        preview=shown,
    )


@router.post(
    "/customer-imports",
    operation_id="uploadCustomerImport",
    response_model=ImportPreview,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *SHEET_ERRORS),
)
def upload(
    session: DbSession, principal: Import, file: Annotated[UploadFile, File()]
) -> ImportPreview:
    """Upload an .xlsx or .csv (UTF-8 or GBK); answers its columns, a suggested mapping and a
    preview of the first rows. Nothing is imported until the import is started."""
    filename, stored = save_upload(file, principal.tenant_id)
    try:
        imp = imports.create(
            session,
            principal.tenant_id,
            filename=filename,
            stored=stored,
            member_id=principal.user_id,
            locale=principal.locale,
        )
    except Exception:
        stored.unlink(missing_ok=True)
        raise
    audit.record(
        session,
        principal,
        "customers.import_upload",
        entity_type="customer_import",
        entity_id=imp.id,
        after={"filename": filename},
    )
    return _preview(session, principal, imp)


@router.get(
    "/customer-imports",
    operation_id="listCustomerImports",
    response_model=ImportPage,
    responses=responses(*AUTH),
)
def list_imports(session: DbSession, principal: Import, paging: Paging) -> ImportPage:
    query = select(CustomerImport).where(CustomerImport.tenant_id == principal.tenant_id)
    rows = session.scalars(
        query.order_by(CustomerImport.id.desc()).offset(paging.offset).limit(paging.page_size)
    ).all()
    total = len(session.scalars(query.with_only_columns(CustomerImport.id)).all())
    return ImportPage(
        items=[ImportOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/customer-imports/{import_id}",
    operation_id="getCustomerImport",
    response_model=ImportPreview,
    responses=responses(*AUTH, NotFound),
)
def get_import(session: DbSession, principal: Import, import_id: int) -> ImportPreview:
    return _preview(session, principal, _import(session, principal, import_id))


@router.put(
    "/customer-imports/{import_id}/mapping",
    operation_id="mapCustomerImport",
    response_model=ImportPreview,
    responses=responses(*AUTH, NotFound, ImportStarted, *MAPPING_ERRORS),
)
def set_mapping(
    session: DbSession, principal: Import, import_id: int, body: MappingIn
) -> ImportPreview:
    """Confirm which column feeds which field (``custom:<name>`` for a tenant's own field) and
    tags to put on every imported customer; answers the preview under that mapping."""
    imp = _import(session, principal, import_id)
    imports.set_mapping(session, imp, body.mapping, body.tag_ids)
    return _preview(session, principal, imp)


@router.post(
    "/customer-imports/{import_id}/start",
    operation_id="startCustomerImport",
    response_model=ImportPreview,
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound, ImportStarted),
)
def start_import(session: DbSession, principal: Import, import_id: int) -> ImportPreview:
    imp = _import(session, principal, import_id)
    imports.start(session, imp)
    audit.record(
        session,
        principal,
        "customers.import_start",
        entity_type="customer_import",
        entity_id=imp.id,
        after={"mapping": imp.mapping},
    )
    return _preview(session, principal, imp)


@router.get(
    "/customer-imports/{import_id}/rejects.xlsx",
    operation_id="downloadImportRejects",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound),
)
def download_rejects(session: DbSession, principal: Import, import_id: int) -> FileResponse:
    """The rejected rows (row number, column, value, reason) as .xlsx."""
    imp = _import(session, principal, import_id)
    path = temp_path(".xlsx")
    imports.write_report(session, imp.id, path, principal.locale)
    return download(path, f"rejected-rows-{imp.id}.xlsx")


EXPORT_HEADERS = {
    "zh-CN": [
        "客户ID",
        "外部联系人ID",
        "姓名",
        "性别",
        "手机号",
        "归属员工",
        "来源渠道",
        "城市",
        "会员等级",
        "生日",
        "标签",
        "添加时间",
        "状态",
    ],
    "en": [
        "ID",
        "External id",
        "Name",
        "Gender",
        "Phone",
        "Owner",
        "Channel",
        "City",
        "Level",
        "Birthday",
        "Tags",
        "Added",
        "Status",
    ],
}
GENDER_TEXT = {"zh-CN": ["未知", "男", "女"], "en": ["unknown", "male", "female"]}
EXPORT_BATCH = 1000


@router.get(
    "/customers-export.xlsx",
    operation_id="exportCustomers",
    response_class=FileResponse,
    responses=responses(*AUTH),
)
def export_customers(session: DbSession, principal: Export, filters: Filters) -> FileResponse:
    """The filtered customer list as .xlsx, written row batch by row batch (flat memory);
    phones are masked unless the role may see them."""
    f = scoped(session, principal, filters)
    full = principal.can(Permission.CUSTOMERS_PHONES)
    locale = principal.locale
    path = temp_path(".xlsx")

    def rows() -> Any:
        query = repository.filtered(principal.tenant_id, f).order_by(Customer.id)
        batch: list[Customer] = []
        for customer in session.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
            batch.append(customer)
            if len(batch) >= EXPORT_BATCH:
                yield from _export_rows(session, principal.tenant_id, batch, full, locale)
                batch = []
        yield from _export_rows(session, principal.tenant_id, batch, full, locale)

    count = write_xlsx(
        path,
        EXPORT_HEADERS[locale],
        rows(),
        sheet_title="客户" if locale == "zh-CN" else "Customers",
    )
    audit.record(
        session,
        principal,
        "customers.export",
        entity_type="customer",
        entity_id="list",
        after={"rows": count, "phones": "full" if full else "masked"},
    )
    return download(path, f"customers-{dt.date.today().isoformat()}.xlsx")


def _export_rows(
    session: DbSession,
    tenant_id: int,
    batch: list[Customer],
    full: bool,
    locale: Literal["zh-CN", "en"],
) -> Any:
    ids = [c.id for c in batch]
    tag_map = repository.tags_of(session, ids)
    phone_map = repository.phones_of(session, ids)
    names = repository.staff_names(
        session, tenant_id, {c.owner_userid for c in batch if c.owner_userid}
    )
    for c in batch:
        phone_rows = phone_map[c.id]
        phone = ""
        if phone_rows:
            phone = phones.unseal(phone_rows[0].sealed) if full else phone_rows[0].masked
        yield (
            c.id,
            c.external_userid or "",
            c.name,
            GENDER_TEXT[locale][c.gender if c.gender in (0, 1, 2) else 0],
            phone,
            names.get(c.owner_userid or "", c.owner_userid or ""),
            c.source_channel,
            c.city,
            c.member_level,
            c.birthday,
            "、".join(n for _, n, _ in tag_map[c.id]),
            c.first_added_at,
            c.status,
        )
