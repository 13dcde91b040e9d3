from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu import demo
from siyu.audit.models import AuditEvent
from siyu.tenants.models import Tenant
from siyu.users.models import User
from tests.helpers import login

DEMO_PASSWORD = "demo-password-for-tests"


def test_seeding_twice_seeds_nothing_twice(session: Session) -> None:
    first = demo.seed(session, password=DEMO_PASSWORD)
    counts = (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    second = demo.seed(session, password=DEMO_PASSWORD)
    assert first.created
    assert not second.created
    assert first.tenant_id == second.tenant_id
    assert counts == (
        session.scalar(select(func.count()).select_from(User)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
    )
    assert (
        session.scalar(select(func.count()).select_from(Tenant).where(Tenant.slug == "demo")) == 1
    )


def test_the_demo_dashboard_shows_the_demo_tenants_real_counts(
    app_client: TestClient, session: Session
) -> None:
    demo.seed(session, password=DEMO_PASSWORD)
    session.commit()
    login(app_client, demo.DEMO_USERNAME, DEMO_PASSWORD)
    dashboard = app_client.get("/api/v1/dashboard").json()
    cards = {c["key"]: c["value"] for c in dashboard["cards"]}
    active_team = len(demo.DEMO_TEAM) - 1  # one member has left
    assert cards["members"] == active_team
    assert cards["api_tokens"] == 1
    # Each member created, the one who left, the integration token, and the WeCom connection.
    assert cards["audit_7d"] == len(demo.DEMO_TEAM) + 3
    assert sum(dashboard["activity"]["values"]) == cards["audit_7d"]
    assert len(dashboard["activity"]["days"]) == 14


def test_the_demo_tenant_is_connected_to_the_sandbox_corp(session: Session) -> None:
    from siyu.sandbox.demo import DEMO_CORP
    from siyu.wecom import callbacks
    from siyu.wecom import service as wecom

    result = demo.seed(session, password=DEMO_PASSWORD)
    connection = wecom.get(session, result.tenant_id)
    assert connection is not None
    assert connection.corp_id == DEMO_CORP.corp_id
    assert callbacks.callback_crypto(connection).token == DEMO_CORP.callback_token
