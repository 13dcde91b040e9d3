"""A tenant's chat archive: which source it reads, its settings, and the pull. Never commits.

The source follows the WeCom connection: a deployment whose WeCom base URL is the real
``qyapi.weixin.qq.com`` reads the real archive with the Finance SDK; one pointed at a sandbox
reads the sandbox's feed at that same address. The demo tenant and the tests use the sandbox.
An admin can set the source, the 会话存档 Secret and the private keys on the archive row.
"""

from __future__ import annotations

import json

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.chats.archive import ChatArchive
from siyu.chats.errors import ArchiveNotConfigured
from siyu.chats.finance_sdk import FinanceSdkArchive
from siyu.chats.models import FINANCE_SDK, SANDBOX, ChatArchiveState
from siyu.chats.sandbox_feed import SandboxArchive
from siyu.config import Settings
from siyu.db import insert_unless_exists, utcnow
from siyu.vault import seal, unseal

PULL_JOB = "chats.pull"
PULL_ALL_JOB = "chats.pull_all"
REAL_WECOM = "https://qyapi.weixin.qq.com"


def default_source(settings: Settings) -> str:
    return FINANCE_SDK if settings.wecom_base_url.rstrip("/") == REAL_WECOM else SANDBOX


def get(session: Session, tenant_id: int) -> ChatArchiveState | None:
    return session.scalar(select(ChatArchiveState).where(ChatArchiveState.tenant_id == tenant_id))


def ensure(session: Session, tenant_id: int, source: str) -> ChatArchiveState:
    """The tenant's archive row, made with ``source`` when it has none."""
    now = utcnow()
    insert_unless_exists(
        session,
        ChatArchiveState,
        {
            "tenant_id": tenant_id,
            "source": source,
            "enabled": True,
            "cursor_seq": 0,
            "messages_read": 0,
            "skipped_group": 0,
            "skipped_unknown": 0,
            "skipped_other": 0,
            "errors": 0,
            "created_at": now,
            "updated_at": now,
        },
        ["tenant_id"],
    )
    state = get(session, tenant_id)
    assert state is not None
    return state


def configure(
    session: Session,
    tenant_id: int,
    *,
    source: str,
    enabled: bool,
    secret: str | None,
    private_keys: dict[str, str] | None,
) -> ChatArchiveState:
    state = ensure(session, tenant_id, source)
    state.source, state.enabled = source, enabled
    if secret:
        state.secret_sealed = seal(secret)
    if private_keys:
        state.private_keys_sealed = seal(json.dumps(private_keys))
    state.updated_at = utcnow()
    return state


def request_pull(session: Session, tenant_id: int) -> int:
    """A pull job for the tenant: requests made while one waits share it."""
    return jobs.submit_coalesced(session, PULL_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id)


def archive_for(
    state: ChatArchiveState, corp_id: str, settings: Settings, http: httpx.Client
) -> ChatArchive:
    """The reader of the tenant's archive; raises :class:`ArchiveNotConfigured` for what the
    Finance SDK lacks."""
    if state.source == SANDBOX:
        return SandboxArchive(corp_id, settings.wecom_base_url, http)
    keys = json.loads(unseal(state.private_keys_sealed)) if state.private_keys_sealed else None
    return FinanceSdkArchive(
        library_path=settings.chat_archive_sdk_path,
        corp_id=corp_id,
        secret=unseal(state.secret_sealed) if state.secret_sealed else None,
        private_keys=keys,
        proxy=settings.chat_archive_proxy,
        proxy_password=settings.chat_archive_proxy_password,
    )


def not_configured_reason(
    state: ChatArchiveState, settings: Settings
) -> ArchiveNotConfigured | None:
    """What the Finance SDK source lacks, checked without loading the library."""
    if state.source == SANDBOX:
        return None
    missing = []
    if not settings.chat_archive_sdk_path:
        missing.append("sdk_path")
    if not state.secret_sealed:
        missing.append("secret")
    if not state.private_keys_sealed:
        missing.append("private_key")
    return ArchiveNotConfigured(missing=missing) if missing else None
