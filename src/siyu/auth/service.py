"""Sign-in, sessions, throttling and API tokens. Never commits (the boundary does)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.auth import repository
from siyu.auth.errors import InvalidCredentials, TooManyAttempts, UnknownScope
from siyu.auth.models import ApiToken, LoginFailure, LoginSession
from siyu.auth.passwords import verify_password
from siyu.auth.permissions import ROLE_PERMISSIONS, TOKEN_SCOPES, Permission, Role
from siyu.auth.principal import Principal
from siyu.config import Settings
from siyu.db import utcnow
from siyu.errors import InvalidToken, NotFound, SessionExpired
from siyu.i18n import Locale
from siyu.users import repository as users
from siyu.users.models import User

TOKEN_PREFIX = "siyu_"  # noqa: S105 - a public prefix, not a secret
# How much of a token is kept in clear so people can tell their tokens apart.
SHOWN_PREFIX_LENGTH = 12
# Failures from one address count more loosely: an office shares one address.
IP_FAILURE_FACTOR = 4
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for_user(user: User, *, ip: str | None, csrf_token: str | None = None) -> Principal:
    role = Role(user.role)
    return Principal(
        tenant_id=user.tenant_id,
        label=user.display_name,
        permissions=ROLE_PERMISSIONS[role],
        user_id=user.id,
        role=role,
        ip=ip,
        locale="en" if user.locale == "en" else "zh-CN",
        csrf_token=csrf_token,
    )


@dataclass(frozen=True)
class SignedIn:
    user: User
    cookie_token: str
    login_session: LoginSession


class FailedSignIn(Exception):
    """Raised after the failure is recorded, so the boundary can keep it and still refuse."""

    def __init__(self, error: InvalidCredentials | TooManyAttempts) -> None:
        self.error = error
        super().__init__(error.code)


def login(
    session: Session, settings: Settings, *, username: str, password: str, ip: str
) -> SignedIn:
    username = username.strip().lower()
    now = utcnow()
    window = dt.timedelta(minutes=settings.login_failure_window_minutes)
    by_user, by_ip = repository.failures_since(
        session, username=username, ip=ip, since=now - window
    )
    if (
        by_user >= settings.login_max_failures
        or by_ip >= settings.login_max_failures * IP_FAILURE_FACTOR
    ):
        raise TooManyAttempts(minutes=settings.login_failure_window_minutes)
    user = users.get_by_username(session, username)
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        session.add(LoginFailure(username=username, ip=ip))
        session.flush()
        raise FailedSignIn(InvalidCredentials())
    repository.clear_failures(session, username)
    cookie_token = secrets.token_urlsafe(32)
    login_session = LoginSession(
        tenant_id=user.tenant_id,
        user_id=user.id,
        token_hash=digest(cookie_token),
        csrf_token=secrets.token_urlsafe(32),
        last_seen_at=now,
        expires_at=now + dt.timedelta(minutes=settings.session_idle_minutes),
        ip=ip,
    )
    session.add(login_session)
    user.last_login_at = now
    session.flush()
    return SignedIn(user=user, cookie_token=cookie_token, login_session=login_session)


def resolve_session(
    session: Session, settings: Settings, cookie_token: str, *, ip: str | None
) -> tuple[Principal, User]:
    """The principal behind a session cookie; slides the idle expiry forward."""
    login_session = repository.session_by_token_hash(session, digest(cookie_token))
    now = utcnow()
    if login_session is None:
        raise SessionExpired
    user = session.get(User, login_session.user_id)
    absolute_end = login_session.created_at + dt.timedelta(hours=settings.session_max_hours)
    if login_session.expires_at <= now or absolute_end <= now or user is None or not user.is_active:
        raise SessionExpired  # the row is removed by the periodic clean-up job
    if now - login_session.last_seen_at >= LAST_SEEN_RESOLUTION:
        login_session.last_seen_at = now
        login_session.expires_at = min(
            now + dt.timedelta(minutes=settings.session_idle_minutes), absolute_end
        )
    return principal_for_user(user, ip=ip, csrf_token=login_session.csrf_token), user


def logout(session: Session, cookie_token: str) -> None:
    login_session = repository.session_by_token_hash(session, digest(cookie_token))
    if login_session is not None:
        session.delete(login_session)


def csrf_matches(principal: Principal, presented: str | None) -> bool:
    return bool(presented and principal.csrf_token) and hmac.compare_digest(
        presented or "", principal.csrf_token or ""
    )


def set_locale(user: User, locale: Locale) -> None:
    user.locale = locale


# --- API tokens -------------------------------------------------------------------------


def resolve_token(session: Session, token: str, *, ip: str | None) -> Principal:
    api_token = (
        repository.token_by_hash(session, digest(token)) if token.startswith(TOKEN_PREFIX) else None
    )
    if api_token is None or api_token.revoked_at is not None:
        raise InvalidToken
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_SEEN_RESOLUTION:
        api_token.last_used_at = now
    return Principal(
        tenant_id=api_token.tenant_id,
        label=f"token:{api_token.name}",
        permissions=frozenset(
            Permission(s) for s in api_token.scopes if s in Permission.__members__.values()
        ),
        token_id=api_token.id,
        ip=ip,
    )


def token_snapshot(api_token: ApiToken) -> dict[str, object]:
    return {"name": api_token.name, "prefix": api_token.prefix, "scopes": list(api_token.scopes)}


def create_token(
    session: Session, actor: Principal, *, name: str, scopes: list[str]
) -> tuple[ApiToken, str]:
    grantable = {p.value for p in TOKEN_SCOPES}
    unknown = sorted(set(scopes) - grantable)
    if unknown or not scopes:
        raise UnknownScope(scopes=", ".join(unknown) or "(none)")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken(
        tenant_id=actor.tenant_id,
        name=name.strip(),
        prefix=plain[:SHOWN_PREFIX_LENGTH],
        token_hash=digest(plain),
        scopes=sorted(set(scopes)),
        created_by_id=actor.user_id,
    )
    session.add(api_token)
    session.flush()
    audit.record(
        session,
        actor,
        "api_token.create",
        entity_type="api_token",
        entity_id=api_token.id,
        after=token_snapshot(api_token),
    )
    return api_token, plain


def revoke_token(session: Session, actor: Principal, token_id: int) -> ApiToken:
    api_token = repository.get_token(session, actor.tenant_id, token_id)
    if api_token is None:
        raise NotFound("api_token")
    if api_token.revoked_at is None:
        api_token.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "api_token.revoke",
            entity_type="api_token",
            entity_id=api_token.id,
            before=token_snapshot(api_token),
        )
    return api_token
