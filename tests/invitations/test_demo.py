"""The demo tenant's group invitation, made through the real paths against the sandbox, and
what ``siyu up`` does with it: the staff send it, a few of the invited join through the code."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts.models import Broadcast
from siyu.customers import service as customers
from siyu.db import Database
from siyu.invitations import demo
from siyu.invitations.models import Invitation
from tests.conftest import RunJobs, World

pytestmark = pytest.mark.reach_demo

API = "/api/v1"


def test_the_demo_invites_its_new_friends_and_some_join(
    world: World, session: Session, database: Database, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    with database.transaction() as writing:
        customers.start_sync(writing, world.connection.tenant_id)
    run_jobs()
    run_jobs(later=True)
    session.expire_all()
    [invitation] = session.scalars(select(Invitation)).all()
    assert invitation.name == demo.NAME
    broadcast = session.get(Broadcast, invitation.broadcast_id)
    assert broadcast is not None
    assert broadcast.state == "sent"
    assert broadcast.material_ids == [invitation.material_id]

    tasks, config_id, invited = demo.demo_invitees(session)
    assert tasks
    assert 1 <= len(invited) <= demo.JOINS  # the test corp has six customers, no crowd
    for _broadcast, msgid, userid in tasks:
        world.sandbox_admin(
            "POST", "/simulate/confirm_mass", json={"msgid": msgid, "userid": userid}
        )
    for external_userid in invited:
        world.sandbox_admin(
            "POST",
            "/simulate/scan_group_code",
            json={"config_id": config_id, "external_userid": external_userid},
        )
    world.sandbox_admin("POST", "/callbacks/deliver")
    assert world.siyu.post(f"{API}/broadcasts/{broadcast.id}/sync").status_code == 202
    run_jobs()

    results = world.siyu.get(f"{API}/invitations/{invitation.id}/results").json()
    numbers = results["invitation"]["numbers"]
    assert numbers["delivered"] >= len(invited)
    assert numbers["joined"] == len(invited)
    assert sum(g["joined"] for g in results["groups"]) == numbers["joined"]
    assert results["invitation"]["code_name"] == "徐汇店福利群码"
    joined = {j["customer_id"] for j in results["joined"]}
    assert len(joined) == len(invited)
    # Every task is confirmed now: `siyu up` finds nothing more to do.
    session.expire_all()
    assert demo.demo_invitees(session)[0] == []
