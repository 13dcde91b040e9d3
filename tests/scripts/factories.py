"""Scripts, sequences and runs for tests."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siyu.customers.models import Customer
from siyu.scripts import sequences, service, staff_tasks
from siyu.scripts.models import Script, ScriptCategory, ScriptTask, SequenceRun
from siyu.scripts.models import Sequence as ScriptSequence
from siyu.scripts.schemas import CategoryIn, RunIn, ScriptIn, SequenceIn, StepIn
from siyu.tenants.models import Tenant
from tests.factories import make_customer


def make_category(session: Session, tenant: Tenant, name: str = "开场白") -> ScriptCategory:
    return service.create_category(session, tenant.id, CategoryIn(name=name))


def make_script(
    session: Session,
    tenant: Tenant,
    title: str = "欢迎话术",
    body: str = "{customer_name}您好，我是{store_name}的{staff_name}",
    category: ScriptCategory | None = None,
) -> Script:
    return service.create_script(
        session,
        tenant.id,
        ScriptIn(title=title, body=body, category_id=category.id if category else None),
    )


def make_sequence(session: Session, tenant: Tenant, name: str = "7天促销") -> ScriptSequence:
    script = make_script(session, tenant, f"{name}开场")
    steps = [
        StepIn(day=1, script_id=script.id),
        StepIn(day=2, text="{customer_name}，活动第二天，今天{today}有新品"),
        StepIn(day=3, text="{customer_name}，活动最后一天"),
    ]
    return sequences.create(session, tenant.id, SequenceIn(name=name, steps=steps))


def start_run(
    session: Session,
    sequence: ScriptSequence,
    customers: list[Customer],
    start_date: dt.date | None = None,
) -> SequenceRun:
    body = RunIn(customer_ids=[c.id for c in customers])
    run = sequences.start(session, sequence.tenant_id, sequence, body)
    if start_date is not None:
        run.start_date = start_date
    session.flush()
    return run


def make_task(session: Session, tenant: Tenant, name: str = "客户") -> ScriptTask:
    """A run of a new sequence for one customer, with its first day's task."""
    customer = make_customer(session, tenant, name)
    sequence = make_sequence(session, tenant, name[:40])
    run = start_run(session, sequence, [customer])
    staff_tasks.make_tasks(session, run, sequences.today())
    found = session.query(ScriptTask).filter_by(run_id=run.id).first()
    assert found is not None
    return found
