"""Transfer jobs. WeCom is called with no transaction held; every write is a short transaction
fenced by the job's lease.

- ``transfers.send``: asks WeCom to transfer the queued customers of a tenant, 100 per call.
  Each batch is marked ``sending`` (and by which attempt) and committed before the call; the
  answer is recorded after it. Items a stopped attempt left ``sending`` are first looked up in
  ``transfer_result``, so a customer is never asked twice.
- ``transfers.poll``: reads ``transfer_result`` for the transfers with customers waiting, once
  soon after sending and then every 10 minutes (``transfers.poll_all``) until all are settled.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from huey import crontab
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job, renew
from siyu.transfers import events as _events  # noqa: F401 - registers the callback handlers
from siyu.transfers import reasons, service
from siyu.transfers.models import (
    ITEM_SENDING,
    ITEM_WAITING,
    QUEUED,
    RESIGNED,
    Transfer,
    TransferItem,
)
from siyu.wecom import schemas
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import WeComError

log = logging.getLogger("siyu.transfers")

MAX_RESULT_PAGES = 500
RENEW_EVERY_PAGES = 10


@dataclass(frozen=True)
class Pair:
    """A transfer as the calls to WeCom need it, read outside any transaction."""

    id: int
    kind: str
    handover_userid: str
    takeover_userid: str
    message: str

    @property
    def resigned(self) -> bool:
        return self.kind == RESIGNED

    @classmethod
    def of(cls, transfer: Transfer) -> Pair:
        return cls(
            transfer.id,
            transfer.kind,
            transfer.handover_userid,
            transfer.takeover_userid,
            transfer.message,
        )


def fetch_results(
    database: Database, client: WeComClient, pair: Pair, job_row: Job | None
) -> dict[str, schemas.TransferStatus]:
    """Every page of WeCom's transfer results for the pair's two accounts."""
    rows: list[schemas.TransferStatus] = []
    cursor = ""
    for page in range(1, MAX_RESULT_PAGES + 1):
        answer = client.transfer_result(
            pair.handover_userid, pair.takeover_userid, cursor, resigned=pair.resigned
        )
        rows += answer.customer
        if not answer.next_cursor:
            break
        cursor = answer.next_cursor
        if job_row is not None and page % RENEW_EVERY_PAGES == 0:
            renew(database, job_row)
    return service.latest_by_customer(rows)


# --- sending ---------------------------------------------------------------------------------


@io_job(service.SEND_JOB, max_attempts=20)
def send(database: Database, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        with database.transaction() as session:
            hold_lease(session, job_row)
            service.fail_unsendable(session, tenant_id, reasons.NOT_CONNECTED, utcnow())
        return
    recover(database, job_row, client, tenant_id)
    mine = service.Claim(job_row.id, job_row.attempts)
    started = False
    while True:
        with database.factory() as session:
            transfer_id = session.scalar(
                select(func.min(TransferItem.transfer_id)).where(
                    TransferItem.tenant_id == tenant_id, TransferItem.status == QUEUED
                )
            )
            transfer = session.get(Transfer, transfer_id) if transfer_id is not None else None
            pair = Pair.of(transfer) if transfer is not None else None
        if pair is None:
            break
        with database.transaction() as session:
            hold_lease(session, job_row)
            items = service.claim(session, pair.id, mine, utcnow())
        if items:
            started |= send_batch(database, job_row, client, tenant_id, pair, mine, items)
    if started:
        with database.transaction() as session:
            service.request_poll(session, tenant_id, soon=True)


def send_batch(
    database: Database,
    job_row: Job,
    client: WeComClient,
    tenant_id: int,
    pair: Pair,
    mine: service.Claim,
    items: list[tuple[int, str]],
) -> bool:
    """Ask WeCom to transfer one batch (already marked ``sending`` by this attempt) and record
    its answer. Returns whether any customer's transfer began.

    If the call fails in a way that leaves it unknown whether WeCom acted (a timeout, a 5xx, a
    crash), the items stay ``sending`` and the error ends this attempt: the next one looks them
    up in WeCom's results instead of asking again."""
    try:
        outcomes = client.transfer_customer(
            pair.handover_userid,
            pair.takeover_userid,
            [ext for _id, ext in items],
            message=pair.message,
            resigned=pair.resigned,
        )
    except WeComError as exc:
        # WeCom answered, so it started nothing for this call.
        with database.transaction() as session:
            hold_lease(session, job_row)
            now = utcnow()
            if exc.retryable:
                service.release(session, pair.id, mine, items, now)
            else:
                service.record_refused_call(
                    session, pair.id, mine, items, exc.errcode, exc.errmsg, now
                )
        if exc.retryable:
            raise
        log.warning("transfer %s: WeCom refused a batch: %s", pair.id, exc)
        return False
    with database.transaction() as session:
        hold_lease(session, job_row)
        unanswered = service.record_started(session, pair.id, mine, items, outcomes, utcnow())
    if unanswered:
        # WeCom's answer left some customers out: what happened to them is in its results.
        results = fetch_results(database, client, pair, job_row)
        with database.transaction() as session:
            hold_lease(session, job_row)
            transfer = session.get(Transfer, pair.id)
            assert transfer is not None
            orphans = [(item_id, ext, mine) for item_id, ext in unanswered]
            service.resolve_orphans(
                session, tenant_id, transfer, orphans, results, utcnow(), requeue=False
            )
    return any(o.errcode == 0 for o in outcomes)


