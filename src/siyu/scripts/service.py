"""The script library's rules: categories (two levels), scripts with variables and materials,
and search."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.materials import service as materials
from siyu.scripts import repository, variables
from siyu.scripts.errors import (
    CategoryNotEmpty,
    CategoryTooDeep,
    DuplicateCategory,
    UnknownCategory,
    UnknownVariables,
)
from siyu.scripts.models import Script, ScriptCategory
from siyu.scripts.schemas import (
    CategoryIn,
    CategoryOut,
    CategoryPatch,
    ScriptIn,
    ScriptOut,
    ScriptPatch,
)


def check_text(text: str) -> None:
    """Refuse a text that uses variables Siyu does not know."""
    unknown = variables.check(text)
    if unknown:
        raise UnknownVariables(
            {"unknown": unknown},
            names=", ".join(f"{{{n}}}" for n in unknown),
            known=", ".join(f"{{{k}}}" for k in variables.VARIABLES),
        )


def check_materials(session: Session, tenant_id: int, material_ids: list[int]) -> None:
    if material_ids:
        materials.check_attachments(session, tenant_id, material_ids, moment=False)


# --- categories ------------------------------------------------------------------------------


def category(session: Session, tenant_id: int, category_id: int) -> ScriptCategory:
    found = repository.owned(session, ScriptCategory, tenant_id, category_id)
    if found is None:
        raise NotFound("script_category")
    assert isinstance(found, ScriptCategory)
    return found


def tree(session: Session, tenant_id: int) -> list[CategoryOut]:
    rows = repository.categories(session, tenant_id)
    counts = repository.script_counts(session, tenant_id)
    nodes = {
        c.id: CategoryOut(
            id=c.id,
            name=c.name,
            parent_id=c.parent_id,
            position=c.position,
            scripts=counts.get(c.id, 0),
        )
        for c in rows
    }
    roots = []
    for c in rows:
        node = nodes[c.id]
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        if parent is not None:
            parent.children.append(node)
            parent.scripts += node.scripts
        else:
            roots.append(node)
    return roots


def create_category(session: Session, tenant_id: int, body: CategoryIn) -> ScriptCategory:
    name = body.name.strip()
    if body.parent_id is not None:
        parent = repository.owned(session, ScriptCategory, tenant_id, body.parent_id)
        if parent is None:
            raise UnknownCategory(category_id=body.parent_id)
        if parent.parent_id is not None:
            raise CategoryTooDeep
    if repository.category_named(session, tenant_id, body.parent_id, name) is not None:
        raise DuplicateCategory(name=name)
    created = ScriptCategory(tenant_id=tenant_id, parent_id=body.parent_id, name=name)
    session.add(created)
    session.flush()
    return created


def update_category(session: Session, found: ScriptCategory, body: CategoryPatch) -> None:
    if body.name is not None:
        name = body.name.strip()
        other = repository.category_named(session, found.tenant_id, found.parent_id, name)
        if other is not None and other != found.id:
            raise DuplicateCategory(name=name)
        found.name = name
    if body.position is not None:
        found.position = body.position
    session.flush()


def delete_category(session: Session, found: ScriptCategory) -> None:
    children = repository.children_of(session, found.tenant_id, found.id)
    scripts = repository.script_counts(session, found.tenant_id).get(found.id, 0)
    if children or scripts:
        raise CategoryNotEmpty(scripts=scripts, children=len(children))
    session.delete(found)
    session.flush()


def category_scope(session: Session, tenant_id: int, category_id: int | None) -> list[int] | None:
    """A category and its children (a top-level category lists its subcategories' scripts)."""
    if category_id is None:
        return None
    category(session, tenant_id, category_id)
    return [category_id, *repository.children_of(session, tenant_id, category_id)]


# --- scripts -------------------------------------------------------------------------------


def script(session: Session, tenant_id: int, script_id: int) -> Script:
    found = repository.owned(session, Script, tenant_id, script_id)
    if found is None:
        raise NotFound("script")
    assert isinstance(found, Script)
    return found


def _words(keywords: str) -> str:
    return " ".join(w for w in re.split(r"[\s,，;；]+", keywords) if w)[:300]


def _index(found: Script) -> None:
    found.search_text = "\n".join((found.title, found.keywords, found.body)).lower()


def _category_id(session: Session, tenant_id: int, category_id: int | None) -> int | None:
    if (
        category_id is not None
        and repository.owned(session, ScriptCategory, tenant_id, category_id) is None
    ):
        raise UnknownCategory(category_id=category_id)
    return category_id


def create_script(
    session: Session, tenant_id: int, body: ScriptIn, created_by: int | None = None
) -> Script:
    check_text(body.body)
    check_materials(session, tenant_id, body.material_ids)
    now = utcnow()
    created = Script(
        tenant_id=tenant_id,
        category_id=_category_id(session, tenant_id, body.category_id),
        title=body.title.strip(),
        body=body.body,
        keywords=_words(body.keywords),
        material_ids=list(body.material_ids),
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    _index(created)
    session.add(created)
    session.flush()
    return created


def update_script(session: Session, found: Script, body: ScriptPatch) -> None:
    fields = body.model_dump(exclude_unset=True)
    if fields.get("body") is not None:
        check_text(fields["body"])
        found.body = fields["body"]
    if fields.get("title") is not None:
        found.title = fields["title"].strip()
    if fields.get("keywords") is not None:
        found.keywords = _words(fields["keywords"])
    if "category_id" in fields:
        found.category_id = _category_id(session, found.tenant_id, fields["category_id"])
    if fields.get("material_ids") is not None:
        check_materials(session, found.tenant_id, fields["material_ids"])
        found.material_ids = list(fields["material_ids"])
    _index(found)
    found.updated_at = utcnow()
    session.flush()


def outs(session: Session, tenant_id: int, rows: list[Script]) -> list[ScriptOut]:
    return [
        ScriptOut(
            id=s.id,
            title=s.title,
            body=s.body,
            category_id=s.category_id,
            keywords=s.keywords,
            material_ids=list(s.material_ids),
            materials=materials.summaries(session, tenant_id, s.material_ids),
            variables=variables.names(s.body),
            use_count=s.use_count,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )
        for s in rows
    ]
