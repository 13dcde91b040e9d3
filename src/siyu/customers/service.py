"""Customers kept in step with WeCom. Never commits.

WeCom is read outside any transaction (by the sync and refresh jobs); what it said arrives here as
:class:`ContactView` values and is applied in bulk: a page of 100 contacts is a handful of
statements, not hundreds. Applying is idempotent — the same page twice changes nothing — which is
what lets a crashed sync resume at the last page it stored.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, delete, select, tuple_, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers import hooks, phones, timeline
from siyu.customers.errors import CustomerErased
from siyu.customers.models import (
    ACTIVE,
    DELETED_BY_CUSTOMER,
    DELETED_BY_STAFF,
    ERASED,
    FRIEND,
    LOST,
    REMOVED,
    TRANSFERRED,
    ChurnAlert,
    Customer,
    CustomerPhone,
    CustomerSyncRun,
    Follow,
    TimelineEvent,
)
from siyu.db import insert_ignoring, insert_rows_ignoring, utcnow
from siyu.segments import changes as audience
from siyu.tags.models import PENDING, CustomerTag, Tag, TagWrite
from siyu.wecom import schemas

CUSTOMERS = cast(Table, Customer.__table__)
FOLLOWS = cast(Table, Follow.__table__)
PHONES = cast(Table, CustomerPhone.__table__)
CUSTOMER_TAGS = cast(Table, CustomerTag.__table__)

SYNC_JOB = "customers.sync"
REFRESH_JOB = "customers.refresh"
CORP_TAG = 1  # externalcontact/get lists personal (2) and rule (3) tags too; only corp tags mirror
WECOM_FIELDS = ("name", "type", "gender", "avatar", "unionid", "corp_name")


def from_timestamp(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@dataclass(frozen=True)
class FollowView:
    userid: str
    createtime: int
    remark: str = ""
    description: str = ""
    remark_mobiles: tuple[str, ...] = ()
    add_way: int = 0
    state: str = ""
    oper_userid: str = ""
    tag_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContactView:
    """One customer as WeCom showed it. ``complete`` says the view lists every current friendship
    (``externalcontact/get``); a page of ``batch/get_by_user`` shows some of them only."""

    contact: schemas.ExternalContact
    follows: list[FollowView]
    complete: bool = False


def views_from_batch(items: Iterable[schemas.ContactWithFollow]) -> list[ContactView]:
    grouped: dict[str, ContactView] = {}
    for item in items:
        view = grouped.setdefault(
            item.external_contact.external_userid, ContactView(item.external_contact, [])
        )
        f = item.follow_info
        view.follows.append(
            FollowView(
                userid=f.userid,
                createtime=f.createtime,
                remark=f.remark,
                description=f.description,
                remark_mobiles=tuple(f.remark_mobiles),
                add_way=f.add_way,
                state=f.state,
                oper_userid=f.oper_userid,
                tag_ids=tuple(f.tag_id),
            )
        )
    return list(grouped.values())


def view_from_detail(
    contact: schemas.ExternalContact, follows: Iterable[schemas.FollowUser]
) -> ContactView:
    return ContactView(
        contact,
        [
            FollowView(
                userid=f.userid,
                createtime=f.createtime,
                remark=f.remark,
                description=f.description,
                remark_mobiles=tuple(f.remark_mobiles),
                add_way=f.add_way,
                state=f.state,
                oper_userid=f.oper_userid,
                tag_ids=tuple(t.tag_id for t in f.tags if t.type == CORP_TAG and t.tag_id),
            )
            for f in follows
        ],
        complete=True,
    )


@dataclass
class Applied:
    customers_new: int = 0
    follows_new: int = 0
    follows_seen: int = 0
    follows_removed: int = 0
    customer_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class _FollowState:
    id: int | None
    userid: str
    status: str
    added_at: dt.datetime
    deleted_at: dt.datetime | None
    tag_ids: list[str]


@dataclass
class _Changes:
    """What applying a batch of views will write, gathered before writing it."""

    tenant_id: int
    now: dt.datetime
    run_id: int | None
    result: Applied
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    entries: list[timeline.Entry] = field(default_factory=list)
    phones: list[tuple[int, str]] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    begun: list[tuple[int, FollowView]] = field(default_factory=list)

    def follow(self, customer_id: int, known: dict[str, _FollowState], fv: FollowView) -> None:
        self.result.follows_seen += 1
        added_at = from_timestamp(fv.createtime)
        self.phones += [(customer_id, m) for m in fv.remark_mobiles]
        values = {
            "remark": fv.remark,
            "description": fv.description,
            "added_at": added_at,
            "add_way": fv.add_way,
            "state": fv.state,
            "oper_userid": fv.oper_userid,
            "wecom_tag_ids": list(fv.tag_ids),
            "synced_at": self.now,
            "seen_by_run": self.run_id,
        }
        state = known.get(fv.userid)
        if state is None:
            self.inserts.append(
                {
                    "tenant_id": self.tenant_id,
                    "customer_id": customer_id,
                    "userid": fv.userid,
                    "status": FRIEND,
                    **values,
                }
            )
            known[fv.userid] = _FollowState(
                None, fv.userid, FRIEND, added_at, None, list(fv.tag_ids)
            )
            self.entries.append(_added_entry(customer_id, fv, added_at))
            self.begun.append((customer_id, fv))
            self.result.follows_new += 1
            self.touched.add(customer_id)
            return
        change: dict[str, Any] = {"id": state.id, **values}
        if state.status != FRIEND:
            if state.deleted_at is not None and added_at <= state.deleted_at:
                return  # an older picture than the deletion we know of
            change |= {"status": FRIEND, "deleted_at": None}
            state.status, state.deleted_at = FRIEND, None
            self.entries.append(_added_entry(customer_id, fv, added_at))
            self.begun.append((customer_id, fv))
            self.touched.add(customer_id)
        if state.tag_ids != list(fv.tag_ids):
            state.tag_ids = list(fv.tag_ids)
            self.touched.add(customer_id)
        state.added_at = added_at
        self.updates.append(change)

    def unlisted(self, customer_id: int, known: dict[str, _FollowState], listed: set[str]) -> None:
        """A complete view that lacks a friendship we hold: it is gone (who ended it, the
        deletion callback tells, if it comes)."""
        for userid, state in known.items():
            if userid not in listed and state.status == FRIEND and state.id is not None:
                self.updates.append({"id": state.id, "status": REMOVED, "deleted_at": self.now})
                state.status, state.deleted_at = REMOVED, self.now
                self.entries.append(timeline.Entry(customer_id, "friend_removed", self.now, userid))
                self.result.follows_removed += 1
                self.touched.add(customer_id)


def apply_views(
    session: Session,
    tenant_id: int,
    views: Sequence[ContactView],
    *,
    now: dt.datetime,
    run_id: int | None = None,
    announced: dict[tuple[str, str], str] | None = None,
) -> Applied:
    """Make customers and follows match what WeCom showed; append the timeline for friendships
    that began or ended; recompute tags, owner and status of the customers touched; tell the
    listeners of :mod:`hooks` which friendships began. ``announced`` maps (external_userid,
    userid) of an add callback to its welcome code: that friendship is told to the listeners
    with the code even when Siyu already held it."""
    result = Applied()
    if not views:
        return result
    ids, new_ids = _ensure_customers(session, tenant_id, views, now)
    result.customer_ids, result.customers_new = ids, len(new_ids)
    existing = _follows_of(session, tenant_id, list(ids.values()))
    changes = _Changes(tenant_id, now, run_id, result)
    for view in views:
        customer_id = ids.get(view.contact.external_userid)
        if customer_id is None:  # erased on request: WeCom's copy is not taken back
            continue
        for fv in view.follows:
            changes.follow(customer_id, existing[customer_id], fv)
        if view.complete:
            changes.unlisted(customer_id, existing[customer_id], {f.userid for f in view.follows})
    if changes.inserts:
        unique = ["tenant_id", "customer_id", "userid"]
        insert_rows_ignoring(session, FOLLOWS, unique, changes.inserts)
    if changes.updates:
        _update_by_id(session, Follow, changes.updates)
    _add_phones(session, tenant_id, changes.phones, source="wecom")
    touched = changes.touched | set(new_ids)
    if touched:
        follows = {cid: list(existing[cid].values()) for cid in touched}
        _recompute_tags(session, tenant_id, follows, now, quiet=set(new_ids))
        _recompute_customers(session, tenant_id, follows, now)
    timeline.append_many(session, tenant_id, changes.entries)
    audience.touch(session, tenant_id, ids.values())
    hooks.notify(session, tenant_id, _friends_added(views, ids, changes.begun, announced or {}))
    return result


def _friends_added(
    views: Sequence[ContactView],
    ids: dict[str, int],
    begun: list[tuple[int, FollowView]],
    announced: dict[tuple[str, str], str],
) -> list[hooks.FriendAdded]:
    external = {cid: ext for ext, cid in ids.items()}
    added: dict[tuple[int, str], hooks.FriendAdded] = {}

    def tell(customer_id: int, fv: FollowView, is_new: bool) -> None:
        ext = external[customer_id]
        added[(customer_id, fv.userid)] = hooks.FriendAdded(
            customer_id=customer_id,
            external_userid=ext,
            userid=fv.userid,
            state=fv.state,
            add_way=fv.add_way,
            added_at=from_timestamp(fv.createtime),
            remark_mobiles=fv.remark_mobiles,
            welcome_code=announced.get((ext, fv.userid)),
            begun=is_new,
        )

    for customer_id, fv in begun:
        tell(customer_id, fv, True)
    for view in views:
        known_id = ids.get(view.contact.external_userid)
        for fv in view.follows:
            key = (view.contact.external_userid, fv.userid)
            if known_id is not None and key in announced and (known_id, fv.userid) not in added:
                tell(known_id, fv, False)
    return list(added.values())


def _added_entry(customer_id: int, fv: FollowView, at: dt.datetime) -> timeline.Entry:
    return timeline.Entry(
        customer_id,
        "friend_added",
        at,
        fv.userid,
        {"state": fv.state, "add_way": fv.add_way},
        key=f"friend_added:{customer_id}:{fv.userid}:{fv.createtime}",
    )


def _update_by_id(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key, grouped by the set of columns each row changes."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_columns[tuple(sorted(row))].append(row)
    for group in by_columns.values():
        session.execute(update(model), group)


def _ensure_customers(
    session: Session, tenant_id: int, views: Sequence[ContactView], now: dt.datetime
) -> tuple[dict[str, int], list[int]]:
    """Customer ids by external_userid, inserting the new ones and refreshing WeCom's fields of
    the known ones. Erased customers are left out."""
    contacts = {v.contact.external_userid: v.contact for v in views}
    # A new customer's owner is the account that has had them longest (as far as this batch
    # shows); the recomputation after the follows are stored corrects it if needed.
    earliest = {
        v.contact.external_userid: min(v.follows, key=lambda f: f.createtime)
        for v in views
        if v.follows
    }
    rows = session.execute(
        select(
            Customer.id,
            Customer.external_userid,
            Customer.status,
            *[getattr(Customer, f) for f in WECOM_FIELDS],
        ).where(Customer.tenant_id == tenant_id, Customer.external_userid.in_(list(contacts)))
    ).all()
    ids: dict[str, int] = {}
    changes: list[dict[str, Any]] = []
    for row in rows:
        ext = cast(str, row.external_userid)
        if row.status == ERASED:
            contacts.pop(ext)
            continue
        ids[ext] = row.id
        contact = contacts.pop(ext)
        fresh = {f: getattr(contact, f) for f in WECOM_FIELDS}
        if any(getattr(row, f) != fresh[f] for f in WECOM_FIELDS):
            changes.append({"id": row.id, **fresh, "updated_at": now})
    new_ids: list[int] = []
    if contacts:
        statement = insert_ignoring(session, CUSTOMERS, ["tenant_id", "external_userid"])
        inserted = session.execute(
            statement.returning(CUSTOMERS.c.id, CUSTOMERS.c.external_userid),
            [
                {
                    "tenant_id": tenant_id,
                    "external_userid": ext,
                    **{f: getattr(c, f) for f in WECOM_FIELDS},
                    "status": ACTIVE,
                    "owner_userid": earliest[ext].userid if ext in earliest else None,
                    # The channel code (state) they first came by, as the channel of record.
                    "source_channel": earliest[ext].state if ext in earliest else "",
                    "first_added_at": (
                        from_timestamp(earliest[ext].createtime) if ext in earliest else None
                    ),
                    "custom": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for ext, c in contacts.items()
            ],
        ).all()
        for row in inserted:
            ids[row.external_userid] = row.id
            new_ids.append(row.id)
        missing = [ext for ext in contacts if ext not in ids]
        if missing:  # inserted meanwhile by another writer
            for row in session.execute(
                select(Customer.id, Customer.external_userid).where(
                    Customer.tenant_id == tenant_id, Customer.external_userid.in_(missing)
                )
            ):
                ids[cast(str, row.external_userid)] = row.id
    if changes:
        _update_by_id(session, Customer, changes)
    return ids, new_ids


def _follows_of(
    session: Session, tenant_id: int, customer_ids: list[int]
) -> dict[int, dict[str, _FollowState]]:
    found: dict[int, dict[str, _FollowState]] = {cid: {} for cid in customer_ids}
    if not customer_ids:
        return found
    for row in session.execute(
        select(
            Follow.id,
            Follow.customer_id,
            Follow.userid,
            Follow.status,
            Follow.added_at,
            Follow.deleted_at,
            Follow.wecom_tag_ids,
        ).where(Follow.tenant_id == tenant_id, Follow.customer_id.in_(customer_ids))
    ):
        found[row.customer_id][row.userid] = _FollowState(
            row.id, row.userid, row.status, row.added_at, row.deleted_at, list(row.wecom_tag_ids)
        )
    return found


def _add_phones(
    session: Session, tenant_id: int, pairs: list[tuple[int, str]], *, source: str
) -> None:
    rows = []
    for customer_id, raw in pairs:
        try:
            phone = phones.normalise(raw)
        except phones.BadPhone:
            continue
        rows.append(
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "phone_hash": phones.lookup_hash(phone),
                "sealed": phones.seal(phone),
                "masked": phones.masked(phone),
                "source": source,
            }
        )
    if rows:
        insert_rows_ignoring(session, PHONES, ["tenant_id", "customer_id", "phone_hash"], rows)


def add_phone(
    session: Session, tenant_id: int, customer_id: int, raw: str, source: str, actor: str = ""
) -> None:
    """Add a phone number (raises :class:`phones.BadPhone`); a number the customer has is kept.
    The timeline shows it masked."""
    phone = phones.normalise(raw)
    _add_phones(session, tenant_id, [(customer_id, raw)], source=source)
    timeline.append(
        session,
        tenant_id,
        customer_id,
        "phone_added",
        at=utcnow(),
        actor=actor,
        detail={"phone": phones.masked(phone), "source": source},
        key=f"phone_added:{customer_id}:{phones.lookup_hash(phone)}",
    )


def _recompute_tags(
    session: Session,
    tenant_id: int,
    follows: dict[int, list[_FollowState]],
    now: dt.datetime,
    *,
    quiet: set[int],
) -> None:
    """A customer's mirrored tags are the union of the corp tags WeCom holds on their current
    friendships, plus tag writes still on their way to WeCom, minus removals on their way."""
    customer_ids = list(follows)
    wecom_ids = {t for states in follows.values() for s in states for t in s.tag_ids}
    tag_of = (
        dict(
            session.execute(
                select(Tag.wecom_id, Tag.id).where(
                    Tag.tenant_id == tenant_id, Tag.wecom_id.in_(wecom_ids)
                )
            ).all()
        )
        if wecom_ids
        else {}
    )
    pending_add: dict[int, set[int]] = defaultdict(set)
    pending_remove: dict[int, set[int]] = defaultdict(set)
    for write in session.scalars(
        select(TagWrite)
        .where(
            TagWrite.tenant_id == tenant_id,
            TagWrite.customer_id.in_(customer_ids),
            TagWrite.state == PENDING,
        )
        .order_by(TagWrite.id)
    ):
        for tag_id in write.add:
            pending_add[write.customer_id].add(tag_id)
            pending_remove[write.customer_id].discard(tag_id)
        for tag_id in write.remove:
            pending_remove[write.customer_id].add(tag_id)
            pending_add[write.customer_id].discard(tag_id)
    current: dict[int, set[int]] = defaultdict(set)
    for customer_id, tag_id in session.execute(
        select(CustomerTag.customer_id, CustomerTag.tag_id)
        .join(Tag, Tag.id == CustomerTag.tag_id)
        .where(
            CustomerTag.tenant_id == tenant_id,
            CustomerTag.customer_id.in_(customer_ids),
            Tag.wecom_id.is_not(None),
        )
    ):
        current[customer_id].add(tag_id)
    adds: list[dict[str, Any]] = []
    removes: list[tuple[int, int]] = []
    entries: list[timeline.Entry] = []
    for customer_id, states in follows.items():
        mirrored = {
            tag_of[t] for s in states if s.status == FRIEND for t in s.tag_ids if t in tag_of
        }
        wanted = (mirrored | pending_add[customer_id]) - pending_remove[customer_id]
        have = current[customer_id]
        for tag_id in wanted - have:
            adds.append(
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer_id,
                    "tag_id": tag_id,
                    "source": "wecom",
                    "created_at": now,
                }
            )
        for tag_id in have - wanted - pending_add[customer_id]:
            removes.append((customer_id, tag_id))
        if customer_id not in quiet:
            gained, lost = sorted(wanted - have), sorted(have - wanted)
            if gained:
                entries.append(
                    timeline.Entry(customer_id, "tagged", now, "wecom", {"tag_ids": gained})
                )
            if lost:
                entries.append(
                    timeline.Entry(customer_id, "untagged", now, "wecom", {"tag_ids": lost})
                )
    if adds:
        insert_rows_ignoring(session, CUSTOMER_TAGS, ["customer_id", "tag_id"], adds)
    if removes:
        session.execute(
            delete(CustomerTag).where(
                tuple_(CustomerTag.customer_id, CustomerTag.tag_id).in_(removes)
            )
        )
    timeline.append_many(session, tenant_id, entries)


def _recompute_customers(
    session: Session, tenant_id: int, follows: dict[int, list[_FollowState]], now: dt.datetime
) -> None:
    """Status (a friend of anyone?), first added, and the owner: kept while still a friend,
    otherwise the account that has been a friend longest."""
    current = {
        row.id: row
        for row in session.execute(
            select(
                Customer.id, Customer.owner_userid, Customer.status, Customer.first_added_at
            ).where(Customer.id.in_(list(follows)))
        )
    }
    changes = []
    for customer_id, states in follows.items():
        friends = sorted((s for s in states if s.status == FRIEND), key=lambda s: s.added_at)
        row = current.get(customer_id)
        if row is None or row.status == ERASED:
            continue
        owner = row.owner_userid
        if owner not in {s.userid for s in friends}:
            owner = friends[0].userid if friends else owner
        fresh = {
            "status": ACTIVE if friends else LOST,
            "owner_userid": owner,
            "first_added_at": min((s.added_at for s in states), default=None),
        }
        if fresh != {k: getattr(row, k) for k in fresh}:
            changes.append({"id": customer_id, **fresh, "updated_at": now})
    if changes:
        _update_by_id(session, Customer, changes)


def end_follow(
    session: Session,
    tenant_id: int,
    *,
    external_userid: str,
    userid: str,
    kind: str,
    at: dt.datetime,
    alert: bool = True,
) -> bool:
    """A friendship ended (``del_follow_user``: the customer deleted the staff;
    ``del_external_contact``: the staff deleted the customer, or a transfer moved them). Marks
    the follow, raises a churn alert, appends the timeline — once, however often WeCom repeats
    the callback. False when the customer or follow is unknown."""
    assert kind in (DELETED_BY_CUSTOMER, DELETED_BY_STAFF, TRANSFERRED)
    customer = session.scalar(
        select(Customer).where(
            Customer.tenant_id == tenant_id, Customer.external_userid == external_userid
        )
    )
    if customer is None or customer.status == ERASED:
        return False
    follow = session.scalar(
        select(Follow).where(
            Follow.tenant_id == tenant_id,
            Follow.customer_id == customer.id,
            Follow.userid == userid,
        )
    )
    if follow is None or follow.added_at > at:
        return False  # unknown, or the event is older than the friendship we know
    if follow.status != kind or follow.deleted_at != at:
        follow.status, follow.deleted_at = kind, at
    if alert:
        session.execute(
            insert_ignoring(
                session,
                cast(Table, ChurnAlert.__table__),
                ["tenant_id", "customer_id", "userid", "kind", "at"],
            ),
            [
                {
                    "tenant_id": tenant_id,
                    "customer_id": customer.id,
                    "userid": userid,
                    "kind": kind,
                    "at": at,
                    "note": "",
                }
            ],
        )
    timeline.append(
        session,
        tenant_id,
        customer.id,
        f"friend_{kind}",
        at=at,
        actor=userid,
        key=f"{kind}:{customer.id}:{userid}:{int(at.timestamp())}",
    )
    session.flush()
    states = _follows_of(session, tenant_id, [customer.id])
    _recompute_tags(
        session, tenant_id, {customer.id: list(states[customer.id].values())}, at, quiet=set()
    )
    _recompute_customers(session, tenant_id, {customer.id: list(states[customer.id].values())}, at)
    audience.touch(session, tenant_id, [customer.id])
    return True


def finish_run_removals(
    session: Session, tenant_id: int, run_id: int, userids: list[str], now: dt.datetime
) -> int:
    """After a full sync: friendships of the covered staff it did not see are gone."""
    gone = list(
        session.execute(
            select(Follow.id, Follow.customer_id, Follow.userid)
            .join(Customer, Customer.id == Follow.customer_id)
            .where(
                Follow.tenant_id == tenant_id,
                Follow.status == FRIEND,
                Follow.userid.in_(userids),
                (Follow.seen_by_run.is_(None)) | (Follow.seen_by_run != run_id),
                Customer.status != ERASED,  # the sync leaves erased people alone
            )
        )
    )
    if not gone:
        return 0
    _update_by_id(
        session, Follow, [{"id": r.id, "status": REMOVED, "deleted_at": now} for r in gone]
    )
    timeline.append_many(
        session,
        tenant_id,
        [timeline.Entry(r.customer_id, "friend_removed", now, r.userid, {}) for r in gone],
    )
    customer_ids = list({r.customer_id for r in gone})
    states = _follows_of(session, tenant_id, customer_ids)
    follows = {cid: list(states[cid].values()) for cid in customer_ids}
    _recompute_tags(session, tenant_id, follows, now, quiet=set())
    _recompute_customers(session, tenant_id, follows, now)
    return len(gone)


def start_sync(session: Session, tenant_id: int) -> CustomerSyncRun:
    """Start a full sync, or return the one under way. A run whose job has died is closed as
    failed, so it never blocks the next."""
    return jobs.start_run(session, CustomerSyncRun, tenant_id, SYNC_JOB, "customer-sync")


def request_refresh(
    session: Session,
    tenant_id: int,
    external_userid: str,
    reason: str,
    *,
    announce: dict[str, str] | None = None,
    urgent: bool = False,
) -> None:
    """Read one customer again from WeCom (after a callback that says it changed).
    ``announce`` (``userid``, ``welcome_code``) is an add callback's friendship, told to the
    :mod:`hooks` listeners with its welcome code once the customer is stored; ``urgent`` runs
    the read next on this worker thread (see :func:`siyu.jobs.chain_after`)."""
    payload: dict[str, object] = {"tenant_id": tenant_id, "external_userid": external_userid}
    if announce:
        payload["announce"] = announce
    jobs.submit(
        session,
        REFRESH_JOB,
        payload,
        chain=urgent,  # a new friend waiting for the welcome: read at once, on this thread
        tenant_id=tenant_id,
        key=f"customer-refresh:{tenant_id}:{external_userid}:{reason}",
    )


# --- the profile, edited in Siyu ---------------------------------------------------------------

PROFILE_FIELDS = (
    "birthday",
    "city",
    "member_level",
    "preferences",
    "follow_up_days",
    "owner_userid",
    "store_id",
    "source_channel",
    "notes",
    "custom",
)
TEXT_FIELDS = frozenset({"city", "member_level", "preferences", "source_channel", "notes"})


def edit_profile(
    session: Session, customer: Customer, changes: dict[str, Any], *, actor: str
) -> dict[str, tuple[Any, Any]]:
    """Apply profile changes; returns what changed (before, after) and puts it on the timeline.
    ``custom`` merges key by key; a key set to None is removed."""
    if customer.status == ERASED:
        raise CustomerErased
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in changes.items():
        if name not in PROFILE_FIELDS:
            continue
        before = getattr(customer, name)
        after: Any
        if name == "custom":
            merged = {**before, **(value or {})}
            after = {k: v for k, v in merged.items() if v is not None}
        elif value is None and name in TEXT_FIELDS:
            after = ""
        else:
            after = value
        if after != before:
            setattr(customer, name, after)
            changed[name] = (before, after)
    if changed:
        now = utcnow()
        customer.updated_at = now
        shown = {k: printable(v[1]) for k, v in changed.items() if k != "notes"}
        timeline.append(
            session,
            customer.tenant_id,
            customer.id,
            "profile_edited",
            at=now,
            actor=actor,
            detail={"fields": sorted(changed), "values": shown},
        )
        audience.touch(session, customer.tenant_id, [customer.id])
    return changed


def printable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def handle_alert(alert: ChurnAlert, *, member_id: int | None, note: str) -> None:
    if alert.handled_at is None:
        alert.handled_at, alert.handled_by, alert.note = utcnow(), member_id, note


# --- personal data ---------------------------------------------------------------------------


def personal_data(session: Session, customer: Customer) -> dict[str, Any]:
    """Everything Siyu holds about one person, phones in full: the answer to an access request."""

    def row(obj: Any, *skip: str) -> dict[str, Any]:
        return {
            c.key: printable(getattr(obj, c.key))
            for c in obj.__table__.columns
            if c.key not in skip
        }

    tag_names = session.execute(
        select(Tag.name, CustomerTag.source, CustomerTag.created_at)
        .join(CustomerTag, CustomerTag.tag_id == Tag.id)
        .where(CustomerTag.customer_id == customer.id)
    ).all()
    return {
        "customer": row(customer, "tenant_id"),
        "phones": [
            {
                "phone": phones.unseal(p.sealed),
                "source": p.source,
                "added": printable(p.created_at),
            }
            for p in session.scalars(
                select(CustomerPhone).where(CustomerPhone.customer_id == customer.id)
            )
        ],
        "follows": [
            row(f, "tenant_id", "seen_by_run")
            for f in session.scalars(select(Follow).where(Follow.customer_id == customer.id))
        ],
        "tags": [
            {"tag": name, "source": source, "at": printable(at)} for name, source, at in tag_names
        ],
        "timeline": [
            row(e, "tenant_id", "key")
            for e in session.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.customer_id == customer.id)
                .order_by(TimelineEvent.at.desc())
            )
        ],
        "churn_alerts": [
            row(a, "tenant_id")
            for a in session.scalars(
                select(ChurnAlert).where(ChurnAlert.customer_id == customer.id)
            )
        ],
    }


ERASED_NAME = "（已删除）"


def erase(session: Session, customer: Customer) -> None:
    """Erase a person on request: profile, phones, remarks and the text of the timeline go; the
    bare row stays (so a later sync does not bring the person back) with what happened when."""
    now = utcnow()
    session.execute(delete(CustomerPhone).where(CustomerPhone.customer_id == customer.id))
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == customer.id))
    session.execute(
        update(Follow)
        .where(Follow.customer_id == customer.id)
        .values(remark="", description="", state="", wecom_tag_ids=[])
    )
    session.execute(
        update(TimelineEvent)
        .where(TimelineEvent.customer_id == customer.id)
        .values(detail={}, actor="")
    )
    session.execute(update(ChurnAlert).where(ChurnAlert.customer_id == customer.id).values(note=""))
    for name in ("name", "avatar", "unionid", "corp_name", *TEXT_FIELDS):
        setattr(customer, name, ERASED_NAME if name == "name" else "")
    customer.birthday = None
    customer.follow_up_days = None
    customer.custom = {}
    customer.status, customer.erased_at, customer.updated_at = ERASED, now, now
    timeline.append(session, customer.tenant_id, customer.id, "erased", at=now)
    audience.touch(session, customer.tenant_id, [customer.id])
