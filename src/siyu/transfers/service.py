"""Customer transfers: starting one, and recording what WeCom says about each customer. Never
commits and never calls WeCom — the jobs in :mod:`siyu.transfers.tasks` do that around these.

The life of a customer in a transfer (a :class:`TransferItem`)::

    queued → sending → waiting → accepted | refused | failed
                     ↘ failed (WeCom refused at once)

``sending`` is written and committed before WeCom is asked, together with which job attempt is
asking. WeCom's ``transfer_customer`` is not idempotent, so an item found in ``sending`` whose
attempt is over is never asked again blindly: it is looked up in ``transfer_result`` and takes
the state found there, and only a customer WeCom holds no record of goes back to ``queued``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.auth.principal import Principal
from siyu.customers import timeline
from siyu.customers.models import ERASED, FRIEND, Customer, Follow
from siyu.db import utcnow
from siyu.segments import changes as audience
from siyu.staff.models import StaffAccount
from siyu.staff.service import LEFT
from siyu.transfers import reasons
from siyu.transfers.errors import (
    HandoverLeft,
    HandoverNotLeft,
    MessageNotForResigned,
    NoCustomers,
    NotConnected,
    NotHandoverCustomers,
    SameStaff,
    TakeoverLeft,
    TakeoverNoContact,
    UnknownStaff,
)
from siyu.transfers.models import (
    ACCEPTED,
    ACTIVE,
    DONE,
    FAILED,
    ITEM_SENDING,
    ITEM_WAITING,
    QUEUED,
    REFUSED,
    RESIGNED,
    SENDING,
    WAITING,
    Transfer,
    TransferItem,
)
from siyu.transfers.schemas import TransferIn
from siyu.wecom import schemas
from siyu.wecom import service as wecom

SEND_JOB = "transfers.send"
POLL_JOB = "transfers.poll"
POLL_ALL_JOB = "transfers.poll_all"
TIMELINE_KIND = "transferred"

PER_CALL = 100  # WeCom takes at most 100 customers per transfer_customer call
LIMIT_WINDOW = dt.timedelta(days=reasons.LIMIT_DAYS)
# WeCom's clock and ours may differ a little when telling an old transfer record from ours.
CLOCK_SKEW = dt.timedelta(minutes=5)
# A customer WeCom still does not list this long after it accepted the request: given up.
UNLISTED_GIVE_UP = dt.timedelta(days=7)
# The first look at the results, soon after sending (customers may answer at once).
FIRST_POLL = dt.timedelta(minutes=1)

# transfer_result's status values.
WECOM_DONE, WECOM_WAITING, WECOM_REFUSED, WECOM_LIMIT, WECOM_NO_RECORD = 1, 2, 3, 4, 5


# --- starting a transfer -------------------------------------------------------------------


def _staff(session: Session, tenant_id: int, userid: str) -> StaffAccount:
    account = session.scalar(
        select(StaffAccount).where(
            StaffAccount.tenant_id == tenant_id, StaffAccount.userid == userid
        )
    )
    if account is None:
        raise UnknownStaff(userid=userid)
    return account


def _validate_staff(session: Session, tenant_id: int, body: TransferIn) -> None:
    if body.handover_userid == body.takeover_userid:
        raise SameStaff(userid=body.handover_userid)
    handover = _staff(session, tenant_id, body.handover_userid)
    takeover = _staff(session, tenant_id, body.takeover_userid)
    if takeover.status == LEFT:
        raise TakeoverLeft(userid=takeover.userid)
    if not takeover.customer_contact:
        raise TakeoverNoContact(userid=takeover.userid)
    if body.kind == RESIGNED and handover.status != LEFT:
        raise HandoverNotLeft(userid=handover.userid)
    if body.kind == ACTIVE and handover.status == LEFT:
        raise HandoverLeft(userid=handover.userid)
    if body.kind == RESIGNED and body.message:
        raise MessageNotForResigned


def current_customers(
    session: Session, tenant_id: int, userid: str, customer_ids: list[int] | None = None
) -> list[tuple[int, str]]:
    """(customer id, external_userid) of the account's current friends, oldest first."""
    query = (
        select(Customer.id, Customer.external_userid)
        .join(Follow, Follow.customer_id == Customer.id)
        .where(
            Follow.tenant_id == tenant_id,
            Follow.userid == userid,
            Follow.status == FRIEND,
            Customer.status != ERASED,
            Customer.external_userid.is_not(None),
        )
        .order_by(Follow.added_at, Customer.id)
    )
    if customer_ids is not None:
        query = query.where(Customer.id.in_(customer_ids))
    return [(cid, ext) for cid, ext in session.execute(query) if ext]


