"""What add-friend tasks hear from other domains: a friendship began (``siyu.customers.hooks``).

Imported by :mod:`siyu.addfriend.tasks`, which every process that applies customers loads (the
worker and the API through ``jobs.load_task_modules``), so the listener is registered wherever a
callback's refresh or a full sync stores new friendships.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.addfriend import service
from siyu.customers.hooks import FriendAdded, on_friends_added


@on_friends_added
def complete_tasks(session: Session, tenant_id: int, added: list[FriendAdded]) -> None:
    service.complete_matching(session, tenant_id, added)
