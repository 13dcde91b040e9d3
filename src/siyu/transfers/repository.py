"""Queries of the transfers domain."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.transfers.models import Transfer, TransferItem


def get(session: Session, tenant_id: int, transfer_id: int) -> Transfer | None:
    transfer = session.get(Transfer, transfer_id)
    return transfer if transfer is not None and transfer.tenant_id == tenant_id else None


def page(
    session: Session,
    tenant_id: int,
    *,
    offset: int,
    limit: int,
    state: str | None = None,
    kind: str | None = None,
    userid: str | None = None,
) -> tuple[Sequence[Transfer], int]:
    query = select(Transfer).where(Transfer.tenant_id == tenant_id)
    if state:
        query = query.where(Transfer.state == state)
    if kind:
        query = query.where(Transfer.kind == kind)
    if userid:
        query = query.where(
            (Transfer.handover_userid == userid) | (Transfer.takeover_userid == userid)
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Transfer.created_at.desc(), Transfer.id.desc()).offset(offset).limit(limit)
    ).all()
    return rows, total


def counts(session: Session, transfer_ids: list[int]) -> dict[int, dict[str, int]]:
    """Items per status of each transfer."""
    result: dict[int, dict[str, int]] = defaultdict(dict)
    if not transfer_ids:
        return result
    for transfer_id, status, n in session.execute(
        select(TransferItem.transfer_id, TransferItem.status, func.count())
        .where(TransferItem.transfer_id.in_(transfer_ids))
        .group_by(TransferItem.transfer_id, TransferItem.status)
    ):
        result[transfer_id][status] = n
    return result


def items_page(
    session: Session, transfer_id: int, *, status: str | None, offset: int, limit: int
) -> tuple[list[tuple[TransferItem, str]], int]:
    where = [TransferItem.transfer_id == transfer_id]
    if status:
        where.append(TransferItem.status == status)
    total = session.scalar(select(func.count()).select_from(TransferItem).where(*where)) or 0
    rows = session.execute(
        select(TransferItem, Customer.name)
        .join(Customer, Customer.id == TransferItem.customer_id)
        .where(*where)
        .order_by(TransferItem.id)
        .offset(offset)
        .limit(limit)
    ).all()
    return [(item, name) for item, name in rows], total


def customers_by_external_id(
    session: Session, tenant_id: int, external_userids: set[str]
) -> dict[str, tuple[int, str]]:
    if not external_userids:
        return {}
    return {
        external_userid: (customer_id, name)
        for customer_id, external_userid, name in session.execute(
            select(Customer.id, Customer.external_userid, Customer.name).where(
                Customer.tenant_id == tenant_id,
                Customer.external_userid.in_(external_userids),
            )
        )
        if external_userid
    }


def has_status(transfer_id: int, statuses: tuple[str, ...]) -> Select[int]:
    return (
        select(TransferItem.id)
        .where(TransferItem.transfer_id == transfer_id, TransferItem.status.in_(statuses))
        .limit(1)
    )
