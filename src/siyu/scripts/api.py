"""The script library over HTTP: categories, scripts with search, and the variables."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.errors import NotFound
from siyu.materials.errors import AttachmentsNotAllowed, MaterialsUnknown
from siyu.scripts import repository, service, variables
from siyu.scripts.errors import (
    CategoryNotEmpty,
    CategoryTooDeep,
    DuplicateCategory,
    UnknownCategory,
    UnknownVariables,
)
from siyu.scripts.schemas import (
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    ScriptIn,
    ScriptOut,
    ScriptPage,
    ScriptPatch,
    VariableOut,
)

router = APIRouter(tags=["scripts"])

Read = Annotated[Principal, Depends(require(Permission.SCRIPTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.SCRIPTS_MANAGE))]
SCRIPT_ERRORS = (UnknownVariables, UnknownCategory, MaterialsUnknown, AttachmentsNotAllowed)


@router.get("/script-variables", operation_id="listScriptVariables", responses=responses(*AUTH))
def list_variables(principal: Read) -> list[VariableOut]:
    """The variables a script may use, e.g. ``{customer_name}``, with their labels."""
    return [
        VariableOut(
            key=key,
            label=v["zh"] if principal.locale == "zh-CN" else v["en"],
            zh=v["zh"],
            en=v["en"],
            scope=v["scope"],
        )
        for key, v in variables.VARIABLES.items()
    ]


@router.get("/script-categories", operation_id="listScriptCategories", responses=responses(*AUTH))
def list_categories(session: DbSession, principal: Read) -> list[CategoryOut]:
    """The category tree (two levels) with the number of scripts in each."""
    return service.tree(session, principal.tenant_id)


@router.post(
    "/script-categories",
    operation_id="createScriptCategory",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, UnknownCategory, CategoryTooDeep, DuplicateCategory),
)
def create_category(session: DbSession, principal: Manage, body: CategoryIn) -> CategoryOut:
    created = service.create_category(session, principal.tenant_id, body)
    audit.record(
        session,
        principal,
        "scripts.create_category",
        entity_type="script_category",
        entity_id=created.id,
        after={"name": created.name, "parent_id": created.parent_id},
    )
    return CategoryOut(
        id=created.id,
        name=created.name,
        parent_id=created.parent_id,
        position=created.position,
        scripts=0,
    )


@router.patch(
    "/script-categories/{category_id}",
    operation_id="updateScriptCategory",
    responses=responses(*AUTH, NotFound, DuplicateCategory),
)
def update_category(
    session: DbSession, principal: Manage, category_id: int, body: CategoryPatch
) -> CategoryOut:
    found = service.category(session, principal.tenant_id, category_id)
    service.update_category(session, found, body)
    audit.record(
        session,
        principal,
        "scripts.update_category",
        entity_type="script_category",
        entity_id=found.id,
        after={"name": found.name, "position": found.position},
    )
    counts = repository.script_counts(session, principal.tenant_id)
    return CategoryOut(
        id=found.id,
        name=found.name,
        parent_id=found.parent_id,
        position=found.position,
        scripts=counts.get(found.id, 0),
    )


@router.delete(
    "/script-categories/{category_id}",
    operation_id="deleteScriptCategory",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound, CategoryNotEmpty),
)
def delete_category(session: DbSession, principal: Manage, category_id: int) -> None:
    found = service.category(session, principal.tenant_id, category_id)
    audit.record(
        session,
        principal,
        "scripts.delete_category",
        entity_type="script_category",
        entity_id=found.id,
        before={"name": found.name},
    )
    service.delete_category(session, found)


@router.get("/scripts", operation_id="listScripts", responses=responses(*AUTH, NotFound))
def list_scripts(
    session: DbSession,
    principal: Read,
    paging: Paging,
    category_id: int | None = None,
    keyword: Annotated[str, Query(max_length=100)] = "",
) -> ScriptPage:
    """Scripts of a category (and its subcategories) whose title, keywords or text hold every
    word of ``keyword``; most used first."""
    scope = service.category_scope(session, principal.tenant_id, category_id)
    rows, total = repository.search_scripts(
        session,
        principal.tenant_id,
        category_ids=scope,
        keyword=keyword,
        offset=paging.offset,
        limit=paging.page_size,
    )
    return ScriptPage(
        items=service.outs(session, principal.tenant_id, rows),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/scripts",
    operation_id="createScript",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *SCRIPT_ERRORS),
)
def create_script(session: DbSession, principal: Manage, body: ScriptIn) -> ScriptOut:
    created = service.create_script(session, principal.tenant_id, body, principal.user_id)
    audit.record(
        session,
        principal,
        "scripts.create",
        entity_type="script",
        entity_id=created.id,
        after={"title": created.title},
    )
    return service.outs(session, principal.tenant_id, [created])[0]


@router.get("/scripts/{script_id}", operation_id="getScript", responses=responses(*AUTH, NotFound))
def get_script(session: DbSession, principal: Read, script_id: int) -> ScriptOut:
    found = service.script(session, principal.tenant_id, script_id)
    return service.outs(session, principal.tenant_id, [found])[0]


@router.patch(
    "/scripts/{script_id}",
    operation_id="updateScript",
    responses=responses(*AUTH, NotFound, *SCRIPT_ERRORS),
)
def update_script(
    session: DbSession, principal: Manage, script_id: int, body: ScriptPatch
) -> ScriptOut:
    found = service.script(session, principal.tenant_id, script_id)
    service.update_script(session, found, body)
    audit.record(
        session,
        principal,
        "scripts.update",
        entity_type="script",
        entity_id=found.id,
        after={"title": found.title},
    )
    return service.outs(session, principal.tenant_id, [found])[0]


@router.delete(
    "/scripts/{script_id}",
    operation_id="deleteScript",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def delete_script(session: DbSession, principal: Manage, script_id: int) -> None:
    found = service.script(session, principal.tenant_id, script_id)
    audit.record(
        session,
        principal,
        "scripts.delete",
        entity_type="script",
        entity_id=found.id,
        before={"title": found.title},
    )
    session.delete(found)


@router.post(
    "/scripts/{script_id}/used",
    operation_id="countScriptUse",
    responses=responses(*AUTH, NotFound),
)
def count_use(session: DbSession, principal: Read, script_id: int) -> ScriptOut:
    """A member copied or sent the script: counted, so the most used come first."""
    found = service.script(session, principal.tenant_id, script_id)
    repository.count_use(session, found)
    return service.outs(session, principal.tenant_id, [found])[0]
