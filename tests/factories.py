"""Plain factory functions for the foundation's rows."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from siyu.auth import service as auth
from siyu.auth.permissions import Permission, Role
from siyu.auth.principal import Principal, system_principal
from siyu.tenants import repository as tenants
from siyu.tenants.models import Tenant
from siyu.users import service as users
from siyu.users.models import User
from siyu.users.schemas import UserCreate

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def make_tenant(session: Session, name: str = "测试品牌") -> Tenant:
    n = next(_seq)
    return tenants.create(session, name=f"{name} {n}", slug=f"t{n}")


def make_user(
    session: Session,
    tenant: Tenant,
    *,
    role: Role = Role.OWNER,
    display_name: str = "测试成员",
    password: str = PASSWORD,
) -> User:
    return users.create(
        session,
        system_principal(tenant.id),
        UserCreate(
            username=f"user{next(_seq)}", display_name=display_name, password=password, role=role
        ),
    )


def make_token(
    session: Session, tenant: Tenant, *, name: str = "integration", scopes: list[str] | None = None
) -> tuple[int, str]:
    api_token, plain = auth.create_token(
        session,
        system_principal(tenant.id),
        name=name,
        scopes=scopes or [Permission.DASHBOARD_READ.value],
    )
    return api_token.id, plain


def actor(user: User) -> Principal:
    return auth.principal_for_user(user, ip="127.0.0.1")
