"""The material library over HTTP: list and search, upload files, make link and mini-program
cards, edit, archive and restore, and serve a material's bytes to the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, UploadFile, status
from fastapi.responses import FileResponse

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.errors import NotFound
from siyu.materials import repository, service, storage
from siyu.materials.errors import (
    BadAppid,
    BadCover,
    BadFileType,
    BadUrl,
    FileRequired,
    FileTooLarge,
    TitleRequired,
    TitleTooLong,
    WrongKind,
)
from siyu.materials.models import FILE, Material
from siyu.materials.schemas import (
    CategoryCount,
    FileKind,
    Kind,
    LinkIn,
    MaterialOut,
    MaterialPage,
    MaterialPatch,
    MiniprogramIn,
)

router = APIRouter(tags=["materials"])

Read = Annotated[Principal, Depends(require(Permission.MATERIALS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.MATERIALS_MANAGE))]
CARD_ERRORS = (BadUrl, BadAppid, BadCover, TitleRequired, TitleTooLong)


def _record(session: DbSession, principal: Principal, action: str, material: Material) -> None:
    audit.record(
        session,
        principal,
        f"materials.{action}",
        entity_type="material",
        entity_id=material.id,
        after={"kind": material.kind, "title": material.title, "archived": material.archived},
    )


@router.get("/materials", operation_id="listMaterials", responses=responses(*AUTH))
def list_materials(
    session: DbSession,
    principal: Read,
    paging: Paging,
    kind: Annotated[list[Kind] | None, Query(description="One kind or several")] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    keyword: Annotated[str, Query(max_length=100)] = "",
    archived: bool = False,
) -> MaterialPage:
    """The library, newest first, by kind, category and a keyword (title, description,
    keywords or file name)."""
    rows, total = repository.search(
        session,
        principal.tenant_id,
        kind=kind,
        category=category,
        keyword=keyword,
        archived=archived,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return MaterialPage(
        items=[service.out(m) for m in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/material-categories", operation_id="listMaterialCategories", responses=responses(*AUTH)
)
def list_categories(session: DbSession, principal: Read) -> list[CategoryCount]:
    return [
        CategoryCount(name=name, count=count)
        for name, count in repository.categories(session, principal.tenant_id)
    ]


@router.post(
    "/materials",
    operation_id="uploadMaterial",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, FileRequired, FileTooLarge, BadFileType),
)
def upload_material(
    session: DbSession,
    principal: Manage,
    kind: Annotated[FileKind, Form()],
    file: Annotated[UploadFile, File(description="PNG/JPG ≤10 MB, MP4 ≤10 MB, any file ≤20 MB")],
    title: Annotated[str, Form(max_length=100)] = "",
    description: Annotated[str, Form(max_length=500)] = "",
    category: Annotated[str, Form(max_length=30)] = "",
    keywords: Annotated[str, Form(max_length=300)] = "",
) -> MaterialOut:
    """An image, video or file, checked by its content against WeCom's types and limits."""
    material = service.create_file(
        session,
        principal.tenant_id,
        kind=kind,
        stream=file.file,
        filename=file.filename or "",
        title=title,
        description=description,
        category=category,
        keywords=keywords,
        created_by=principal.user_id,
    )
    _record(session, principal, "create", material)
    return service.out(material)


@router.post(
    "/materials/links",
    operation_id="createLinkMaterial",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *CARD_ERRORS),
)
def create_link(session: DbSession, principal: Manage, body: LinkIn) -> MaterialOut:
    material = service.create_link(session, principal.tenant_id, body, principal.user_id)
    _record(session, principal, "create", material)
    return service.out(material)


@router.post(
    "/materials/miniprograms",
    operation_id="createMiniprogramMaterial",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *CARD_ERRORS),
)
def create_miniprogram(session: DbSession, principal: Manage, body: MiniprogramIn) -> MaterialOut:
    material = service.create_miniprogram(session, principal.tenant_id, body, principal.user_id)
    _record(session, principal, "create", material)
    return service.out(material)


@router.get(
    "/materials/{material_id}", operation_id="getMaterial", responses=responses(*AUTH, NotFound)
)
def get_material(session: DbSession, principal: Read, material_id: int) -> MaterialOut:
    return service.out(service.get(session, principal.tenant_id, material_id))


@router.patch(
    "/materials/{material_id}",
    operation_id="updateMaterial",
    responses=responses(*AUTH, NotFound, WrongKind, *CARD_ERRORS),
)
def update_material(
    session: DbSession, principal: Manage, material_id: int, body: MaterialPatch
) -> MaterialOut:
    material = service.get(session, principal.tenant_id, material_id)
    service.update(session, material, body)
    _record(session, principal, "update", material)
    return service.out(material)


@router.post(
    "/materials/{material_id}/archive",
    operation_id="archiveMaterial",
    responses=responses(*AUTH, NotFound),
)
def archive_material(session: DbSession, principal: Manage, material_id: int) -> MaterialOut:
    """Hide a material from pickers; messages that carry it already keep it."""
    material = service.set_archived(service.get(session, principal.tenant_id, material_id), True)
    _record(session, principal, "archive", material)
    return service.out(material)


@router.post(
    "/materials/{material_id}/restore",
    operation_id="restoreMaterial",
    responses=responses(*AUTH, NotFound),
)
def restore_material(session: DbSession, principal: Manage, material_id: int) -> MaterialOut:
    material = service.set_archived(service.get(session, principal.tenant_id, material_id), False)
    _record(session, principal, "restore", material)
    return service.out(material)


@router.get(
    "/materials/{material_id}/file",
    operation_id="getMaterialFile",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound),
)
def material_file(session: DbSession, principal: Read, material_id: int) -> FileResponse:
    """The stored bytes with their content type: images and videos shown in place, files
    downloaded under their name."""
    material = service.get(session, principal.tenant_id, material_id)
    path = storage.path_of(material.file_path)
    if path is None:
        raise NotFound("material_file")
    return FileResponse(
        path,
        media_type=material.content_type or "application/octet-stream",
        filename=material.file_name,
        content_disposition_type="attachment" if material.kind == FILE else "inline",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=3600"},
    )
