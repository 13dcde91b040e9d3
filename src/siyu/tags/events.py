"""``change_external_tag``: an admin changed corp tags in WeCom's console."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.customers.service import from_timestamp
from siyu.tags import service
from siyu.wecom.events import Fields, handles


@handles("change_external_tag")
def pull_on_tag_change(session: Session, tenant_id: int, fields: Fields) -> None:
    created = str(fields.get("CreateTime", "0"))
    service.on_wecom_change(
        session,
        tenant_id,
        str(fields.get("Id", "")),
        str(fields.get("ChangeType", "")),
        from_timestamp(int(created) if created.isdigit() else 0),
    )
