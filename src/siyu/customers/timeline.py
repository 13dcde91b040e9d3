"""The customer timeline: every domain appends what happened with a customer through
:func:`append` (one event) or :func:`append_many` (a batch), never by writing the table itself.

Kinds in use: ``friend_added``, ``friend_deleted_by_customer``, ``friend_deleted_by_staff``,
``friend_removed``, ``tagged``, ``untagged``, ``profile_edited``, ``imported``, ``transferred``,
``erased``, ``add_friend_done`` (an add-friend task completed by the friendship). A ``key``
makes an append idempotent: the same key twice is one event, which is how a retried callback or
job stays one line on the timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from siyu.customers.models import TimelineEvent
from siyu.db import insert_rows_ignoring

TABLE = cast(Table, TimelineEvent.__table__)


@dataclass(frozen=True)
class Entry:
    customer_id: int
    kind: str
    at: dt.datetime
    actor: str = ""
    detail: dict[str, Any] = field(default_factory=dict)
    key: str | None = None


def append(
    session: Session,
    tenant_id: int,
    customer_id: int,
    kind: str,
    *,
    at: dt.datetime,
    actor: str = "",
    detail: dict[str, Any] | None = None,
    key: str | None = None,
) -> None:
    append_many(session, tenant_id, [Entry(customer_id, kind, at, actor, detail or {}, key)])


def append_many(session: Session, tenant_id: int, entries: Iterable[Entry]) -> None:
    keyed: list[dict[str, Any]] = []
    unkeyed: list[dict[str, Any]] = []
    for entry in entries:
        row = {
            "tenant_id": tenant_id,
            "customer_id": entry.customer_id,
            "at": entry.at,
            "kind": entry.kind,
            "actor": entry.actor,
            "detail": entry.detail,
            "key": entry.key,
        }
        (keyed if entry.key else unkeyed).append(row)
    if keyed:
        insert_rows_ignoring(session, TABLE, ["tenant_id", "key"], keyed)
    if unkeyed:
        session.execute(insert(TABLE), unkeyed)
