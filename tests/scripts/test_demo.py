"""The demo tenant's libraries: materials, scripts in four categories, and a 7-day promotion
run started three days ago whose staff have tasks, some done."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.materials.models import Material
from siyu.scripts import demo as scripts_demo
from siyu.scripts.models import Script, ScriptCategory, ScriptTask, SequenceRun
from tests.conftest import RunJobs, World

pytestmark = pytest.mark.reach_demo

API = "/api/v1"


def test_the_demo_has_materials_scripts_and_a_promotion_under_way(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    tenant_id = world.connection.tenant_id
    kinds = dict(
        session.execute(
            select(Material.kind, func.count())
            .where(Material.tenant_id == tenant_id)
            .group_by(Material.kind)
        ).all()
    )
    assert kinds == {"image": 8, "link": 3, "miniprogram": 1, "file": 1}
    categories = session.scalars(
        select(ScriptCategory.name).where(ScriptCategory.tenant_id == tenant_id)
    ).all()
    assert set(categories) == {"开场白", "产品介绍", "活动促销", "售后"}
    assert session.scalar(select(func.count()).where(Script.tenant_id == tenant_id)) == 20

    run_jobs()
    run_jobs(later=True)
    session.expire_all()
    run = session.scalar(select(SequenceRun).where(SequenceRun.tenant_id == tenant_id))
    assert run is not None
    assert run.customers > 0
    days = world.siyu.get(f"{API}/sequence-runs/{run.id}").json()["days"]
    assert [d["day"] for d in days] == [1, 2, 3, 4]
    assert days[0]["customers_done"] == days[0]["customers"] > 0
    assert 0 < days[1]["customers_done"] < days[1]["customers"]
    assert days[3]["customers_done"] == 0
    # Seeding again (or the job again) makes nothing twice.
    before = session.scalar(select(func.count()).select_from(ScriptTask))
    scripts_demo.seed_run(session, tenant_id)
    scripts_demo.seed_library(session, tenant_id)
    assert session.scalar(select(func.count()).select_from(ScriptTask)) == before
    assert session.scalar(select(func.count()).where(Script.tenant_id == tenant_id)) == 20
    shown = world.siyu.get(f"{API}/materials", params={"kind": "miniprogram"}).json()
    assert shown["items"][0]["preview_url"]
