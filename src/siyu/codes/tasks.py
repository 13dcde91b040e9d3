"""Jobs: keep each code's contact way in step with WeCom, send welcomes, set remarks, and look at
the rosters again every minute (shifts begin and end, caps reset at midnight). The demo
tenant's codes are made by :mod:`siyu.codes.demo`."""

from __future__ import annotations

import datetime as dt
import logging

from huey import crontab
from sqlalchemy.orm import Session

from siyu import qr
from siyu.codes import demo, friends, service
from siyu.codes.models import (
    CREATING,
    DELETED,
    EXPIRED,
    FAILED,
    LIVE,
    OPEN_WELCOMES,
    PENDING,
    SEND_FAILED,
    SENDING,
    SENT,
    SKIPPED,
    UNCONFIRMED,
    ChannelCode,
    WelcomeSend,
)
from siyu.customers import timeline
from siyu.customers.models import Customer
from siyu.db import Database, utcnow
from siyu.jobs import Job, every, hold_lease, io_job, job
from siyu.wecom import service as wecom
from siyu.wecom.client import WeComClient
from siyu.wecom.errors import (
    RateLimited,
    SystemBusy,
    WeComError,
    WeComUnavailable,
    WelcomeAlreadySent,
    WelcomeCodeExpired,
)

log = logging.getLogger("siyu.codes")

# A welcome left unsent this long after Siyu heard of the friend is past WeCom's 20 seconds
# whatever the clocks say: stop retrying and record it.
WELCOME_GIVE_UP = dt.timedelta(seconds=60)
WELCOME_WINDOW = dt.timedelta(seconds=20)
CLOCK_SLACK = dt.timedelta(seconds=5)  # WeCom's clock and ours, a little apart
CONTACT_WAY_SCENE_QR = 2
CONTACT_WAY_MULTI = 2
LIST_WINDOW = dt.timedelta(days=89)  # list_contact_way looks back at most 90 days


def _way_body(code: ChannelCode) -> dict[str, object]:
    return {
        "type": CONTACT_WAY_MULTI,
        "scene": CONTACT_WAY_SCENE_QR,
        "remark": code.name[:30],
        "skip_verify": code.skip_verify,
        "state": code.state,
        "user": list(code.roster),
    }


@io_job(service.PUSH_JOB, max_attempts=10, lease_seconds=120)
def push_code(database: Database, job_row: Job) -> None:
    """Make, update or delete the code's contact way so WeCom holds the code's latest version."""
    code_id = job_row.payload["code_id"]
    with database.transaction() as session:
        code = session.get(ChannelCode, code_id)
        if code is None or code.pushed_version >= code.version:
            return
        hold_lease(session, job_row)
        session.expunge(code)
    client = wecom.client_for_tenant(database, code.tenant_id)
    if client is None:
        _record(database, job_row, code.id, error="not connected to WeCom")
        return
    try:
        if code.status == DELETED:
            if code.config_id:
                try:
                    client.del_contact_way(code.config_id)
                except WeComError as exc:
                    if exc.errcode != 41044:  # already gone
                        raise
            _record(database, job_row, code.id, version=code.version)
            return
        if code.config_id is None:
            found = None
            if code.version > 1 or job_row.attempts > 1:
                # An earlier add may have reached WeCom without its answer reaching us.
                until = int(utcnow().timestamp()) + 60
                since = int((code.created_at - dt.timedelta(minutes=5)).timestamp())
                since = max(since, until - int(LIST_WINDOW.total_seconds()))
                found = client.find_contact_way(code.state, since, until)
            if found is not None:
                config_id, qr_url = found.config_id, found.qr_code
                client.update_contact_way({"config_id": config_id, **_way_body(code)})
            else:
                added = client.add_contact_way(_way_body(code))
                config_id, qr_url = added.config_id, added.qr_code
            content = _read_qr(client, qr_url)
            _record(
                database, job_row, code.id, version=code.version, made=(config_id, qr_url, content)
            )
            return
        client.update_contact_way({"config_id": code.config_id, **_way_body(code)})
        content = code.qr_content or _read_qr(client, code.qr_url or "")
        made = (code.config_id, code.qr_url or "", content)
        _record(database, job_row, code.id, version=code.version, made=made)
    except (RateLimited, SystemBusy, WeComUnavailable):
        raise  # the job is retried with backoff
    except WeComError as exc:
        log.warning("channel code %s: WeCom refused: %s", code.id, exc)
        _record(database, job_row, code.id, error=exc.message("zh-CN"))


def _read_qr(client: WeComClient, url: str) -> str | None:
    """The link inside WeCom's QR image; None if it cannot be read now (the download then
    serves WeCom's own image)."""
    if not url:
        return None
    try:
        return qr.decode(client.fetch_image(url))
    except WeComUnavailable:
        log.warning("could not fetch the QR image %s", url)
        return None


