"""Callbacks that settle a transfer at once, before the next look at WeCom's results:

- ``transfer_fail``: the customer refused, or the takeover account is full. WeCom names the
  takeover and the customer, not the handover.
- ``del_external_contact`` with ``Source=DELETE_BY_TRANSFER``: the handover lost the customer to
  a transfer, i.e. it went through.

The customers domain handles the same deletion (the friendship ends without a churn alert); its
handlers are registered first (imported below), so these run after it within the same event.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siyu.customers import events as customer_events
from siyu.db import utcnow
from siyu.transfers import reasons, service
from siyu.wecom.events import Fields, handles

EVENT = customer_events.EVENT


def _at(fields: Fields) -> dt.datetime:
    created = str(fields.get("CreateTime", ""))
    return service.from_timestamp(int(created)) if created.isdigit() else utcnow()


@handles(EVENT, "transfer_fail")
def transfer_failed(session: Session, tenant_id: int, fields: Fields) -> None:
    external_userid = str(fields.get("ExternalUserID", ""))
    takeover = str(fields.get("UserID", ""))
    if not (external_userid and takeover):
        return
    fail_reason = str(fields.get("FailReason", ""))
    service.settle_from_callback(
        session,
        tenant_id,
        external_userid=external_userid,
        takeover_userid=takeover,
        reason=reasons.BY_FAIL_REASON.get(fail_reason, reasons.WECOM_ERROR),
        errmsg=fail_reason,
        at=_at(fields),
    )


@handles(EVENT, "del_external_contact")
def moved_by_transfer(session: Session, tenant_id: int, fields: Fields) -> None:
    if fields.get("Source") != customer_events.BY_TRANSFER:
        return
    external_userid = str(fields.get("ExternalUserID", ""))
    handover = str(fields.get("UserID", ""))
    if not (external_userid and handover):
        return
    at = _at(fields)
    service.settle_from_callback(
        session, tenant_id, external_userid=external_userid, handover_userid=handover, at=at
    )
    service.keep_owner(session, tenant_id, external_userid, handover, at)
