"""Segment jobs: behaviour rules (on change, nightly, on demand) and forgetting old entries
of the audience change log. The demo tenant's behaviour rules are made by
:mod:`siyu.segments.demo_rules`."""

from __future__ import annotations

import logging

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.jobs import Job, every, job
from siyu.segments import behaviour, changes, demo_rules
from siyu.segments.models import BehaviourRule

log = logging.getLogger(__name__)


@job("segments.prune_changes", max_attempts=2)
def prune_changes(session: Session, job_row: Job) -> None:
    gone = changes.prune(session)
    if gone:
        log.info("segments: %d old audience changes forgotten", gone)


every(crontab(minute="17", hour="4"), "segments.prune_changes")


@job(behaviour.RUN_JOB, max_attempts=3, lease_seconds=1800)
def run_behaviour_rule(session: Session, job_row: Job) -> None:
    """A whole-tenant evaluation of one rule (made, changed, or asked for)."""
    row = session.get(BehaviourRule, int(job_row.payload["rule_id"]))
    if row is None or not row.enabled:
        return
    outcome = behaviour.evaluate(session, row)
    log.info(
        "behaviour rule %s: %d selected, %d tagged, %d untagged",
        row.id,
        outcome.selected,
        outcome.tagged,
        outcome.untagged,
    )


@job(behaviour.CHANGES_JOB, max_attempts=2, lease_seconds=600)
def behaviour_changes(session: Session, job_row: Job) -> None:
    """The rules of every tenant applied to the customers that changed since the last run."""
    tenants = session.scalars(
        select(BehaviourRule.tenant_id).where(BehaviourRule.enabled.is_(True)).distinct()
    ).all()
    for tenant_id in tenants:
        behaviour.catch_up(session, tenant_id)


@job(behaviour.NIGHTLY_JOB, max_attempts=2, lease_seconds=3600)
def behaviour_nightly(session: Session, job_row: Job) -> None:
    """Every enabled rule over everyone: relative dates ("added within 30 days") move with
    the calendar, not with changes."""
    for row in session.scalars(select(BehaviourRule).where(BehaviourRule.enabled.is_(True))):
        behaviour.evaluate(session, row)


every(crontab(minute="*"), behaviour.CHANGES_JOB)
every(crontab(minute="30", hour="2"), behaviour.NIGHTLY_JOB)

__all__ = ["demo_rules"]  # its job registers with these