def _known_limits(
    session: Session, tenant_id: int, external_userids: list[str], now: dt.datetime
) -> dict[str, str]:
    """Customers Siyu already knows WeCom will refuse: one in another transfer under way, or
    transferred twice within 90 days (WeCom's limit; transfers made elsewhere WeCom still
    counts, and its answer then says so)."""
    found: dict[str, str] = {}
    if not external_userids:
        return found
    recent: dict[str, int] = {}
    for chunk in range(0, len(external_userids), 500):
        ids = external_userids[chunk : chunk + 500]
        rows = session.execute(
            select(TransferItem.external_userid, TransferItem.status, func.count())
            .where(
                TransferItem.tenant_id == tenant_id,
                TransferItem.external_userid.in_(ids),
                or_(
                    TransferItem.status.in_((QUEUED, ITEM_SENDING, ITEM_WAITING)),
                    and_(
                        TransferItem.status == ACCEPTED,
                        TransferItem.requested_at > now - LIMIT_WINDOW,
                    ),
                ),
            )
            .group_by(TransferItem.external_userid, TransferItem.status)
        )
        for ext, status, n in rows:
            if status == ACCEPTED:
                recent[ext] = recent.get(ext, 0) + n
            else:
                found[ext] = reasons.IN_PROGRESS
    for ext, n in recent.items():
        if n >= reasons.LIMIT_TRANSFERS and ext not in found:
            found[ext] = reasons.TOO_FREQUENT
    return found


def create(session: Session, principal: Principal, body: TransferIn) -> Transfer:
    """Check the accounts and customers, write the transfer with one item per customer, and ask
    for it to be sent. Customers WeCom is known to refuse fail at once with the reason."""
    tenant_id = principal.tenant_id
    _validate_staff(session, tenant_id, body)
    if wecom.get(session, tenant_id) is None:
        raise NotConnected
    wanted = sorted(set(body.customer_ids)) if body.customer_ids is not None else None
    customers = current_customers(session, tenant_id, body.handover_userid, wanted)
    if wanted is not None and len(customers) < len(wanted):
        missing = sorted(set(wanted) - {cid for cid, _ in customers})
        shown = ", ".join(str(i) for i in missing[:20]) + (" …" if len(missing) > 20 else "")
        raise NotHandoverCustomers(userid=body.handover_userid, ids=shown)
    if not customers:
        raise NoCustomers(userid=body.handover_userid)
    now = utcnow()
    transfer = Transfer(
        tenant_id=tenant_id,
        kind=body.kind,
        handover_userid=body.handover_userid,
        takeover_userid=body.takeover_userid,
        message=body.message or "",
        state=SENDING,
        created_by=principal.user_id,
        created_by_label=principal.label[:100],
        created_at=now,
    )
    session.add(transfer)
    session.flush()
    refused = _known_limits(session, tenant_id, [ext for _, ext in customers], now)
    rows: list[dict[str, Any]] = []
    for customer_id, ext in customers:
        reason = refused.get(ext, "")
        rows.append(
            {
                "tenant_id": tenant_id,
                "transfer_id": transfer.id,
                "customer_id": customer_id,
                "external_userid": ext,
                "status": FAILED if reason else QUEUED,
                "reason": reason,
                "errcode": None,
                "errmsg": "",
                "settled_at": now if reason else None,
            }
        )
    session.execute(insert(TransferItem), rows)
    refresh_state(session, transfer.id, now)
    if len(refused) < len(customers):
        request_send(session, tenant_id)
    return transfer


def request_send(session: Session, tenant_id: int) -> None:
    jobs.submit_coalesced(session, SEND_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id)


