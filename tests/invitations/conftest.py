"""The broadcasts' world (customers synced, quiet hours off), without the demo's invitation."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from siyu.db import Database
from siyu.invitations.demo import DEMO_JOB
from siyu.jobs import Job
from tests.broadcasts.conftest import ready
from tests.conftest import World

__all__ = ["invitation_world", "ready"]


@pytest.fixture
def invitation_world(ready: World, database: Database) -> World:
    with database.transaction() as session:
        session.execute(delete(Job).where(Job.kind == DEMO_JOB))
    return ready
