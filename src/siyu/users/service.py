"""Console members: create and change them, audited. Never commits (the boundary does)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.auth.passwords import hash_password
from siyu.auth.permissions import ASSIGNABLE_BY, Role
from siyu.auth.principal import Principal
from siyu.errors import NotFound
from siyu.users import repository
from siyu.users.errors import LastOwner, RoleNotAssignable, UsernameTaken
from siyu.users.models import User
from siyu.users.schemas import UserCreate, UserUpdate


def snapshot(user: User) -> dict[str, Any]:
    """What the audit log keeps of a member (never the password hash)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "is_active": user.is_active,
    }


def _check_assignable(actor: Principal, role: Role) -> None:
    if actor.role is None:  # the system itself, seeding or migrating
        return
    if role not in ASSIGNABLE_BY.get(actor.role, frozenset()):
        raise RoleNotAssignable(role=role.value)


def create(session: Session, actor: Principal, data: UserCreate) -> User:
    _check_assignable(actor, data.role)
    username = data.username.strip().lower()
    if repository.get_by_username(session, username) is not None:
        raise UsernameTaken(username=username)
    user = User(
        tenant_id=actor.tenant_id,
        username=username,
        display_name=data.display_name.strip(),
        password_hash=hash_password(data.password),
        role=data.role.value,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.create", entity_type="user", entity_id=user.id, after=snapshot(user)
    )
    return user


def update(session: Session, actor: Principal, user_id: int, data: UserUpdate) -> User:
    user = repository.get(session, actor.tenant_id, user_id)
    if user is None:
        raise NotFound("user")
    before = snapshot(user)
    if data.role is not None and data.role.value != user.role:
        _check_assignable(actor, Role(user.role))
        _check_assignable(actor, data.role)
    losing_owner = user.role == Role.OWNER and (
        (data.role is not None and data.role != Role.OWNER) or data.is_active is False
    )
    if (
        losing_owner
        and user.is_active
        and repository.count_active_owners(session, actor.tenant_id) <= 1
    ):
        raise LastOwner
    if data.display_name is not None:
        user.display_name = data.display_name.strip()
    if data.role is not None:
        user.role = data.role.value
    if data.is_active is not None:
        user.is_active = data.is_active
    after = snapshot(user)
    if after != before:
        session.flush()
        audit.record(
            session,
            actor,
            "user.update",
            entity_type="user",
            entity_id=user.id,
            before=before,
            after=after,
        )
    return user
