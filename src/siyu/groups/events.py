"""Customer-group callbacks (``change_external_chat``).

Member changes are applied at once when they follow from the members Siyu holds (the callback's
``LastMemVer`` is our version); a lost or reordered callback, a rename, a new owner or notice
(the callback names the change, not the new value) mark the group for a re-read, which a
coalesced job does. WeCom's retries repeat the same event, stored once; and a change seen twice
leaves the group as the first time did.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers import hooks
from siyu.customers.service import from_timestamp
from siyu.db import utcnow
from siyu.groups import codes, service
from siyu.groups.models import CODE_ACTIVE, GroupCode
from siyu.wecom.events import Fields, handles

EVENT = "change_external_chat"
MEMBER_CHANGES = {"add_member": True, "del_member": False}


def _int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _at(fields: Fields) -> dt.datetime:
    created = _int(fields.get("CreateTime"))
    return from_timestamp(created) if created else utcnow()


def _userids(fields: Fields) -> tuple[str, ...]:
    value = fields.get("MemChangeList") or []
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())


@handles(EVENT, "create")
def group_created(session: Session, tenant_id: int, fields: Fields) -> None:
    chat_id = str(fields.get("ChatId", ""))
    if not chat_id:
        return
    group = service.locked_group(session, tenant_id, chat_id)
    service.request_refresh(session, tenant_id, [group])
    # WeCom may have opened it for a full group code that creates groups: read those codes.
    if session.scalar(
        select(GroupCode.id).where(
            GroupCode.tenant_id == tenant_id,
            GroupCode.status == CODE_ACTIVE,
            GroupCode.auto_create.is_(True),
        )
    ):
        jobs.submit_coalesced(
            session, codes.READ_CODES_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id
        )


@handles(EVENT, "update")
def group_updated(session: Session, tenant_id: int, fields: Fields) -> None:
    chat_id = str(fields.get("ChatId", ""))
    if not chat_id:
        return
    detail = str(fields.get("UpdateDetail", ""))
    if detail not in MEMBER_CHANGES:
        # change_name / change_owner / change_notice: the callback says what changed, not to what.
        group = service.locked_group(session, tenant_id, chat_id)
        service.request_refresh(session, tenant_id, [group])
        return
    joined = MEMBER_CHANGES[detail]
    change = service.MemberChange(
        chat_id=chat_id,
        joined=joined,
        userids=_userids(fields),
        at=_at(fields),
        scene=_int(fields.get("JoinScene" if joined else "QuitScene")),
        last_version=str(fields.get("LastMemVer", "")),
        current_version=str(fields.get("CurMemVer", "")),
    )
    group = service.apply_member_change(session, tenant_id, change)
    codes.check_codes(session, tenant_id, [group.id])


@handles(EVENT, "dismiss")
def group_dismissed(session: Session, tenant_id: int, fields: Fields) -> None:
    chat_id = str(fields.get("ChatId", ""))
    if chat_id:
        group = service.dismiss(session, tenant_id, chat_id, _at(fields))
        codes.check_codes(session, tenant_id, [group.id])


@hooks.on_friends_added
def link_new_customers(session: Session, tenant_id: int, added: list[hooks.FriendAdded]) -> None:
    """A customer stored after they joined a group gets linked to their memberships."""
    service.link_customers(session, tenant_id, [a.external_userid for a in added if a.begun])
