"""Customer-contact callbacks (``change_external_contact``).

Added and edited friendships are signals to read the customer again (the event carries ids, not
the profile); the refresh is keyed by the event, so a callback WeCom repeats reads once.
Deletions are facts the event itself carries — who ended the friendship and when — and are
applied at once, raising a churn alert unless a transfer moved the customer.
"""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from siyu.customers import service
from siyu.customers.models import DELETED_BY_CUSTOMER, DELETED_BY_STAFF, TRANSFERRED
from siyu.wecom.events import Fields, handles

EVENT = "change_external_contact"
URGENT_SECONDS = 15  # of WeCom's 20-second welcome window
BY_TRANSFER = "DELETE_BY_TRANSFER"


def _ids(fields: Fields) -> tuple[str, str, int]:
    created = str(fields.get("CreateTime", "0"))
    return (
        str(fields.get("ExternalUserID", "")),
        str(fields.get("UserID", "")),
        int(created) if created.isdigit() else 0,
    )


@handles(EVENT, "add_external_contact")
@handles(EVENT, "add_half_external_contact")
@handles(EVENT, "edit_external_contact")
def refresh_on_change(session: Session, tenant_id: int, fields: Fields) -> None:
    external_userid, userid, created = _ids(fields)
    if external_userid:
        change = str(fields.get("ChangeType", ""))
        reason = f"{change}:{userid}:{created}"
        announce = None
        if change in ("add_external_contact", "add_half_external_contact") and userid:
            announce = {"userid": userid, "welcome_code": str(fields.get("WelcomeCode", ""))}
        # A new friend still inside WeCom's welcome window is read (and greeted) at once; one
        # whose window has passed while the queue was long waits its turn at the back, so a
        # burst greets the friends it still can instead of arriving late for all of them.
        urgent = announce is not None and time.time() - created <= URGENT_SECONDS
        service.request_refresh(
            session, tenant_id, external_userid, reason, announce=announce, urgent=urgent
        )


@handles(EVENT, "del_follow_user")
def customer_deleted_staff(session: Session, tenant_id: int, fields: Fields) -> None:
    _ended(session, tenant_id, fields, DELETED_BY_CUSTOMER)


@handles(EVENT, "del_external_contact")
def staff_deleted_customer(session: Session, tenant_id: int, fields: Fields) -> None:
    by_transfer = fields.get("Source") == BY_TRANSFER
    _ended(session, tenant_id, fields, TRANSFERRED if by_transfer else DELETED_BY_STAFF)


def _ended(session: Session, tenant_id: int, fields: Fields, kind: str) -> None:
    external_userid, userid, created = _ids(fields)
    if not (external_userid and userid):
        return
    known = service.end_follow(
        session,
        tenant_id,
        external_userid=external_userid,
        userid=userid,
        kind=kind,
        at=service.from_timestamp(created),
        alert=kind != TRANSFERRED,
    )
    if not known:  # a customer Siyu has not seen yet: read what WeCom still holds
        service.request_refresh(session, tenant_id, external_userid, f"{kind}:{userid}:{created}")
