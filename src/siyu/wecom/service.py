"""A tenant's WeCom connection: save it, test it, and receive its callbacks.

Never commits: the API request or job boundary does.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import string
import threading
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit import service as audit
from siyu.auth.principal import Principal
from siyu.config import Settings, get_settings
from siyu.db import Database, utcnow
from siyu.errors import InvalidInput
from siyu.i18n import Locale
from siyu.tenants.models import Tenant
from siyu.vault import mask, seal, unseal
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import WeComError, WeComUnavailable
from siyu.wecom.models import WeComConnection, WeComEvent
from siyu.wecom.schemas_api import CheckReport, CheckStep, ConnectionIn
from siyu.wecom.tokens import TokenStore

log = logging.getLogger("siyu.wecom")

CALLBACK_PATH = "/wecom/callback/"
_ALNUM = string.ascii_letters + string.digits


def random_alnum(length: int) -> str:
    return "".join(secrets.choice(_ALNUM) for _ in range(length))


def get(session: Session, tenant_id: int) -> WeComConnection | None:
    return session.scalar(select(WeComConnection).where(WeComConnection.tenant_id == tenant_id))


def _snapshot(connection: WeComConnection) -> dict[str, Any]:
    return {
        "corp_id": connection.corp_id,
        "contact_secret": mask(unseal(connection.contact_secret_sealed)),
        "agent_id": connection.agent_id,
        "app_secret": mask(unseal(connection.app_secret_sealed))
        if connection.app_secret_sealed
        else None,
        "callback_key": connection.callback_key,
    }


def save(session: Session, actor: Principal, data: ConnectionIn) -> WeComConnection:
    connection = get(session, actor.tenant_id)
    before = _snapshot(connection) if connection else None
    if connection is None:
        if not data.contact_secret:
            raise InvalidInput(reason="contact_secret")
        connection = WeComConnection(
            tenant_id=actor.tenant_id,
            corp_id=data.corp_id,
            contact_secret_sealed=seal(data.contact_secret),
            callback_token_sealed=seal(data.callback_token or random_alnum(32)),
            encoding_aes_key_sealed=seal(data.encoding_aes_key or random_alnum(43)),
            callback_key=secrets.token_urlsafe(18),
        )
        session.add(connection)
    else:
        if data.corp_id != connection.corp_id:
            connection.verified_at = None  # a new corp must verify the URL again
        connection.corp_id = data.corp_id
        if data.contact_secret:
            connection.contact_secret_sealed = seal(data.contact_secret)
        if data.callback_token:
            connection.callback_token_sealed = seal(data.callback_token)
        if data.encoding_aes_key:
            connection.encoding_aes_key_sealed = seal(data.encoding_aes_key)
    connection.agent_id = data.agent_id
    if data.app_secret:
        connection.app_secret_sealed = seal(data.app_secret)
    if data.agent_id is None:
        connection.app_secret_sealed = None
    connection.updated_at = utcnow()
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is not None:
        tenant.corp_id = data.corp_id
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise InvalidInput(
            reason=f"corp id {data.corp_id} is connected to another tenant"
        ) from None
    audit.record(
        session,
        actor,
        "wecom.connect" if before is None else "wecom.update",
        entity_type="wecom_connection",
        entity_id=connection.id,
        before=before,
        after=_snapshot(connection),
    )
    return connection


def callback_url(settings: Settings, connection: WeComConnection) -> str:
    return f"{settings.console_url}{CALLBACK_PATH}{connection.callback_key}"


@dataclass(frozen=True)
class EventStats:
    received: int
    first_at: dt.datetime | None
    last_at: dt.datetime | None


def event_stats(session: Session, tenant_id: int) -> EventStats:
    """Derived from the events themselves, so receiving a callback updates no shared row."""
    count = session.scalar(
        select(func.count()).select_from(WeComEvent).where(WeComEvent.tenant_id == tenant_id)
    )
    by_time = select(WeComEvent.received_at).where(WeComEvent.tenant_id == tenant_id).limit(1)
    return EventStats(
        received=count or 0,
        first_at=session.scalar(by_time.order_by(WeComEvent.received_at)),
        last_at=session.scalar(by_time.order_by(WeComEvent.received_at.desc())),
    )


# --- clients ----------------------------------------------------------------------------

_http: httpx.Client | None = None
_http_lock = threading.Lock()
_stores: dict[int, TokenStore] = {}


def _shared_http() -> httpx.Client:
    global _http  # noqa: PLW0603 - one connection pool per process
    with _http_lock:
        if _http is None:
            _http = httpx.Client(timeout=10.0)
        return _http


def token_store(database: Database, tenant_id: int) -> TokenStore:
    store = _stores.get(tenant_id)
    if store is None or store.database is not database:
        store = _stores[tenant_id] = TokenStore(database, tenant_id)
    return store


def client(
    database: Database,
    settings: Settings,
    connection: WeComConnection,
    *,
    app: bool = False,
    http: httpx.Client | None = None,
) -> WeComClient:
    """A client for the customer-contact secret, or for the self-built app's (``app=True``)."""
    sealed = connection.app_secret_sealed if app else connection.contact_secret_sealed
    if sealed is None:
        raise InvalidInput(reason="the self-built app's secret is not set")
    return WeComClient(
        connection.corp_id,
        unseal(sealed),
        tokens=token_store(database, connection.tenant_id),
        base_url=settings.wecom_base_url,
        http=http or _shared_http(),
    )


