"""Contact-change callbacks (通讯录变更): a member or department changed in WeCom.

The event only says that something changed; the directory is read again by the staff sync, so
a lost or out-of-order event costs nothing. A burst of changes (an admin editing ten members)
makes one sync: changes that arrive while a sync waits share it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu import jobs
from siyu.staff.service import SYNC_JOB
from siyu.wecom.events import Fields, handles


@handles("change_contact")
def resync_on_contact_change(session: Session, tenant_id: int, fields: Fields) -> None:
    payload = {"tenant_id": tenant_id, "reason": fields.get("ChangeType", "")}
    jobs.submit_coalesced(session, SYNC_JOB, payload, tenant_id=tenant_id)
