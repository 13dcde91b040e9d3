"""Channel codes: keeping them in WeCom, routing their friends, crediting and greeting them.
Never commits.

A new friendship reaches :func:`credit_friends` (a :mod:`siyu.customers.hooks` listener) inside
the transaction that stored it. There, in one go, the friendship is credited to the code whose
state it carries (an ``acquisitions`` row, unique per friendship), the code's tags are put on the
customer (and queued for WeCom through the tags outbox), and a welcome message is written as a row
keyed by WeCom's one-use welcome code. Only then are jobs woken to send it. A callback WeCom
repeats, a sync that finds the same friendship, a worker killed half-way: each finds the rows
already there and adds nothing.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import string
from collections import defaultdict
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.codes import routing
from siyu.codes.errors import CodeDeleted, UnknownMembers, UnknownStore, UnknownTags
from siyu.codes.models import (
    DELETED,
    FAILED,
    LIVE,
    PENDING,
    SKIPPED,
    WEIGHTED,
    Acquisition,
    ChannelCode,
    DefaultWelcome,
    WelcomeSend,
)
from siyu.codes.schemas import CodeIn, CodePatch, Welcome
from siyu.customers.hooks import FriendAdded, on_friends_added
from siyu.customers.models import Customer
from siyu.db import insert_ignoring, utcnow
from siyu.staff.models import StaffAccount
from siyu.stores.models import OPEN, Store
from siyu.tags import service as tags
from siyu.tags.models import Tag

ACQUISITIONS = cast(Table, Acquisition.__table__)
WELCOMES = cast(Table, WelcomeSend.__table__)

PUSH_JOB = "codes.push"
WELCOME_JOB = "codes.welcome"
REMARK_JOB = "codes.remark"
STATE_PREFIX = "sy"
EARTH_RADIUS_KM = 6371.0
STATE_ALPHABET = string.ascii_lowercase + string.digits

CUSTOMER_VARS = ("{客户昵称}", "{customer}")
STAFF_VARS = ("{员工姓名}", "{staff}")
CHANNEL_VARS = ("{渠道}", "{channel}")
DATE_VARS = ("{日期}", "{date}")


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
    if not tag_ids:
        return
    known = set(
        session.scalars(
            select(Tag.id).where(
                Tag.tenant_id == tenant_id, Tag.id.in_(tag_ids), Tag.deleting.is_(False)
            )
        )
    )
    missing = [t for t in tag_ids if t not in known]
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


# --- new friends --------------------------------------------------------------------------


def render(template: str, values: dict[tuple[str, ...], str]) -> str:
    for names, value in values.items():
        for name in names:
            template = template.replace(name, value)
    return template


def message_at(welcome: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """The welcome's text and attachments, or those of the variant whose hours hold ``now``."""
    clock = routing.local(now).strftime("%H:%M")
    for variant in welcome.get("variants") or []:
        start, end = variant["start"], variant["end"]
        inside = start <= clock < end if start <= end else (clock >= start or clock < end)
        if inside:
            return dict(variant)
    return welcome


def content_for(
    welcome: dict[str, Any], customer: str, staff: str, now: dt.datetime
) -> dict[str, Any]:
    """What ``send_welcome_msg`` takes: ``text`` and/or ``attachments``."""
    chosen = message_at(welcome, now)
    words = render(chosen.get("text", ""), {CUSTOMER_VARS: customer, STAFF_VARS: staff}).strip()
    content: dict[str, Any] = {}
    if words:
        content["text"] = {"content": words}
    if chosen.get("attachments"):
        content["attachments"] = [_without_nulls(a) for a in chosen["attachments"]]
    return content


