"""Sequences (多步话术): day steps, and runs started for a segment or hand-picked customers.
The audience of a run is fixed when it starts; each day's step becomes staff tasks
(:mod:`siyu.scripts.staff_tasks`)."""

from __future__ import annotations

import datetime as dt
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.db import insert_rows_ignoring, utcnow
from siyu.errors import NotFound
from siyu.scripts import repository
from siyu.scripts.errors import BadAudience, BadSteps, RunNotActive
from siyu.scripts.models import (
    ACTIVE,
    STOPPED,
    Script,
    SequenceRun,
    SequenceRunMember,
    SequenceStep,
)
from siyu.scripts.models import Sequence as ScriptSequence
from siyu.scripts.schemas import (
    DayProgress,
    RunIn,
    RunOut,
    SequenceIn,
    SequenceOut,
    SequencePatch,
    StepIn,
    StepOut,
)
from siyu.scripts.service import check_materials, check_text
from siyu.segments import service as segments
from siyu.segments.models import Segment

TZ = ZoneInfo("Asia/Shanghai")  # the day a step is due, as staff in China count days
RUN_JOB = "scripts.make_tasks"
MEMBER_BATCH = 1000
STATE_ZH = {ACTIVE: "在执行", STOPPED: "停止", "finished": "结束"}


def today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(TZ).date()


def sequence(session: Session, tenant_id: int, sequence_id: int) -> ScriptSequence:
    found = repository.owned(session, ScriptSequence, tenant_id, sequence_id)
    if found is None:
        raise NotFound("sequence")
    assert isinstance(found, ScriptSequence)
    return found


def run(session: Session, tenant_id: int, run_id: int) -> SequenceRun:
    found = repository.owned(session, SequenceRun, tenant_id, run_id)
    if found is None:
        raise NotFound("sequence_run")
    assert isinstance(found, SequenceRun)
    return found


def _check_steps(session: Session, tenant_id: int, steps: list[StepIn]) -> None:
    days = [s.day for s in steps]
    if len(set(days)) != len(days):
        raise BadSteps(reason_zh="同一天只能有一步", reason_en="one step per day")
    script_ids = [s.script_id for s in steps if s.script_id is not None]
    known = repository.by_ids(session, Script, tenant_id, script_ids)
    for step in steps:
        if step.script_id is None and not step.text.strip():
            raise BadSteps(
                reason_zh=f"第 {step.day} 天需要选择话术或填写文本",
                reason_en=f"day {step.day} needs a script or a text",
            )
        if step.script_id is not None and step.script_id not in known:
            raise BadSteps(
                reason_zh=f"第 {step.day} 天的话术 {step.script_id} 不存在",
                reason_en=f"day {step.day}: no script {step.script_id}",
            )
        check_text(step.text)
        check_materials(session, tenant_id, step.material_ids)


def _replace_steps(session: Session, found: ScriptSequence, steps: list[StepIn]) -> None:
    session.execute(delete(SequenceStep).where(SequenceStep.sequence_id == found.id))
    session.add_all(
        SequenceStep(
            tenant_id=found.tenant_id,
            sequence_id=found.id,
            day=s.day,
            script_id=s.script_id,
            text=s.text,
            material_ids=list(s.material_ids),
        )
        for s in sorted(steps, key=lambda s: s.day)
    )
    session.flush()


def create(
    session: Session, tenant_id: int, body: SequenceIn, created_by: int | None = None
) -> ScriptSequence:
    _check_steps(session, tenant_id, body.steps)
    now = utcnow()
    created = ScriptSequence(
        tenant_id=tenant_id,
        name=body.name.strip(),
        description=body.description.strip(),
        created_by=created_by,
        created_at=now,
        updated_at=now,
    )
    session.add(created)
    session.flush()
    _replace_steps(session, created, body.steps)
    return created


def update(session: Session, found: ScriptSequence, body: SequencePatch) -> None:
    """Change a sequence; running sequences take the new steps from the next day made."""
    if body.steps is not None:
        _check_steps(session, found.tenant_id, body.steps)
        _replace_steps(session, found, body.steps)
    if body.name is not None:
        found.name = body.name.strip()
    if body.description is not None:
        found.description = body.description.strip()
    found.updated_at = utcnow()
    session.flush()


