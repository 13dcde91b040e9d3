"""A world ready for broadcasts: callbacks verified, staff and customers mirrored from the
sandbox, quiet hours off (tests run at any hour)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from siyu.broadcasts import service as broadcasts
from siyu.broadcasts.models import Broadcast
from siyu.customers import service as customers
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.playbooks.models import Playbook
from tests.conftest import RunJobs, World

API = "/api/v1"


@pytest.fixture
def ready(world: World, database: Database, run_jobs: RunJobs) -> World:
    """Without the demo's group playbook (its week of broadcasts is left out by the world)."""
    world.verify_callback_url()
    with database.transaction() as session:
        session.execute(delete(Broadcast).where(Broadcast.source.startswith("playbook:")))
        session.execute(delete(Playbook))
        customers.start_sync(session, world.connection.tenant_id)
        broadcasts.save_settings(
            session, world.connection.tenant_id, {"quiet_start": "00:00", "quiet_end": "00:00"}
        )
    run_jobs()
    return world


def customer_ids(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        c.external_userid or "": c.id
        for c in session.scalars(select(Customer).where(Customer.external_userid.is_not(None)))
    }


def compose(world: World, **body: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"name": "周末上新", "text": "周末上新，到店有礼"} | body
    response = world.siyu.post(f"{API}/broadcasts", json=payload)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def results(world: World, broadcast_id: int) -> dict[str, Any]:
    response = world.siyu.get(f"{API}/broadcasts/{broadcast_id}/results")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def sandbox_sends(world: World) -> list[dict[str, Any]]:
    """Every mass message the sandbox delivered (its effects), oldest first."""
    effects: Any = world.sandbox_admin("GET", "/inspect/effects", params={"kind": "mass_message"})
    rows: list[dict[str, Any]] = effects["effects"] if isinstance(effects, dict) else effects
    return rows
