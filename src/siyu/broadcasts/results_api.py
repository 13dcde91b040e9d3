"""A broadcast's results over HTTP: counts by outcome, each sender's task and confirmation, the
recipients page by page, and the whole as an Excel workbook."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse
from sqlalchemy import Select, func, select

from siyu.api.deps import DbSession, Paging
from siyu.api.errors import responses
from siyu.api.files import download, temp_path
from siyu.auth.api import AUTH
from siyu.broadcasts.api import Read, get_broadcast, out
from siyu.broadcasts.models import (
    RECIPIENT_STATUSES,
    TASK_OF_RECIPIENT,
    BroadcastRecipient,
    BroadcastTask,
    shown_status,
)
from siyu.broadcasts.schemas import RecipientPage, RecipientRow, Results, SenderRow, TaskOut
from siyu.customers.models import Customer
from siyu.errors import NotFound
from siyu.groups.models import Group
from siyu.sheets.writer import write_xlsx
from siyu.staff.models import StaffAccount

router = APIRouter(tags=["broadcasts"])

STATUS_LABELS = {
    "planned": "待创建",
    "waiting": "待员工发送",
    "sent": "已送达",
    "not_friend": "已不是好友",
    "over_limit": "超过企业微信接收上限",
    "over_cap": "超过频次上限",
    "no_sender": "无可发送的员工",
    "failed": "创建失败",
    "cancelled": "已取消",
}
EXPORT_BATCH = 5000
EXPORT_HEADERS = [
    "编号 ID",
    "名称 Name",
    "发送员工 Sender",
    "员工账号 Userid",
    "结果 Outcome",
    "送达时间 Sent at",
]


def _names(session: DbSession, tenant_id: int, userids: set[str]) -> dict[str, str]:
    if not userids:
        return {}
    rows = session.execute(
        select(StaffAccount.userid, StaffAccount.name).where(
            StaffAccount.tenant_id == tenant_id, StaffAccount.userid.in_(userids)
        )
    )
    return {str(userid): str(name) for userid, name in rows.all()}


@router.get(
    "/broadcasts/{broadcast_id}/results",
    operation_id="getBroadcastResults",
    responses=responses(*AUTH, NotFound),
)
def results(session: DbSession, principal: Read, broadcast_id: int) -> Results:
    broadcast = get_broadcast(session, principal, broadcast_id)
    tasks = list(
        session.scalars(
            select(BroadcastTask)
            .where(BroadcastTask.broadcast_id == broadcast.id)
            .order_by(BroadcastTask.sender, BroadcastTask.chunk)
        )
    )
    by_sender: dict[str, dict[str, int]] = defaultdict(dict)
    shown = shown_status()
    for sender, status, count in session.execute(
        select(BroadcastRecipient.sender, shown, func.count())
        .outerjoin(BroadcastTask, TASK_OF_RECIPIENT)
        .where(BroadcastRecipient.broadcast_id == broadcast.id)
        .group_by(BroadcastRecipient.sender, shown)
    ):
        by_sender[sender][status] = int(count)
    names = _names(session, principal.tenant_id, set(by_sender) | {t.sender for t in tasks})
    counts: dict[str, int] = dict.fromkeys(RECIPIENT_STATUSES, 0)
    for sender_counts in by_sender.values():
        for status, count in sender_counts.items():
            counts[status] = counts.get(status, 0) + count
    counts["total"] = sum(counts.values())
    task_rows = [
        TaskOut(
            id=t.id,
            sender=t.sender,
            sender_name=names.get(t.sender, t.sender),
            chunk=t.chunk,
            recipients=t.recipients,
            state=t.state,
            msgid=t.msgid,
            confirmed=t.confirmed,
            confirmed_at=t.confirmed_at,
            reminders=len(t.reminders),
            error=t.error,
        )
        for t in tasks
    ]
    senders = []
    for sender, sender_counts in sorted(by_sender.items()):
        mine = [t for t in tasks if t.sender == sender]
        senders.append(
            SenderRow(
                sender=sender,
                sender_name=names.get(sender, sender),
                tasks=len(mine),
                recipients=sum(sender_counts.values()),
                confirmed=bool(mine) and all(t.confirmed for t in mine),
                counts=sender_counts,
            )
        )
    return Results(broadcast=out(broadcast), counts=counts, senders=senders, tasks=task_rows)


def _shown(query: Select[Any]) -> Select[Any]:
    """Recipients with the outcome they are shown with."""
    return query.add_columns(shown_status()).outerjoin(BroadcastTask, TASK_OF_RECIPIENT)


def _recipient_rows(session: DbSession, tenant_id: int, found: Sequence[Any]) -> list[RecipientRow]:
    rows: list[BroadcastRecipient] = [f[0] for f in found]
    statuses = {f[0].id: str(f[1]) for f in found}
    customers = {r.customer_id for r in rows if r.customer_id}
    groups = {r.group_id for r in rows if r.group_id}
    names: dict[tuple[str, int], str] = {}
    if customers:
        for cid, name in session.execute(
            select(Customer.id, Customer.name).where(
                Customer.tenant_id == tenant_id, Customer.id.in_(customers)
            )
        ):
            names[("c", cid)] = name
    if groups:
        for gid, name in session.execute(
            select(Group.id, Group.name).where(Group.tenant_id == tenant_id, Group.id.in_(groups))
        ):
            names[("g", gid)] = name
    return [
        RecipientRow(
            customer_id=r.customer_id,
            group_id=r.group_id,
            name=names.get(("c", r.customer_id or 0)) or names.get(("g", r.group_id or 0), ""),
            sender=r.sender,
            status=statuses[r.id],
            sent_at=r.sent_at,
        )
        for r in rows
    ]


@router.get(
    "/broadcasts/{broadcast_id}/recipients",
    operation_id="listBroadcastRecipients",
    responses=responses(*AUTH, NotFound),
)
def recipients(
    session: DbSession,
    principal: Read,
    broadcast_id: int,
    paging: Paging,
    status: Annotated[str | None, Query(max_length=12)] = None,
    sender: Annotated[str | None, Query(max_length=64)] = None,
) -> RecipientPage:
    broadcast = get_broadcast(session, principal, broadcast_id)
    query = _shown(select(BroadcastRecipient)).where(
        BroadcastRecipient.broadcast_id == broadcast.id
    )
    if status:
        query = query.where(shown_status() == status)
    if sender is not None:
        query = query.where(BroadcastRecipient.sender == sender)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(BroadcastRecipient.id).offset(paging.offset).limit(paging.page_size)
    ).all()
    return RecipientPage(
        items=_recipient_rows(session, principal.tenant_id, rows),
        total=total,
        page=paging.page,
        page_size=paging.page_size,
    )


@router.get(
    "/broadcasts/{broadcast_id}/results.xlsx",
    operation_id="exportBroadcastResults",
    response_class=FileResponse,
    responses=responses(*AUTH, NotFound),
)
def export_results(session: DbSession, principal: Read, broadcast_id: int) -> FileResponse:
    """Every recipient with the sender and the outcome, as a workbook."""
    broadcast = get_broadcast(session, principal, broadcast_id)
    names = _names(
        session,
        principal.tenant_id,
        set(
            session.scalars(
                select(BroadcastRecipient.sender)
                .where(BroadcastRecipient.broadcast_id == broadcast.id)
                .distinct()
            )
        ),
    )

    def rows() -> Iterator[tuple[object, ...]]:
        last = 0
        while True:
            batch = session.execute(
                _shown(select(BroadcastRecipient))
                .where(
                    BroadcastRecipient.broadcast_id == broadcast.id,
                    BroadcastRecipient.id > last,
                )
                .order_by(BroadcastRecipient.id)
                .limit(EXPORT_BATCH)
            ).all()
            if not batch:
                return
            last = batch[-1][0].id
            for row in _recipient_rows(session, principal.tenant_id, batch):
                yield (
                    row.customer_id or row.group_id,
                    row.name,
                    names.get(row.sender, row.sender),
                    row.sender,
                    STATUS_LABELS.get(row.status, row.status),
                    row.sent_at,
                )

    path = temp_path(".xlsx")
    headers = [
        "编号 ID",
        "名称 Name",
        "发送员工 Sender",
        "员工账号 Userid",
        "结果 Outcome",
        "送达时间 Sent at",
    ]
    write_xlsx(path, headers, rows(), sheet_title="群发结果")
    return download(path, f"broadcast-{broadcast.id}-results.xlsx")