def request_poll(session: Session, tenant_id: int, *, soon: bool = False) -> None:
    if soon:
        jobs.submit(
            session,
            POLL_JOB,
            {"tenant_id": tenant_id},
            tenant_id=tenant_id,
            run_after=utcnow() + FIRST_POLL,
        )
    else:
        jobs.submit_coalesced(session, POLL_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id)


# --- the state of a transfer ---------------------------------------------------------------


def refresh_state(session: Session, transfer_id: int, now: dt.datetime) -> None:
    """The transfer's state from its items: sending while any is to be asked of WeCom, waiting
    while a customer may still refuse, done when every customer is settled."""
    session.flush()
    statuses = set(
        session.scalars(
            select(TransferItem.status).where(TransferItem.transfer_id == transfer_id).distinct()
        )
    )
    transfer = session.get(Transfer, transfer_id)
    if transfer is None:
        return
    if statuses & {QUEUED, ITEM_SENDING}:
        state = SENDING
    elif ITEM_WAITING in statuses:
        state = WAITING
    else:
        state = DONE
    if transfer.state != state:
        transfer.state = state
        transfer.finished_at = now if state == DONE else None


# --- recording WeCom's answers -------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """The job attempt that is asking WeCom about an item (its lease fences the answer)."""

    job_id: int
    attempt: int


def claim(
    session: Session, transfer_id: int, claim: Claim, now: dt.datetime, limit: int = PER_CALL
) -> list[tuple[int, str]]:
    """Mark up to ``limit`` queued items of a transfer ``sending`` by this attempt: (id,
    external_userid) of those it took. The update only takes items still queued, so two
    workers never take the same customer."""
    candidates = list(
        session.scalars(
            select(TransferItem.id)
            .where(TransferItem.transfer_id == transfer_id, TransferItem.status == QUEUED)
            .order_by(TransferItem.id)
            .limit(limit)
        )
    )
    if not candidates:
        return []
    taken = session.execute(
        update(TransferItem)
        .where(TransferItem.id.in_(candidates), TransferItem.status == QUEUED)
        .values(
            status=ITEM_SENDING,
            sending_at=now,
            claim_job_id=claim.job_id,
            claim_attempt=claim.attempt,
        )
        .returning(TransferItem.id, TransferItem.external_userid)
        .execution_options(synchronize_session=False)
    ).all()
    refresh_state(session, transfer_id, now)
    return sorted((item_id, ext) for item_id, ext in taken)


