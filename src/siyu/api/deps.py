"""Request dependencies: the unit of work, the caller, and the one permission check."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from siyu.auth import service as auth
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.config import Settings
from siyu.db import Database
from siyu.errors import CsrfFailed, NotAuthenticated, PermissionDenied
from siyu.i18n import negotiate

SESSION_COOKIE = "siyu_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; commits when the endpoint returns, rolls back when it raises.

    Used with ``scope="function"`` so the commit happens before the response is sent: a failed
    commit becomes an error response, never a success the database does not hold.
    """
    database: Database = request.app.state.database
    with database.factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


DbSession = Annotated[Session, Depends(get_db, scope="function")]
AppSettings = Annotated[Settings, Depends(get_settings_dep)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def current_principal(request: Request, session: DbSession, settings: AppSettings) -> Principal:
    """The caller: an API token (``Authorization: Bearer siyu_…``) or a console session cookie.

    Console sessions must also present the CSRF token on state-changing requests.
    """
    ip = client_ip(request)
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        principal = auth.resolve_token(session, authorization[7:].strip(), ip=ip)
        principal = dataclasses.replace(
            principal, locale=negotiate(request.headers.get("accept-language"))
        )
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise NotAuthenticated
        principal, _user = auth.resolve_session(session, settings, cookie, ip=ip)
        if request.method not in SAFE_METHODS and not auth.csrf_matches(
            principal, request.headers.get(CSRF_HEADER)
        ):
            raise CsrfFailed
    request.state.locale = principal.locale
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: Permission) -> Callable[[Principal], Principal]:
    """Dependency factory: the caller, provided they hold ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise PermissionDenied(permission=permission.value)
        return principal

    check.__name__ = f"require_{permission.name.lower()}"
    return check


@dataclasses.dataclass(frozen=True)
class PageParams:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_params(
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PageParams:
    return PageParams(page=page, page_size=page_size)


Paging = Annotated[PageParams, Depends(page_params)]