def client_for_tenant(database: Database, tenant_id: int) -> WeComClient | None:
    """The customer-contact client of a tenant's connection, or None when it has none. Reads the
    connection in a short session of its own: callers go on to call WeCom holding nothing."""
    with database.factory() as session:
        connection = get(session, tenant_id)
        if connection is None:
            return None
        session.expunge(connection)
    return client(database, get_settings(), connection)


# --- test connection --------------------------------------------------------------------

_STEP_OK: dict[str, dict[Locale, str]] = {
    "contact_token": {"zh-CN": "客户联系 Secret 有效", "en": "The customer-contact secret works"},
    "follow_users": {
        "zh-CN": "可以读取客户联系：{count} 位成员已开通客户联系",
        "en": "Customer contact is readable: {count} members have customer contact enabled",
    },
    "app_token": {"zh-CN": "自建应用 Secret 有效", "en": "The self-built app's secret works"},
}


def check_connection(
    database: Database,
    settings: Settings,
    connection: WeComConnection,
    locale: Locale,
    *,
    http: httpx.Client | None = None,
) -> CheckReport:
    """Call WeCom with the saved settings and explain each failure in plain words."""
    steps: list[CheckStep] = []

    def run(key: str, action: Any, **params: Any) -> Any:
        try:
            result = action()
        except (WeComError, WeComUnavailable) as exc:
            errcode = exc.errcode if isinstance(exc, WeComError) else None
            steps.append(CheckStep(key=key, ok=False, message=exc.message(locale), errcode=errcode))
            return None
        extra = {name: value(result) for name, value in params.items()}
        steps.append(CheckStep(key=key, ok=True, message=_STEP_OK[key][locale].format(**extra)))
        return result

    contact = client(database, settings, connection, http=http)
    if run(
        "contact_token",
        lambda: contact.tokens.get(contact.corp_id, contact.secret, contact.fetch_token),
    ):
        run("follow_users", contact.get_follow_user_list, count=len)
    if connection.app_secret_sealed:
        app = client(database, settings, connection, app=True, http=http)
        run("app_token", lambda: app.tokens.get(app.corp_id, app.secret, app.fetch_token))
    return CheckReport(ok=all(step.ok for step in steps), tested_at=utcnow(), steps=steps)


def record_check(connection: WeComConnection, report: CheckReport) -> None:
    connection.last_test_at = report.tested_at
    connection.last_test_ok = report.ok
    connection.last_test_report = report.model_dump(mode="json")
