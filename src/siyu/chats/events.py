"""``msgaudit_notify``: WeCom says new chat data is available (at most every ~15 s)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.chats import service
from siyu.wecom.events import Fields, handles


@handles("msgaudit_notify")
def pull_on_notify(session: Session, tenant_id: int, fields: Fields) -> None:
    """A pull for a tenant that reads its archive (one set up in Siyu); the others' notifies
    are kept as received."""
    state = service.get(session, tenant_id)
    if state is not None and state.enabled:
        service.request_pull(session, tenant_id)
