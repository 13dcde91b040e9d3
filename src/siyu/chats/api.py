"""The chat archive over HTTP: its status, its settings, and "pull now"."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy import select

from siyu.api.deps import AppSettings, DbSession, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.chats import service
from siyu.chats.errors import ArchiveDisabled, ArchiveNotConfigured
from siyu.chats.finance_sdk import load_private_keys
from siyu.chats.models import ChatArchiveState
from siyu.chats.schemas import ArchiveSettings, ArchiveStatus, PullStarted
from siyu.errors import InvalidInput
from siyu.i18n import Locale
from siyu.jobs import PENDING, RUNNING, Job
from siyu.vault import unseal

router = APIRouter(tags=["chat archive"])

Read = Annotated[Principal, Depends(require(Permission.AUTOTAG_READ))]
Manage = Annotated[Principal, Depends(require(Permission.AUTOTAG_MANAGE))]
Admin = Annotated[Principal, Depends(require(Permission.WECOM_MANAGE))]


def _status(
    session: DbSession, settings: AppSettings, locale: Locale, state: ChatArchiveState
) -> ArchiveStatus:
    problem = service.not_configured_reason(state, settings)
    versions = (
        sorted(int(v) for v in json.loads(unseal(state.private_keys_sealed)))
        if state.private_keys_sealed
        else []
    )
    pulling = session.scalar(
        select(Job.id)
        .where(
            Job.tenant_id == state.tenant_id,
            Job.kind == service.PULL_JOB,
            Job.state.in_([PENDING, RUNNING]),
        )
        .limit(1)
    )
    return ArchiveStatus(
        source=state.source,
        enabled=state.enabled,
        configured=problem is None,
        problem=problem.message(locale) if problem else None,
        secret_set=state.secret_sealed is not None,
        private_key_versions=versions,
        cursor_seq=state.cursor_seq or 0,
        last_pull_at=state.last_pull_at,
        last_message_at=state.last_message_at,
        messages_read=state.messages_read or 0,
        skipped_group=state.skipped_group or 0,
        skipped_unknown=state.skipped_unknown or 0,
        skipped_other=state.skipped_other or 0,
        errors=state.errors or 0,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        pulling=pulling is not None,
    )


@router.get("/chat-archive", operation_id="getChatArchive", responses=responses(*AUTH))
def get_archive(session: DbSession, principal: Read, settings: AppSettings) -> ArchiveStatus:
    """Where the tenant's chat archive stands: its source, cursor, last pull and last error."""
    state = service.get(session, principal.tenant_id)
    if state is None:
        # Not read yet: what it would be, written by nothing.
        state = ChatArchiveState(
            tenant_id=principal.tenant_id,
            source=service.default_source(settings),
            enabled=True,
        )
    return _status(session, settings, principal.locale, state)


@router.put(
    "/chat-archive",
    operation_id="configureChatArchive",
    responses=responses(*AUTH, InvalidInput),
)
def configure_archive(
    session: DbSession,
    principal: Admin,
    settings: AppSettings,
    body: ArchiveSettings,
) -> ArchiveStatus:
    """Choose the source and set the Finance SDK's secret and private keys (stored sealed)."""
    if body.private_keys:
        try:
            load_private_keys(body.private_keys)
        except ValueError as exc:
            raise InvalidInput(reason=f"private_keys: {exc}") from None
    state = service.configure(
        session,
        principal.tenant_id,
        source=body.source,
        enabled=body.enabled,
        secret=body.secret or None,
        private_keys=body.private_keys or None,
    )
    audit.record(
        session,
        principal,
        "chat_archive.configure",
        entity_type="chat_archive",
        entity_id=state.id,
        after={
            "source": body.source,
            "enabled": body.enabled,
            "secret_changed": bool(body.secret),
            "private_key_versions": sorted(body.private_keys),
        },
    )
    return _status(session, settings, principal.locale, state)


@router.post(
    "/chat-archive/pull",
    operation_id="pullChatArchive",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, ArchiveNotConfigured, ArchiveDisabled),
)
def pull_archive(session: DbSession, principal: Manage, settings: AppSettings) -> PullStarted:
    """Read what the archive holds now (new chats are also read every minute and whenever
    WeCom notifies)."""
    state = service.ensure(session, principal.tenant_id, service.default_source(settings))
    if not state.enabled:
        raise ArchiveDisabled
    problem = service.not_configured_reason(state, settings)
    if problem is not None:
        raise problem
    job_id = service.request_pull(session, principal.tenant_id)
    audit.record(
        session,
        principal,
        "chat_archive.pull",
        entity_type="chat_archive",
        entity_id=state.id,
        after={"job_id": job_id, "cursor_seq": state.cursor_seq},
    )
    return PullStarted(job_id=job_id)
