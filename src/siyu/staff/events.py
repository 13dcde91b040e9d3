"""Contact-change callbacks (通讯录变更): a member or department changed in WeCom.

The event only says that something changed; the directory is read again by the staff sync, so
a lost or out-of-order event costs nothing. A burst of changes (an admin editing ten members)
makes one sync: the job key is per tenant and minute.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import utcnow
from siyu.staff.service import SYNC_JOB
from siyu.wecom.events import Fields, handles


@handles("change_contact")
def resync_on_contact_change(session: Session, tenant_id: int, fields: Fields) -> None:
    minute = utcnow().strftime("%Y-%m-%dT%H:%M")
    jobs.submit(
        session,
        SYNC_JOB,
        {"tenant_id": tenant_id, "reason": fields.get("ChangeType", "")},
        tenant_id=tenant_id,
        key=f"staff-sync:{tenant_id}:contact:{minute}",
    )
