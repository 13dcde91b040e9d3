"""Routes: the console's WeCom connection (``/api/v1/wecom/...``) and WeCom's callback URL."""

from __future__ import annotations

import logging
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from siyu.api.deps import AppSettings, DbSession, client_ip, require
from siyu.api.errors import responses
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.db import Database
from siyu.errors import ENTITY_LABELS, InvalidInput, NotFound, SiyuError
from siyu.i18n import Locale
from siyu.vault import mask, unseal
from siyu.wecom import callbacks, service
from siyu.wecom.crypto import CallbackRejected
from siyu.wecom.events import MAX_CALLBACK_BYTES
from siyu.wecom.intake import CallbackIntake
from siyu.wecom.models import WeComConnection
from siyu.wecom.schemas_api import (
    CallbackPanel,
    CheckReport,
    ConnectionIn,
    ConnectionOut,
    ConnectionState,
)

log = logging.getLogger("siyu.wecom.callback")

ENTITY_LABELS["wecom_connection"] = {"zh-CN": "企业微信连接", "en": "WeCom connection"}

router = APIRouter(tags=["wecom"])
callback_router = APIRouter(tags=["wecom-callback"])

ManageWeCom = Annotated[Principal, Depends(require(Permission.WECOM_MANAGE))]


class CallbackRefused(SiyuError):
    code = "callback_rejected"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "回调被拒绝（{reason}）：{why}",
        "en": "Callback rejected ({reason}): {why}",
    }


def _out(
    request: Request, settings: AppSettings, session: DbSession, c: WeComConnection
) -> ConnectionOut:
    stats = service.event_stats(session, c.tenant_id)
    return ConnectionOut(
        corp_id=c.corp_id,
        contact_secret=mask(unseal(c.contact_secret_sealed)),
        agent_id=c.agent_id,
        app_secret=mask(unseal(c.app_secret_sealed)) if c.app_secret_sealed else None,
        api_base_url=settings.wecom_base_url,
        callback=CallbackPanel(
            url=service.callback_url(settings, c),
            token=unseal(c.callback_token_sealed),
            encoding_aes_key=unseal(c.encoding_aes_key_sealed),
            verified_at=c.verified_at,
            first_event_at=stats.first_at,
            last_event_at=stats.last_at,
            events_received=stats.received,
        ),
        last_test=CheckReport.model_validate(c.last_test_report) if c.last_test_report else None,
    )


@router.get(
    "/wecom/connection",
    operation_id="getWeComConnection",
    response_model=ConnectionState,
    responses=responses(*AUTH),
)
def get_connection(
    request: Request, session: DbSession, settings: AppSettings, principal: ManageWeCom
) -> ConnectionState:
    connection = service.get(session, principal.tenant_id)
    return ConnectionState(
        connection=_out(request, settings, session, connection) if connection else None
    )


@router.put(
    "/wecom/connection",
    operation_id="saveWeComConnection",
    response_model=ConnectionState,
    responses=responses(*AUTH, InvalidInput),
)
def save_connection(
    body: ConnectionIn,
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: ManageWeCom,
) -> ConnectionState:
    connection = service.save(session, principal, body)
    return ConnectionState(connection=_out(request, settings, session, connection))


@router.post(
    "/wecom/connection/check",
    operation_id="checkWeComConnection",
    response_model=CheckReport,
    responses=responses(*AUTH, NotFound),
)
def check_connection(
    request: Request, session: DbSession, settings: AppSettings, principal: ManageWeCom
) -> CheckReport:
    connection = service.get(session, principal.tenant_id)
    if connection is None:
        raise NotFound("wecom_connection")
    # Never hold a transaction across a call to WeCom: on SQLite it holds the only write lock,
    # which the shared token cache needs; on PostgreSQL it would hold row locks for seconds.
    session.commit()
    database: Database = request.app.state.database
    report = service.check_connection(database, settings, connection, principal.locale)
    service.record_check(connection, report)
    return report


# --- WeCom's side -----------------------------------------------------------------------

Signature = Annotated[str, Query(max_length=128)]


def _connection(session: DbSession, callback_key: str) -> WeComConnection:
    connection = callbacks.by_callback_key(session, callback_key[:64])
    if connection is None:
        raise NotFound("wecom_connection")
    return connection


def _refuse(request: Request, callback_key: str, rejected: CallbackRejected) -> CallbackRefused:
    log.warning(
        "callback refused: %s (%s) key=%s from %s",
        rejected.reason,
        rejected,
        callback_key[:12],
        client_ip(request),
    )
    return CallbackRefused({"reason": rejected.reason}, reason=rejected.reason, why=str(rejected))


@callback_router.get("/wecom/callback/{callback_key}", include_in_schema=False)
def verify_callback_url(
    callback_key: str,
    request: Request,
    session: DbSession,
    msg_signature: Signature,
    timestamp: Signature,
    nonce: Signature,
    echostr: Annotated[str, Query(max_length=1024)],
) -> PlainTextResponse:
    connection = _connection(session, callback_key)
    try:
        plain = callbacks.verify_url(
            connection,
            msg_signature=msg_signature,
            timestamp=timestamp,
            nonce=nonce,
            echostr=echostr,
        )
    except CallbackRejected as rejected:
        raise _refuse(request, callback_key, rejected) from None
    log.info("WeCom verified the callback URL of tenant %s", connection.tenant_id)
    return PlainTextResponse(plain)


@callback_router.post("/wecom/callback/{callback_key}", include_in_schema=False)
async def receive_callback(
    callback_key: str,
    request: Request,
    msg_signature: Signature,
    timestamp: Signature,
    nonce: Signature,
) -> PlainTextResponse:
    """Verify, decrypt, store once, answer ``success``; processing is a job. The store goes
    through the intake's group commit: answered only once the row is committed."""
    body = await request.body()
    try:
        if len(body) > MAX_CALLBACK_BYTES:
            raise CallbackRejected("too_large", f"{len(body)} bytes")
        item = await run_in_threadpool(
            callbacks.open_for_key,
            request.app.state.database,
            callback_key[:64],
            body,
            msg_signature=msg_signature,
            timestamp=timestamp,
            nonce=nonce,
        )
    except CallbackRejected as rejected:
        raise _refuse(request, callback_key, rejected) from None
    if item is None:
        raise NotFound("wecom_connection")
    intake: CallbackIntake = request.app.state.intake
    received = await intake.submit(item)
    if received.duplicate:
        log.info("repeated callback for event %s answered, not stored again", received.event_id)
    return PlainTextResponse("success")
