"""What other domains hear from customers: friendships that began.

Channel codes credit and greet a new friend, add-friend tasks complete themselves when the number
they asked for shows up; neither belongs in the customers code. A listener runs inside the
transaction that stored the friendship, so what it writes commits (or not) with it. Listeners
must be idempotent: a friendship announced by a callback and then found again by a sync, or a
job retried, reaches them more than once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from siyu import jobs


@dataclass(frozen=True)
class FriendAdded:
    customer_id: int
    external_userid: str
    userid: str
    state: str
    add_way: int
    added_at: dt.datetime
    remark_mobiles: tuple[str, ...] = ()
    # From the ``add_external_contact`` callback: the one-use key to greet them, valid 20 s;
    # "" when the callback carried none, None when no callback announced this friendship.
    welcome_code: str | None = None
    # Siyu had not known this friendship (False: a callback announced one already stored).
    begun: bool = True


Listener = Callable[[Session, int, list[FriendAdded]], None]
_listeners: list[Listener] = []
_loaded = False


def on_friends_added(listener: Listener) -> Listener:
    """Register ``listener(session, tenant_id, added)``; usable as a decorator."""
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def notify(session: Session, tenant_id: int, added: list[FriendAdded]) -> None:
    global _loaded  # noqa: PLW0603 - loaded once per process
    if not added:
        return
    if not _loaded:
        # Listeners register when their domain's modules load; every domain's job modules
        # are loaded here, so whichever process stores a friendship, every listener hears it.
        jobs.load_task_modules()
        _loaded = True
    for listener in list(_listeners):
        listener(session, tenant_id, added)
