from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.tenants.models import Tenant


def get(session: Session, tenant_id: int) -> Tenant | None:
    return session.get(Tenant, tenant_id)


def get_by_slug(session: Session, slug: str) -> Tenant | None:
    return session.scalar(select(Tenant).where(Tenant.slug == slug))


def create(session: Session, *, name: str, slug: str, corp_id: str | None = None) -> Tenant:
    tenant = Tenant(name=name, slug=slug, corp_id=corp_id)
    session.add(tenant)
    session.flush()
    return tenant