def _record(
    database: Database,
    job_row: Job,
    code_id: int,
    *,
    version: int | None = None,
    made: tuple[str, str, str | None] | None = None,
    error: str | None = None,
) -> None:
    with database.transaction() as session:
        hold_lease(session, job_row)
        code = session.get(ChannelCode, code_id)
        if code is None:
            return
        if made is not None:
            code.config_id, code.qr_url, code.qr_content = made
        if version is not None:
            code.pushed_version = max(code.pushed_version, version)
            code.sync_error = None
            if code.status in (CREATING, FAILED) and code.config_id:
                code.status = LIVE
        if error is not None:
            code.sync_error = error[:2000]
            if code.status == CREATING and not code.config_id:
                code.status = FAILED


@io_job(service.WELCOME_JOB, max_attempts=6, lease_seconds=30)
def send_welcome(database: Database, job_row: Job) -> None:
    """Send one welcome. The row says ``sending`` before WeCom is asked; a retry that finds it
    so knows an earlier attempt may have sent it, and WeCom's refusal of a used code then
    means "probably sent" — never a second message."""
    welcome_id = job_row.payload["welcome_id"]
    with database.transaction() as session:
        row = session.get(WelcomeSend, welcome_id)
        if row is None or row.status not in OPEN_WELCOMES:
            return
        hold_lease(session, job_row)
        interrupted = row.status == SENDING
        late = utcnow() - row.added_at > WELCOME_WINDOW + CLOCK_SLACK
        if late or utcnow() - row.created_at > WELCOME_GIVE_UP:
            # Past WeCom's window by WeCom's own time of the friendship: asking would only
            # hear 41050, and the call is better spent on a friend who can still be greeted.
            _settle(row, UNCONFIRMED if interrupted else EXPIRED, "window_passed")
            return
        row.status, row.attempts = SENDING, row.attempts + 1
        tenant_id, code, content = row.tenant_id, row.welcome_code, dict(row.content)
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        _finish(database, job_row, welcome_id, SEND_FAILED, "not_connected")
        return
    try:
        client.send_welcome_msg(code, content)
    except WelcomeCodeExpired as exc:
        status = UNCONFIRMED if interrupted else EXPIRED
        _finish(database, job_row, welcome_id, status, "window_passed", exc.errcode)
    except WelcomeAlreadySent as exc:
        status = UNCONFIRMED if interrupted else SKIPPED
        _finish(database, job_row, welcome_id, status, "code_used", exc.errcode)
    except RateLimited:
        # WeCom did not take it: back to pending, tried again while the window lasts.
        _finish(database, job_row, welcome_id, PENDING, "rate_limited")
        raise
    except (SystemBusy, WeComUnavailable):
        raise  # it may or may not have gone out: the row stays "sending"
    except WeComError as exc:
        _finish(database, job_row, welcome_id, SEND_FAILED, exc.message("zh-CN"), exc.errcode)
    else:
        _finish(database, job_row, welcome_id, SENT, "")


def _settle(row: WelcomeSend, status: str, reason: str, errcode: int | None = None) -> None:
    row.status, row.reason, row.errcode = status, reason[:300], errcode
    if status == SENT:
        row.sent_at = utcnow()


def _finish(
    database: Database,
    job_row: Job,
    welcome_id: int,
    status: str,
    reason: str,
    errcode: int | None = None,
) -> None:
    with database.transaction() as session:
        hold_lease(session, job_row)
        row = session.get(WelcomeSend, welcome_id)
        if row is None:
            return
        _settle(row, status, reason, errcode)
        if status in (SENT, UNCONFIRMED):
            timeline.append(
                session,
                row.tenant_id,
                row.customer_id,
                "welcomed",
                at=row.sent_at or utcnow(),
                actor=row.userid,
                detail={"code_id": row.code_id, "status": status},
                key=f"welcomed:{row.id}",
            )


@io_job(service.REMARK_JOB, max_attempts=8)
def set_remark(database: Database, job_row: Job) -> None:
    """The code's remark and description templates, filled in for the new friend."""
    payload = job_row.payload
    with database.factory() as session:
        code = session.get(ChannelCode, payload["code_id"])
        customer = session.get(Customer, payload["customer_id"])
        if code is None or customer is None:
            return
        values: dict[tuple[str, ...], str] = {
            friends.CUSTOMER_VARS: customer.name,
            friends.CHANNEL_VARS: code.name,
            friends.DATE_VARS: service.local_day(utcnow()).isoformat(),
        }
        remark = friends.render(code.remark_template, values)
        description = friends.render(code.description_template, values)
        tenant_id = code.tenant_id
    if not (remark or description):
        return
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    client.remark(
        payload["userid"], payload["external_userid"], remark=remark, description=description
    )


@job("codes.rosters", max_attempts=2)
def refresh_rosters(session: Session, job_row: Job) -> None:
    changed = service.refresh_all_rosters(session, utcnow())
    if changed:
        log.info("channel codes: %d rosters changed", changed)


every(crontab(minute="*"), "codes.rosters")

__all__ = ["demo"]  # its job registers with these
