from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from siyu.api.deps import (
    SESSION_COOKIE,
    AppSettings,
    CurrentPrincipal,
    DbSession,
    Paging,
    client_ip,
    require,
)
from siyu.api.errors import responses
from siyu.auth import repository, service
from siyu.auth.errors import InvalidCredentials, TooManyAttempts, UnknownScope
from siyu.auth.permissions import TOKEN_SCOPES, Permission, Role
from siyu.auth.principal import Principal
from siyu.auth.schemas import (
    ApiTokenCreate,
    ApiTokenCreated,
    ApiTokenOut,
    ApiTokenPage,
    LoginIn,
    LoginOut,
    MeOut,
    MeUpdate,
    ScopeList,
    ScopeOut,
    TenantOut,
)
from siyu.errors import CsrfFailed, NotAuthenticated, NotFound, PermissionDenied, SessionExpired
from siyu.i18n import negotiate, pick
from siyu.tenants import repository as tenants
from siyu.users import repository as users

router = APIRouter(tags=["auth"])

AUTH = (NotAuthenticated, SessionExpired, CsrfFailed, PermissionDenied)


def _me(session: DbSession, principal: Principal) -> MeOut:
    assert principal.user_id is not None
    user = users.get(session, principal.tenant_id, principal.user_id)
    tenant = tenants.get(session, principal.tenant_id)
    if user is None or tenant is None:
        raise NotAuthenticated
    return MeOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        locale=principal.locale,
        tenant=TenantOut(id=tenant.id, name=tenant.name),
        permissions=sorted(p.value for p in principal.permissions),
        csrf_token=principal.csrf_token or "",
    )


def _console_user(principal: CurrentPrincipal) -> Principal:
    if principal.user_id is None:  # an API token has no console profile
        raise NotAuthenticated
    return principal


ConsoleUser = Annotated[Principal, Depends(_console_user)]


@router.post(
    "/auth/login",
    operation_id="login",
    response_model=LoginOut,
    responses=responses(InvalidCredentials, TooManyAttempts),
)
def login(
    body: LoginIn, request: Request, response: Response, session: DbSession, settings: AppSettings
) -> LoginOut:
    try:
        signed_in = service.login(
            session, settings, username=body.username, password=body.password, ip=client_ip(request)
        )
    except service.FailedSignIn as failed:
        session.commit()  # keep the failure: it is what throttles the next guesses
        raise failed.error from None
    response.set_cookie(
        SESSION_COOKIE,
        signed_in.cookie_token,
        max_age=settings.session_max_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
        path="/",
    )
    principal = service.principal_for_user(
        signed_in.user, ip=client_ip(request), csrf_token=signed_in.login_session.csrf_token
    )
    request.state.locale = principal.locale
    return LoginOut(user=_me(session, principal), csrf_token=signed_in.login_session.csrf_token)


@router.post(
    "/auth/logout",
    operation_id="logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH),
)
def logout(request: Request, session: DbSession, _principal: ConsoleUser) -> Response:
    service.logout(session, request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/auth/me", operation_id="getMe", response_model=MeOut, responses=responses(*AUTH))
def get_me(session: DbSession, principal: ConsoleUser) -> MeOut:
    return _me(session, principal)


@router.patch("/auth/me", operation_id="updateMe", response_model=MeOut, responses=responses(*AUTH))
def update_me(
    body: MeUpdate, request: Request, session: DbSession, principal: ConsoleUser
) -> MeOut:
    assert principal.user_id is not None
    user = users.get(session, principal.tenant_id, principal.user_id)
    if user is None:
        raise NotAuthenticated
    service.set_locale(user, body.locale)
    request.state.locale = body.locale
    return _me(
        session, service.principal_for_user(user, ip=principal.ip, csrf_token=principal.csrf_token)
    )


# --- API tokens ---------------------------------------------------------------------------

ManageTokens = Annotated[Principal, Depends(require(Permission.TOKENS_MANAGE))]


@router.get(
    "/api-tokens/scopes",
    operation_id="getTokenScopes",
    response_model=ScopeList,
    responses=responses(*AUTH),
)
def get_token_scopes(request: Request, principal: ManageTokens) -> ScopeList:
    locale = principal.locale or negotiate(request.headers.get("accept-language"))
    return ScopeList(
        scopes=[
            ScopeOut(key=p.value, label=pick(labels, locale)) for p, labels in TOKEN_SCOPES.items()
        ]
    )


@router.get(
    "/api-tokens",
    operation_id="listApiTokens",
    response_model=ApiTokenPage,
    responses=responses(*AUTH),
)
def list_api_tokens(session: DbSession, principal: ManageTokens, paging: Paging) -> ApiTokenPage:
    rows, total = repository.page_tokens(
        session, principal.tenant_id, offset=paging.offset, limit=paging.page_size
    )
    return ApiTokenPage(
        items=[ApiTokenOut.model_validate(r) for r in rows],
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.post(
    "/api-tokens",
    operation_id="createApiToken",
    response_model=ApiTokenCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, UnknownScope),
)
def create_api_token(
    body: ApiTokenCreate, session: DbSession, principal: ManageTokens
) -> ApiTokenCreated:
    api_token, plain = service.create_token(session, principal, name=body.name, scopes=body.scopes)
    return ApiTokenCreated(token=plain, api_token=ApiTokenOut.model_validate(api_token))


@router.delete(
    "/api-tokens/{token_id}",
    operation_id="revokeApiToken",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def revoke_api_token(token_id: int, session: DbSession, principal: ManageTokens) -> Response:
    service.revoke_token(session, principal, token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
