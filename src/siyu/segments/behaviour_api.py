"""Behaviour rules over HTTP: rules that tag customers by themselves, who they tagged, and
running one now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from sqlalchemy import func, select

from siyu import jobs
from siyu.api.deps import DbSession, Paging, require
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.customers.models import Customer
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.jobs import Job
from siyu.segments import behaviour, service
from siyu.segments.api import _customers
from siyu.segments.errors import BadRule, DuplicateName, UnknownReferences
from siyu.segments.models import BehaviourMember, BehaviourRule
from siyu.segments.schemas import (
    BehaviourRuleIn,
    BehaviourRuleOut,
    BehaviourRulePatch,
    MemberPage,
)

router = APIRouter(tags=["behaviour rules"])

Read = Annotated[Principal, Depends(require(Permission.SEGMENTS_READ))]
Manage = Annotated[Principal, Depends(require(Permission.SEGMENTS_MANAGE))]
ERRORS = (BadRule, UnknownReferences)


def _row(session: DbSession, principal: Principal, rule_id: int) -> BehaviourRule:
    row = session.get(BehaviourRule, rule_id)
    if row is None or row.tenant_id != principal.tenant_id:
        raise NotFound("behaviour_rule")
    return row


def _out(session: DbSession, row: BehaviourRule) -> BehaviourRuleOut:
    tagged = session.scalar(
        select(func.count()).select_from(BehaviourMember).where(BehaviourMember.rule_id == row.id)
    )
    running = session.scalar(
        select(func.count())
        .select_from(Job)
        .where(
            Job.kind == behaviour.RUN_JOB,
            Job.tenant_id == row.tenant_id,
            Job.state.in_([jobs.PENDING, jobs.RUNNING]),
            Job.key.like(f"behaviour:{row.id}:%"),
        )
    )
    return BehaviourRuleOut(
        id=row.id,
        name=row.name,
        description=row.description,
        rule=row.rule,
        tag_ids=list(row.tag_ids),
        untag=row.untag,
        enabled=row.enabled,
        members=row.members,
        tagged_now=int(tagged or 0),
        last_run_at=row.last_run_at,
        last_tagged=row.last_tagged,
        last_untagged=row.last_untagged,
        last_error=row.last_error,
        running=bool(running),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _schedule(session: DbSession, row: BehaviourRule) -> None:
    if row.enabled:
        jobs.submit(
            session,
            behaviour.RUN_JOB,
            {"rule_id": row.id},
            tenant_id=row.tenant_id,
            key=f"behaviour:{row.id}:{row.updated_at.timestamp():.6f}",
        )


@router.get("/behaviour-rules", operation_id="listBehaviourRules", responses=responses(*AUTH))
def list_rules(session: DbSession, principal: Read) -> list[BehaviourRuleOut]:
    rows = session.scalars(
        select(BehaviourRule)
        .where(BehaviourRule.tenant_id == principal.tenant_id)
        .order_by(BehaviourRule.id)
    )
    return [_out(session, row) for row in rows]


@router.post(
    "/behaviour-rules",
    operation_id="createBehaviourRule",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *ERRORS, DuplicateName),
)
def create_rule(session: DbSession, principal: Manage, body: BehaviourRuleIn) -> BehaviourRuleOut:
    """Make a rule; it runs over every customer in the background (``running``), then keeps
    up with changes every minute and runs again nightly."""
    service.check(session, principal.tenant_id, body.rule)
    tag_ids = behaviour.check_tags(session, principal.tenant_id, body.tag_ids)
    name = body.name.strip()
    service.unique_name(session, principal.tenant_id, name, model=BehaviourRule)
    now = utcnow()
    row = BehaviourRule(
        tenant_id=principal.tenant_id,
        name=name,
        description=body.description.strip(),
        rule=body.rule,
        tag_ids=tag_ids,
        untag=body.untag,
        enabled=body.enabled,
        created_by=principal.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _schedule(session, row)
    audit.record(
        session,
        principal,
        "behaviour_rules.create",
        entity_type="behaviour_rule",
        entity_id=row.id,
        after={"name": row.name, "rule": row.rule, "tag_ids": tag_ids},
    )
    return _out(session, row)


@router.get(
    "/behaviour-rules/{rule_id}",
    operation_id="getBehaviourRule",
    responses=responses(*AUTH, NotFound),
)
def get_rule(session: DbSession, principal: Read, rule_id: int) -> BehaviourRuleOut:
    return _out(session, _row(session, principal, rule_id))


@router.patch(
    "/behaviour-rules/{rule_id}",
    operation_id="updateBehaviourRule",
    responses=responses(*AUTH, NotFound, *ERRORS, DuplicateName),
)
def update_rule(
    session: DbSession, principal: Manage, rule_id: int, body: BehaviourRulePatch
) -> BehaviourRuleOut:
    row = _row(session, principal, rule_id)
    before = {"name": row.name, "rule": row.rule, "tag_ids": row.tag_ids, "enabled": row.enabled}
    if body.rule is not None:
        service.check(session, principal.tenant_id, body.rule)
        row.rule = body.rule
    if body.tag_ids is not None:
        row.tag_ids = behaviour.check_tags(session, principal.tenant_id, body.tag_ids)
    if body.name is not None:
        service.unique_name(
            session, principal.tenant_id, body.name.strip(), row.id, model=BehaviourRule
        )
        row.name = body.name.strip()
    if body.description is not None:
        row.description = body.description.strip()
    if body.untag is not None:
        row.untag = body.untag
    if body.enabled is not None:
        row.enabled = body.enabled
    row.updated_at = utcnow()
    _schedule(session, row)
    audit.record(
        session,
        principal,
        "behaviour_rules.update",
        entity_type="behaviour_rule",
        entity_id=row.id,
        before=before,
        after={"name": row.name, "rule": row.rule, "tag_ids": row.tag_ids, "enabled": row.enabled},
    )
    return _out(session, row)


@router.delete(
    "/behaviour-rules/{rule_id}",
    operation_id="deleteBehaviourRule",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def delete_rule(session: DbSession, principal: Manage, rule_id: int) -> None:
    """Delete the rule; the tags it gave stay on the customers (remove them with a bulk
    tagging if they should go)."""
    row = _row(session, principal, rule_id)
    audit.record(
        session,
        principal,
        "behaviour_rules.delete",
        entity_type="behaviour_rule",
        entity_id=row.id,
        before={"name": row.name, "rule": row.rule, "tag_ids": row.tag_ids},
    )
    session.delete(row)


@router.post(
    "/behaviour-rules/{rule_id}/run",
    operation_id="runBehaviourRule",
    status_code=status.HTTP_202_ACCEPTED,
    responses=responses(*AUTH, NotFound),
)
def run_rule(session: DbSession, principal: Manage, rule_id: int) -> BehaviourRuleOut:
    row = _row(session, principal, rule_id)
    jobs.submit(
        session,
        behaviour.RUN_JOB,
        {"rule_id": row.id},
        tenant_id=row.tenant_id,
        key=f"behaviour:{row.id}:run:{utcnow().timestamp():.6f}",
    )
    return _out(session, row)


@router.get(
    "/behaviour-rules/{rule_id}/members",
    operation_id="listBehaviourRuleMembers",
    responses=responses(*AUTH, NotFound),
)
def rule_members(session: DbSession, principal: Read, rule_id: int, paging: Paging) -> MemberPage:
    """The customers holding the rule's tags because of it."""
    row = _row(session, principal, rule_id)
    query = (
        select(BehaviourMember.customer_id)
        .join(Customer, Customer.id == BehaviourMember.customer_id)
        .where(BehaviourMember.rule_id == row.id)
    )
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    ids = list(
        session.scalars(
            query.order_by(BehaviourMember.customer_id)
            .offset(paging.offset)
            .limit(paging.page_size)
        )
    )
    return MemberPage(
        items=_customers(session, principal, ids),
        total=int(total or 0),
        page=paging.page,
        page_size=paging.page_size,
    )