def recover(database: Database, job_row: Job, client: WeComClient, tenant_id: int) -> None:
    """Items an earlier attempt left ``sending``: they take the state WeCom's transfer results
    show; those WeCom holds no record of go back to the queue."""
    with database.factory() as session:
        found = service.orphaned(session, tenant_id)
        pairs = {}
        for transfer_id in found:
            transfer = session.get(Transfer, transfer_id)
            if transfer is not None:
                pairs[transfer_id] = Pair.of(transfer)
    for transfer_id, orphans in found.items():
        pair = pairs.get(transfer_id)
        if pair is None:
            continue
        results = fetch_results(database, client, pair, job_row)
        with database.transaction() as session:
            hold_lease(session, job_row)
            transfer = session.get(Transfer, transfer_id)
            assert transfer is not None
            requeued = service.resolve_orphans(
                session, tenant_id, transfer, orphans, results, utcnow()
            )
        log.info(
            "transfer %s: %d interrupted customers looked up in WeCom, %d never reached it",
            transfer_id,
            len(orphans),
            requeued,
        )


# --- results ---------------------------------------------------------------------------------


@io_job(service.POLL_JOB, max_attempts=5)
def poll(database: Database, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    client = wecom.client_for_tenant(database, tenant_id)
    if client is not None:
        poll_now(database, client, tenant_id, job_row=job_row)


def poll_now(
    database: Database,
    client: WeComClient,
    tenant_id: int,
    *,
    job_row: Job | None = None,
    transfer_id: int | None = None,
) -> None:
    """Read WeCom's results for the transfers with customers waiting (one transfer, or all of
    the tenant's), once per pair of accounts, and record them."""
    with database.factory() as session:
        pairs = [Pair.of(t) for t in service.open_pairs(session, tenant_id, transfer_id)]
    grouped: dict[tuple[str, str, str], list[Pair]] = defaultdict(list)
    for pair in pairs:
        grouped[(pair.kind, pair.handover_userid, pair.takeover_userid)].append(pair)
    for same_accounts in grouped.values():
        results = fetch_results(database, client, same_accounts[0], job_row)
        with database.transaction() as session:
            if job_row is not None:
                hold_lease(session, job_row)
            for pair in same_accounts:
                transfer = session.get(Transfer, pair.id)
                if transfer is not None:
                    service.apply_results(session, tenant_id, transfer, results, utcnow())


@job(service.POLL_ALL_JOB, max_attempts=3)
def poll_every_tenant(session: Session, job_row: Job) -> None:
    """Every 10 minutes: look at the results of every tenant with customers waiting, and make
    sure customers still to be sent have a job to send them (after WeCom was down for long)."""
    statuses: dict[int, set[str]] = defaultdict(set)
    for tenant_id, status in service.tenants_with_open_items(session):
        statuses[tenant_id].add(status)
    for tenant_id, found in statuses.items():
        if found & {QUEUED, ITEM_SENDING}:
            service.request_send(session, tenant_id)
        if ITEM_WAITING in found:
            service.request_poll(session, tenant_id)


every(crontab(minute="*/10"), service.POLL_ALL_JOB)