def out(session: Session, found: ScriptSequence, runs: int | None = None) -> SequenceOut:
    steps = repository.steps(session, found.id)
    titles = {
        s.id: s.title
        for s in repository.by_ids(
            session, Script, found.tenant_id, [x.script_id for x in steps if x.script_id]
        ).values()
    }
    if runs is None:
        runs = repository.run_counts(session, found.tenant_id).get(found.id, 0)
    return SequenceOut(
        id=found.id,
        name=found.name,
        description=found.description,
        steps=[
            StepOut(
                day=s.day,
                script_id=s.script_id,
                script_title=titles.get(s.script_id) if s.script_id else None,
                text=s.text,
                material_ids=list(s.material_ids),
            )
            for s in steps
        ],
        days=max((s.day for s in steps), default=0),
        runs=runs,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def _audience(session: Session, tenant_id: int, body: RunIn) -> set[int]:
    if (body.segment_id is None) == (not body.customer_ids):
        raise BadAudience(
            reason_zh="请选择一个人群或一批客户（二选一）",
            reason_en="choose either a segment or customers",
        )
    if body.segment_id is not None:
        segment = session.get(Segment, body.segment_id)
        if segment is None or segment.tenant_id != tenant_id:
            raise BadAudience(
                {"segment_id": body.segment_id},
                reason_zh=f"人群 {body.segment_id} 不存在",
                reason_en=f"no segment {body.segment_id}",
            )
        rule = segments.check(session, tenant_id, segment.rule)
        ids = {int(i) for i in segments.members(session, tenant_id, rule)}
        return repository.live_customers(session, tenant_id, ids)
    found = repository.live_customers(session, tenant_id, set(body.customer_ids))
    missing = sorted(set(body.customer_ids) - found)
    if missing:
        raise BadAudience(
            {"customer_ids": missing[:100]},
            reason_zh=f"这些客户不存在：{', '.join(map(str, missing[:20]))}",
            reason_en=f"no such customers: {', '.join(map(str, missing[:20]))}",
        )
    return found


def start(
    session: Session,
    tenant_id: int,
    found: ScriptSequence,
    body: RunIn,
    created_by: int | None = None,
) -> SequenceRun:
    """Start a run; its first day's tasks are made at once when it starts today (the job)."""
    members = _audience(session, tenant_id, body)
    if not members:
        raise BadAudience(reason_zh="人群里没有客户", reason_en="the audience is empty")
    start_date = body.start_date or today()
    if start_date < today():
        raise BadAudience(
            reason_zh="开始日期不能早于今天", reason_en="the start date cannot be in the past"
        )
    created = SequenceRun(
        tenant_id=tenant_id,
        sequence_id=found.id,
        segment_id=body.segment_id,
        start_date=start_date,
        customers=len(members),
        created_by=created_by,
    )
    session.add(created)
    session.flush()
    add_members(session, created, members)
    jobs.submit(
        session, RUN_JOB, {"run_id": created.id}, tenant_id=tenant_id, key=f"run:{created.id}"
    )
    return created


def add_members(session: Session, found: SequenceRun, members: set[int]) -> None:
    ordered = sorted(members)
    for offset in range(0, len(ordered), MEMBER_BATCH):
        rows = [
            {"tenant_id": found.tenant_id, "run_id": found.id, "customer_id": c}
            for c in ordered[offset : offset + MEMBER_BATCH]
        ]
        table = cast(Table, SequenceRunMember.__table__)
        insert_rows_ignoring(session, table, ["run_id", "customer_id"], rows)


def stop(found: SequenceRun) -> None:
    if found.state != ACTIVE:
        raise RunNotActive(state=found.state, state_zh=STATE_ZH.get(found.state, found.state))
    found.state, found.stopped_at = STOPPED, utcnow()


def run_out(session: Session, found: SequenceRun, *, days: bool = False) -> RunOut:
    parent = session.get(ScriptSequence, found.sequence_id)
    return RunOut(
        id=found.id,
        sequence_id=found.sequence_id,
        sequence_name=parent.name if parent else "",
        segment_id=found.segment_id,
        start_date=found.start_date,
        state=found.state,
        customers=found.customers,
        without_owner=found.without_owner,
        created_at=found.created_at,
        days=[
            DayProgress(day=d, due_date=due, tasks=t, tasks_done=td, customers=c, customers_done=cd)
            for d, due, t, td, c, cd in repository.progress(session, found.id)
        ]
        if days
        else [],
    )
