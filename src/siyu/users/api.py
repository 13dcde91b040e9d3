from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.errors import NotFound
from siyu.users import repository, service
from siyu.users.errors import LastOwner, RoleNotAssignable, UsernameTaken
from siyu.users.schemas import UserCreate, UserOut, UserPage, UserUpdate

router = APIRouter(tags=["users"])

ReadUsers = Annotated[Principal, Depends(require(Permission.USERS_READ))]
ManageUsers = Annotated[Principal, Depends(require(Permission.USERS_MANAGE))]


@router.get("/users", operation_id="listUsers", response_model=UserPage, responses=responses(*AUTH))
def list_users(session: DbSession, principal: ReadUsers, paging: Paging) -> UserPage:
    rows, total = repository.page(
        session, principal.tenant_id, offset=paging.offset, limit=paging.page_size
    )
    return UserPage(
        items=[UserOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/users/{user_id}",
    operation_id="getUser",
    response_model=UserOut,
    responses=responses(*AUTH, NotFound),
)
def get_user(user_id: int, session: DbSession, principal: ReadUsers) -> UserOut:
    user = repository.get(session, principal.tenant_id, user_id)
    if user is None:
        raise NotFound("user")
    return UserOut.model_validate(user)


@router.post(
    "/users",
    operation_id="createUser",
    response_model=UserOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, UsernameTaken, RoleNotAssignable),
)
def create_user(body: UserCreate, session: DbSession, principal: ManageUsers) -> UserOut:
    return UserOut.model_validate(service.create(session, principal, body))


@router.patch(
    "/users/{user_id}",
    operation_id="updateUser",
    response_model=UserOut,
    responses=responses(*AUTH, NotFound, RoleNotAssignable, LastOwner),
)
def update_user(
    user_id: int, body: UserUpdate, session: DbSession, principal: ManageUsers
) -> UserOut:
    return UserOut.model_validate(service.update(session, principal, user_id, body))
