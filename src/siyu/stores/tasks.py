"""The demo brand's stores, once the staff and customer syncs have brought its people in."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.customers.models import Customer, CustomerSyncRun
from siyu.jobs import Job, NotYet, job
from siyu.segments import changes as audience
from siyu.staff.models import StaffAccount
from siyu.stores import service
from siyu.stores.models import Store, StoreAssignment

DEMO_JOB = "stores.demo"


@job(DEMO_JOB, max_attempts=12)
def demo_stores(session: Session, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    if session.scalar(select(StaffAccount.id).where(StaffAccount.tenant_id == tenant_id)) is None:
        raise NotYet("waiting for the staff sync")
    run_state = session.scalar(
        select(CustomerSyncRun.state)
        .where(CustomerSyncRun.tenant_id == tenant_id)
        .order_by(CustomerSyncRun.id.desc())
        .limit(1)
    )
    if run_state == "running":
        raise NotYet("waiting for the customer sync")
    service.seed_demo(session, tenant_id)
    # Customers belong to the store of the account that owns them, and live in its city.
    for userid, store_id, city in session.execute(
        select(StaffAccount.userid, Store.id, Store.city)
        .join(StoreAssignment, StoreAssignment.staff_account_id == StaffAccount.id)
        .join(Store, Store.id == StoreAssignment.store_id)
        .where(StaffAccount.tenant_id == tenant_id)
    ).all():
        moved = list(
            session.scalars(
                update(Customer)
                .where(
                    Customer.tenant_id == tenant_id,
                    Customer.owner_userid == userid,
                    Customer.store_id.is_(None),
                )
                .values(store_id=store_id, city=city)
                .returning(Customer.id)
            )
        )
        audience.touch(session, tenant_id, moved)