def _move(
    session: Session, item_id: int, expected: str, values: dict[str, Any], claim: Claim | None
) -> bool:
    """Change an item only if it still is as expected (and, while sending, still ours)."""
    conditions = [TransferItem.id == item_id, TransferItem.status == expected]
    if claim is not None and claim.job_id:
        conditions += [
            TransferItem.claim_job_id == claim.job_id,
            TransferItem.claim_attempt == claim.attempt,
        ]
    elif claim is not None:  # sending with no attempt recorded
        conditions.append(TransferItem.claim_job_id.is_(None))
    moved = session.execute(
        update(TransferItem)
        .where(*conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount == 1)  # type: ignore[attr-defined]


def _failed(
    reason: str, now: dt.datetime, errcode: int | None = None, errmsg: str = ""
) -> dict[str, Any]:
    return {
        "status": FAILED,
        "reason": reason,
        "errcode": errcode,
        "errmsg": errmsg[:300],
        "settled_at": now,
    }


def record_started(
    session: Session,
    transfer_id: int,
    claim: Claim,
    items: list[tuple[int, str]],
    outcomes: list[schemas.TransferOutcome],
    now: dt.datetime,
) -> list[tuple[int, str]]:
    """WeCom answered ``transfer_customer``: errcode 0 → waiting (the customer has 24 hours to
    refuse), otherwise failed with the reason. Returns the items WeCom's answer left out."""
    answered = {o.external_userid: o.errcode for o in outcomes}
    unanswered = []
    for item_id, ext in items:
        if ext not in answered:
            unanswered.append((item_id, ext))
            continue
        errcode = answered[ext]
        if errcode == 0:
            values: dict[str, Any] = {"status": ITEM_WAITING}
        else:
            values = _failed(reasons.for_errcode(errcode), now, errcode)
        _move(session, item_id, ITEM_SENDING, values | {"requested_at": now}, claim)
    refresh_state(session, transfer_id, now)
    return unanswered


def record_refused_call(
    session: Session,
    transfer_id: int,
    claim: Claim,
    items: list[tuple[int, str]],
    errcode: int,
    errmsg: str,
    now: dt.datetime,
) -> None:
    """WeCom refused the whole call (nothing was started): each customer fails with why."""
    values = _failed(reasons.for_errcode(errcode), now, errcode, errmsg) | {"requested_at": now}
    for item_id, _ext in items:
        _move(session, item_id, ITEM_SENDING, values, claim)
    refresh_state(session, transfer_id, now)


def release(
    session: Session, transfer_id: int, claim: Claim, items: list[tuple[int, str]], now: dt.datetime
) -> None:
    """WeCom answered without starting anything (busy, rate limit): ask again later."""
    values = {"status": QUEUED, "sending_at": None, "claim_job_id": None, "claim_attempt": None}
    for item_id, _ext in items:
        _move(session, item_id, ITEM_SENDING, values, claim)
    refresh_state(session, transfer_id, now)


def fail_unsendable(session: Session, tenant_id: int, reason: str, now: dt.datetime) -> None:
    """Nothing can be sent for the tenant (no WeCom connection): queued customers fail."""
    transfer_ids = set(
        session.scalars(
            select(TransferItem.transfer_id).where(
                TransferItem.tenant_id == tenant_id, TransferItem.status == QUEUED
            )
        )
    )
    session.execute(
        update(TransferItem)
        .where(TransferItem.tenant_id == tenant_id, TransferItem.status == QUEUED)
        .values(**_failed(reason, now))
        .execution_options(synchronize_session=False)
    )
    for transfer_id in transfer_ids:
        refresh_state(session, transfer_id, now)


def orphaned(session: Session, tenant_id: int) -> dict[int, list[tuple[int, str, Claim]]]:
    """Items left ``sending`` by a job attempt that is over (the worker stopped, or the attempt
    failed after the request may have reached WeCom), by transfer."""
    rows = session.execute(
        select(
            TransferItem.id,
            TransferItem.transfer_id,
            TransferItem.external_userid,
            TransferItem.claim_job_id,
            TransferItem.claim_attempt,
            jobs.Job.state,
            jobs.Job.attempts,
        )
        .outerjoin(jobs.Job, jobs.Job.id == TransferItem.claim_job_id)
        .where(TransferItem.tenant_id == tenant_id, TransferItem.status == ITEM_SENDING)
        .order_by(TransferItem.id)
    ).all()
    found: dict[int, list[tuple[int, str, Claim]]] = {}
    for item_id, transfer_id, ext, job_id, attempt, job_state, job_attempts in rows:
        live = job_state == jobs.RUNNING and job_attempts == attempt
        if not live:
            found.setdefault(transfer_id, []).append(
                (item_id, ext, Claim(job_id or 0, attempt or 0))
            )
    return found


def latest_by_customer(
    results: Iterable[schemas.TransferStatus],
) -> dict[str, schemas.TransferStatus]:
    """WeCom may list a customer more than once for a pair of accounts: the last is the latest."""
    latest: dict[str, schemas.TransferStatus] = {}
    for row in results:
        latest[row.external_userid] = row
    return latest


def _is_older(result: schemas.TransferStatus, since: dt.datetime | None) -> bool:
    """A finished transfer that ended before ours was asked for is an earlier one."""
    if result.status != WECOM_DONE or not result.takeover_time or since is None:
        return False
    return from_timestamp(result.takeover_time) < since - CLOCK_SKEW


def from_timestamp(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def resolve_orphans(
    session: Session,
    tenant_id: int,
    transfer: Transfer,
    items: list[tuple[int, str, Claim]],
    results: dict[str, schemas.TransferStatus],
    now: dt.datetime,
    *,
    requeue: bool = True,
) -> int:
    """Items whose request may or may not have reached WeCom take the state WeCom's transfer
    results show. A customer WeCom holds no record of was never started: back to queued, or
    (``requeue=False``, when WeCom answered the call but left the customer out) failed.
    Returns how many went back to queued."""
    requeued = 0
    sending_at = dict(
        session.execute(
            select(TransferItem.id, TransferItem.sending_at).where(
                TransferItem.id.in_([item_id for item_id, _e, _c in items])
            )
        ).all()
    )
    for item_id, ext, old in items:
        result = results.get(ext)
        since = sending_at.get(item_id)
        if result is None or result.status == WECOM_NO_RECORD or _is_older(result, since):
            if requeue:
                values = {
                    "status": QUEUED,
                    "sending_at": None,
                    "claim_job_id": None,
                    "claim_attempt": None,
                }
                requeued += _move(session, item_id, ITEM_SENDING, values, old)
            else:
                values = _failed(reasons.NO_RECORD, now) | {"requested_at": since}
                _move(session, item_id, ITEM_SENDING, values, old)
            continue
        if _move(
            session, item_id, ITEM_SENDING, {"status": ITEM_WAITING, "requested_at": since}, old
        ):
            _apply_result(session, tenant_id, transfer, item_id, result, now)
    refresh_state(session, transfer.id, now)
    return requeued


def apply_results(
    session: Session,
    tenant_id: int,
    transfer: Transfer,
    results: dict[str, schemas.TransferStatus],
    now: dt.datetime,
) -> None:
    """Waiting customers of a transfer take the state WeCom's transfer results show."""
    waiting = session.execute(
        select(TransferItem.id, TransferItem.external_userid, TransferItem.requested_at).where(
            TransferItem.transfer_id == transfer.id, TransferItem.status == ITEM_WAITING
        )
    ).all()
    for item_id, ext, requested_at in waiting:
        result = results.get(ext)
        if result is None or _is_older(result, requested_at):
            if requested_at is not None and requested_at < now - UNLISTED_GIVE_UP:
                _move(session, item_id, ITEM_WAITING, _failed(reasons.NO_RECORD, now), None)
            continue
        _apply_result(session, tenant_id, transfer, item_id, result, now)
    refresh_state(session, transfer.id, now)


def _apply_result(
    session: Session,
    tenant_id: int,
    transfer: Transfer,
    item_id: int,
    result: schemas.TransferStatus,
    now: dt.datetime,
) -> None:
    if result.status == WECOM_DONE:
        at = from_timestamp(result.takeover_time) if result.takeover_time else now
        accept(session, tenant_id, transfer, item_id, at)
    elif result.status == WECOM_REFUSED:
        values = {"status": REFUSED, "reason": reasons.CUSTOMER_REFUSED, "settled_at": now}
        _move(session, item_id, ITEM_WAITING, values, None)
    elif result.status == WECOM_LIMIT:
        _move(session, item_id, ITEM_WAITING, _failed(reasons.TAKEOVER_LIMIT, now), None)
    elif result.status == WECOM_NO_RECORD:
        _move(session, item_id, ITEM_WAITING, _failed(reasons.NO_RECORD, now), None)
    # WECOM_WAITING: the customer may still refuse; look again later.


def accept(
    session: Session, tenant_id: int, transfer: Transfer, item_id: int, at: dt.datetime
) -> bool:
    """The customer now belongs to the takeover account: the item is accepted, the customer's
    owner becomes the takeover, the timeline says so. The friendships themselves follow from
    WeCom's add/delete callbacks. False if the item was no longer waiting."""
    if not _move(session, item_id, ITEM_WAITING, {"status": ACCEPTED, "settled_at": at}, None):
        return False
    item = session.get(TransferItem, item_id)
    assert item is not None
    customer = session.get(Customer, item.customer_id)
    if customer is not None and customer.status != ERASED:
        customer.owner_userid = transfer.takeover_userid
        customer.updated_at = utcnow()
        audience.touch(session, tenant_id, [customer.id])
        timeline.append(
            session,
            tenant_id,
            customer.id,
            TIMELINE_KIND,
            at=at,
            actor=transfer.created_by_label,
            detail={
                "from": transfer.handover_userid,
                "to": transfer.takeover_userid,
                "kind": transfer.kind,
                "transfer_id": transfer.id,
            },
            key=f"{TIMELINE_KIND}:{item_id}",
        )
    return True


def settle_from_callback(
    session: Session,
    tenant_id: int,
    *,
    external_userid: str,
    handover_userid: str | None = None,
    takeover_userid: str | None = None,
    reason: str | None = None,
    errmsg: str = "",
    at: dt.datetime,
) -> Transfer | None:
    """A callback settled a customer's transfer under way: accepted (``reason`` None) or
    refused/failed. WeCom names one side only; one transfer of a customer is under way at a
    time, so the latest waiting item of that customer and account is the one."""
    query = (
        select(TransferItem.id, Transfer)
        .join(Transfer, Transfer.id == TransferItem.transfer_id)
        .where(
            TransferItem.tenant_id == tenant_id,
            TransferItem.external_userid == external_userid,
            TransferItem.status == ITEM_WAITING,
        )
        .order_by(TransferItem.id.desc())
        .limit(1)
    )
    if handover_userid is not None:
        query = query.where(Transfer.handover_userid == handover_userid)
    if takeover_userid is not None:
        query = query.where(Transfer.takeover_userid == takeover_userid)
    found = session.execute(query).first()
    if found is None:
        return None
    item_id, transfer = found
    if reason is None:
        accept(session, tenant_id, transfer, item_id, at)
    elif reason == reasons.CUSTOMER_REFUSED:
        values = {"status": REFUSED, "reason": reason, "settled_at": at}
        _move(session, item_id, ITEM_WAITING, values, None)
    else:
        _move(session, item_id, ITEM_WAITING, _failed(reason, at, None, errmsg), None)
    refresh_state(session, transfer.id, utcnow())
    return transfer


KEEP_OWNER_WITHIN = dt.timedelta(days=3)


def keep_owner(
    session: Session, tenant_id: int, external_userid: str, handover_userid: str, at: dt.datetime
) -> None:
    """After the handover's friendship ended by transfer, the customer's owner stays the takeover
    of the transfer just accepted, even before the new friendship is known (the recount of
    owners would otherwise pick another friend)."""
    found = session.execute(
        select(TransferItem.customer_id, Transfer.takeover_userid)
        .join(Transfer, Transfer.id == TransferItem.transfer_id)
        .where(
            TransferItem.tenant_id == tenant_id,
            TransferItem.external_userid == external_userid,
            TransferItem.status == ACCEPTED,
            TransferItem.settled_at >= at - KEEP_OWNER_WITHIN,
            Transfer.handover_userid == handover_userid,
        )
        .order_by(TransferItem.settled_at.desc(), TransferItem.id.desc())
        .limit(1)
    ).first()
    if found is None:
        return
    customer = session.get(Customer, found.customer_id)
    if customer is not None and customer.status != ERASED:
        customer.owner_userid = found.takeover_userid
        audience.touch(session, customer.tenant_id, [customer.id])


def open_pairs(session: Session, tenant_id: int, transfer_id: int | None = None) -> list[Transfer]:
    """Transfers with customers waiting, oldest first."""
    query = (
        select(Transfer)
        .where(
            Transfer.tenant_id == tenant_id,
            Transfer.id.in_(
                select(TransferItem.transfer_id).where(
                    TransferItem.tenant_id == tenant_id, TransferItem.status == ITEM_WAITING
                )
            ),
        )
        .order_by(Transfer.id)
    )
    if transfer_id is not None:
        query = query.where(Transfer.id == transfer_id)
    return list(session.scalars(query))


def tenants_with_open_items(session: Session) -> list[tuple[int, str]]:
    """(tenant, status) for every tenant with customers queued, sending or waiting."""
    return [
        (tenant_id, status)
        for tenant_id, status in session.execute(
            select(TransferItem.tenant_id, TransferItem.status)
            .where(TransferItem.status.in_((QUEUED, ITEM_SENDING, ITEM_WAITING)))
            .distinct()
        )
    ]
