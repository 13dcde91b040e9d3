"""Channel codes: keeping them in WeCom and deciding who takes their friends. Never commits.

What happens to the friends a code brings (credited, tagged, remarked, greeted) is in
:mod:`siyu.codes.friends`; nearest-store routing in :mod:`siyu.codes.nearest`.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.codes import routing
from siyu.codes.errors import CodeDeleted, UnknownMembers, UnknownStore, UnknownTags
from siyu.codes.models import (
    DELETED,
    FAILED,
    WEIGHTED,
    Acquisition,
    ChannelCode,
)
from siyu.codes.schemas import CodeIn, CodePatch
from siyu.db import utcnow
from siyu.staff.models import StaffAccount
from siyu.stores.models import OPEN, Store
from siyu.tags import service as tags_service

PUSH_JOB = "codes.push"
WELCOME_JOB = "codes.welcome"
REMARK_JOB = "codes.remark"
STATE_PREFIX = "sy"
STATE_ALPHABET = string.ascii_lowercase + string.digits


def new_state() -> str:
    """A code's WeCom ``state`` (≤30 chars): random, so it also names the public landing page
    without giving away how many codes a brand has."""
    return STATE_PREFIX + "".join(secrets.choice(STATE_ALPHABET) for _ in range(10))


# --- the code's rules -------------------------------------------------------------------------


def _check_members(session: Session, tenant_id: int, userids: Iterable[str]) -> None:
    wanted = set(userids)
    if not wanted:
        return
    known = set(
        session.scalars(
            select(StaffAccount.userid).where(
                StaffAccount.tenant_id == tenant_id,
                StaffAccount.userid.in_(wanted),
                StaffAccount.left_at.is_(None),
            )
        )
    )
    if wanted - known:
        raise UnknownMembers(userids=", ".join(sorted(wanted - known)))


def _check_tags(session: Session, tenant_id: int, tag_ids: list[int]) -> None:
    missing = tags_service.missing_tags(session, tenant_id, tag_ids)
    if missing:
        raise UnknownTags(tag_ids=", ".join(str(t) for t in missing))


def _apply(session: Session, code: ChannelCode, data: dict[str, Any]) -> None:
    members = data.get("members")
    if members is not None:
        code.members = members
    if "fallback_userids" in data and data["fallback_userids"] is not None:
        code.fallback_userids = list(dict.fromkeys(data["fallback_userids"]))
    for name in (
        "name",
        "folder",
        "routing",
        "skip_verify",
        "remark_template",
        "description_template",
        "welcome",
        "landing",
    ):
        if data.get(name) is not None:
            setattr(code, name, data[name])
    if data.get("tag_ids") is not None:
        code.tag_ids = list(dict.fromkeys(data["tag_ids"]))
    if "store_id" in data:
        code.store_id = data["store_id"]
        if code.store_id is not None:
            store = session.get(Store, code.store_id)
            if store is None or store.tenant_id != code.tenant_id or store.status != OPEN:
                raise UnknownStore(store_id=code.store_id)
    if data.get("nearest_store") is not None:
        code.nearest_store = bool(data["nearest_store"])
    _check_members(
        session,
        code.tenant_id,
        [m["userid"] for m in code.members] + list(code.fallback_userids),
    )
    _check_tags(session, code.tenant_id, code.tag_ids)


def create_code(
    session: Session,
    tenant_id: int,
    body: CodeIn,
    *,
    created_by: int | None,
    state: str | None = None,
) -> ChannelCode:
    """A new code (its contact way is made by a job). ``state`` adopts a state friends already
    carry — codes a brand ran before Siyu — and credits those friends to it."""
    code = ChannelCode(
        tenant_id=tenant_id,
        state=state or new_state(),
        created_by=created_by,
        created_at=utcnow(),
        updated_at=utcnow(),
        version=1,
        pushed_version=0,
        roster=[],
    )
    _apply(session, code, body.model_dump(mode="json"))
    session.add(code)
    session.flush()
    code.roster = wanted_roster(session, code, utcnow()).userids
    request_push(session, code)
    if state:
        credit_history(session, code)
    return code


def credit_history(session: Session, code: ChannelCode) -> int:
    """Credit to ``code`` the friendships that came by its state before it existed in Siyu."""
    result = session.execute(
        update(Acquisition)
        .where(
            Acquisition.tenant_id == code.tenant_id,
            Acquisition.state == code.state,
            Acquisition.code_id.is_(None),
        )
        .values(code_id=code.id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def update_code(session: Session, code: ChannelCode, patch: CodePatch) -> ChannelCode:
    if code.status == DELETED:
        raise CodeDeleted
    data = patch.model_dump(mode="json", exclude_unset=True)
    merged = CodeIn.model_validate(
        {
            "name": code.name,
            "folder": code.folder,
            "routing": code.routing,
            "members": code.members,
            "fallback_userids": code.fallback_userids,
            "skip_verify": code.skip_verify,
            "tag_ids": code.tag_ids,
            "remark_template": code.remark_template,
            "description_template": code.description_template,
            "welcome": code.welcome or {},
            "landing": code.landing or {},
            "store_id": code.store_id,
            "nearest_store": code.nearest_store,
        }
        | data
    )
    _apply(session, code, merged.model_dump(mode="json"))
    code.updated_at = utcnow()
    code.roster = wanted_roster(session, code, utcnow()).userids
    code.version += 1
    request_push(session, code)
    return code


def delete_code(session: Session, code: ChannelCode) -> None:
    """The code stops taking friends: its WeCom contact way is deleted (a printed QR then says
    it is invalid); what it brought in stays credited to it."""
    if code.status == DELETED:
        return
    code.status, code.deleted_at = DELETED, utcnow()
    code.version += 1
    request_push(session, code)


def request_push(session: Session, code: ChannelCode) -> None:
    jobs.submit(
        session,
        PUSH_JOB,
        {"code_id": code.id},
        tenant_id=code.tenant_id,
        key=f"code-push:{code.id}:{code.version}",
    )


# --- the roster ---------------------------------------------------------------------------


def local_day(moment: dt.datetime) -> dt.date:
    return routing.local(moment).date()


def counts_today(session: Session, code: ChannelCode, now: dt.datetime) -> dict[str, int]:
    rows = session.execute(
        select(Acquisition.userid, func.count())
        .where(
            Acquisition.tenant_id == code.tenant_id,
            Acquisition.code_id == code.id,
            Acquisition.day == local_day(now),
        )
        .group_by(Acquisition.userid)
    ).all()
    return {userid: int(count) for userid, count in rows}


def is_dynamic(code: ChannelCode) -> bool:
    """Whether the roster can change with the friends the code brings (weights or caps)."""
    return code.routing == WEIGHTED or any(m.get("daily_cap") for m in code.members)


def wanted_roster(session: Session, code: ChannelCode, now: dt.datetime) -> routing.Roster:
    counts = counts_today(session, code, now) if is_dynamic(code) else {}
    return routing.roster(
        code.routing,
        routing.members_from_json(code.members),
        code.fallback_userids,
        counts,
        now,
    )


def refresh_roster(session: Session, code: ChannelCode, now: dt.datetime) -> bool:
    """Recompute who WeCom should hand friends to; push the change. True when it changed."""
    if code.status in (DELETED, FAILED):
        return False
    wanted = wanted_roster(session, code, now).userids
    if wanted == list(code.roster):
        return False
    code.roster = wanted
    code.version += 1
    request_push(session, code)
    return True


def refresh_all_rosters(session: Session, now: dt.datetime) -> int:
    """Shifts begin and end, caps reset at midnight: every live code is looked at again."""
    changed = 0
    for code in session.scalars(
        select(ChannelCode).where(ChannelCode.status.not_in((DELETED, FAILED)))
    ):
        changed += refresh_roster(session, code, now)
    return changed