def _without_nulls(value: Any) -> Any:
    """WeCom wants absent fields left out, not sent as null."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    return value


def default_welcome(session: Session, tenant_id: int) -> dict[str, Any]:
    row = session.scalar(select(DefaultWelcome).where(DefaultWelcome.tenant_id == tenant_id))
    return dict(row.welcome) if row is not None else {}


def set_default_welcome(session: Session, tenant_id: int, welcome: Welcome) -> DefaultWelcome:
    row = session.scalar(select(DefaultWelcome).where(DefaultWelcome.tenant_id == tenant_id))
    if row is None:
        row = DefaultWelcome(tenant_id=tenant_id)
        session.add(row)
    row.welcome, row.updated_at = welcome.model_dump(mode="json"), utcnow()
    return row


@on_friends_added
def credit_friends(session: Session, tenant_id: int, added: list[FriendAdded]) -> None:
    """Credit, tag, remark and greet new friends (see the module's docstring)."""
    now = utcnow()
    states = {f.state for f in added if f.state}
    codes: dict[str, ChannelCode] = {}
    if states:
        codes = {
            c.state: c
            for c in session.scalars(
                select(ChannelCode).where(
                    ChannelCode.tenant_id == tenant_id, ChannelCode.state.in_(states)
                )
            )
        }
    credited = _credit(session, tenant_id, added, codes)
    greet = [f for f in added if f.welcome_code is not None]
    if greet:
        _write_welcomes(session, tenant_id, greet, codes, now)
    touched: dict[int, ChannelCode] = {}
    by_tags: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for friend in credited:
        code = codes.get(friend.state)
        if code is None or code.status == DELETED:
            continue
        touched[code.id] = code
        if code.tag_ids:
            by_tags[tuple(code.tag_ids)].append(friend.customer_id)
        if code.remark_template or code.description_template:
            jobs.submit(
                session,
                REMARK_JOB,
                {
                    "code_id": code.id,
                    "customer_id": friend.customer_id,
                    "userid": friend.userid,
                    "external_userid": friend.external_userid,
                },
                tenant_id=tenant_id,
                key=f"code-remark:{code.id}:{friend.customer_id}:{friend.userid}",
            )
    for tag_ids, customer_ids in by_tags.items():
        tags.tag_customers(
            session,
            tenant_id,
            customer_ids,
            add=tag_ids,
            actor="channel_code",
            source="channel_code",
            now=now,
            known_customers=True,
        )
    for code in touched.values():
        if is_dynamic(code):
            refresh_roster(session, code, now)


def _credit(
    session: Session, tenant_id: int, added: list[FriendAdded], codes: dict[str, ChannelCode]
) -> list[FriendAdded]:
    """Write one acquisition per friendship; returns the friendships credited just now."""
    rows = [
        {
            "tenant_id": tenant_id,
            "code_id": codes[f.state].id if f.state in codes else None,
            "customer_id": f.customer_id,
            "userid": f.userid,
            "state": f.state[:30],
            "add_way": f.add_way,
            "added_at": f.added_at,
            "day": local_day(f.added_at),
        }
        for f in added
    ]
    unique = ["tenant_id", "customer_id", "userid", "added_at"]
    statement = insert_ignoring(session, ACQUISITIONS, unique).returning(
        ACQUISITIONS.c.customer_id, ACQUISITIONS.c.userid
    )
    fresh = {(r.customer_id, r.userid) for r in session.execute(statement, rows)}
    return [f for f in added if (f.customer_id, f.userid) in fresh]


def _write_welcomes(
    session: Session,
    tenant_id: int,
    added: list[FriendAdded],
    codes: dict[str, ChannelCode],
    now: dt.datetime,
) -> None:
    fallback: dict[str, Any] | None = None
    names = dict(
        session.execute(
            select(Customer.id, Customer.name).where(
                Customer.id.in_([f.customer_id for f in added])
            )
        ).all()
    )
    staff = dict(
        session.execute(
            select(StaffAccount.userid, StaffAccount.name).where(
                StaffAccount.tenant_id == tenant_id,
                StaffAccount.userid.in_({f.userid for f in added}),
            )
        ).all()
    )
    rows = []
    for friend in added:
        code = codes.get(friend.state)
        if code is not None and code.status != DELETED:
            welcome = code.welcome or {}
        else:
            if fallback is None:
                fallback = default_welcome(session, tenant_id)
            welcome = fallback
        if not welcome.get("enabled"):
            continue
        row: dict[str, Any] = {
            "tenant_id": tenant_id,
            "code_id": code.id if code is not None else None,
            "customer_id": friend.customer_id,
            "userid": friend.userid,
            "external_userid": friend.external_userid,
            "welcome_code": friend.welcome_code or "",
            "added_at": friend.added_at,
            "created_at": now,
            "attempts": 0,
            "content": content_for(
                welcome, names.get(friend.customer_id) or "", staff.get(friend.userid, ""), now
            ),
        }
        if friend.welcome_code:
            row |= {"welcome_key": friend.welcome_code, "status": PENDING, "reason": ""}
        else:
            stamp = int(friend.added_at.timestamp())
            row |= {
                "welcome_key": f"none:{friend.customer_id}:{friend.userid}:{stamp}",
                "status": SKIPPED,
                "reason": "no_welcome_code",
            }
        rows.append(row)
    if not rows:
        return
    statement = insert_ignoring(session, WELCOMES, ["tenant_id", "welcome_key"]).returning(
        WELCOMES.c.id, WELCOMES.c.status
    )
    to_send = [r.id for r in session.execute(statement, rows) if r.status == PENDING]
    if to_send:
        jobs.submit_many(
            session,
            WELCOME_JOB,
            [(tenant_id, f"welcome:{i}", {"welcome_id": i}) for i in to_send],
            chain=True,  # WeCom takes the welcome code for 20 seconds only
        )


# --- nearest store (LBS) ------------------------------------------------------------------


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest_store_code(
    session: Session, code: ChannelCode, lat: float, lng: float
) -> tuple[ChannelCode, Store, float] | None:
    """The live code of the open store nearest to (lat, lng), among the tenant's codes that
    serve a store with coordinates; None when there is none."""
    best: tuple[ChannelCode, Store, float] | None = None
    for candidate, store in session.execute(
        select(ChannelCode, Store)
        .join(Store, Store.id == ChannelCode.store_id)
        .where(
            ChannelCode.tenant_id == code.tenant_id,
            ChannelCode.status == LIVE,
            ChannelCode.qr_content.is_not(None),
            Store.status == OPEN,
            Store.latitude.is_not(None),
            Store.longitude.is_not(None),
        )
        .order_by(ChannelCode.created_at.desc(), ChannelCode.id.desc())  # a store's newest code
    ).all():
        km = distance_km(lat, lng, float(store.latitude or 0), float(store.longitude or 0))
        if best is None or km < best[2]:
            best = (candidate, store, km)
    return best
