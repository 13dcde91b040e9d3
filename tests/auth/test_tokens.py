from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.auth.models import ApiToken
from siyu.auth.permissions import Role
from tests.factories import make_tenant, make_token, make_user
from tests.helpers import login


def test_an_integrator_token_reads_what_its_scopes_allow(
    app_client: TestClient, session: Session
) -> None:
    tenant = make_tenant(session)
    _id, plain = make_token(session, tenant, scopes=["dashboard:read"])
    session.commit()
    bearer = {"Authorization": f"Bearer {plain}"}
    assert app_client.get("/api/v1/dashboard", headers=bearer).status_code == 200
    denied = app_client.get("/api/v1/users", headers=bearer)
    assert denied.status_code == 403
    assert denied.json()["code"] == "permission_denied"
    assert "users:read" in denied.json()["message"]


def test_tokens_are_stored_hashed_and_shown_once(app_client: TestClient, session: Session) -> None:
    owner = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, owner.username)
    created = app_client.post("/api/v1/api-tokens", json={"name": "POS", "scopes": ["users:read"]})
    assert created.status_code == 201
    plain = created.json()["token"]
    assert plain.startswith("siyu_")
    row = session.scalar(select(ApiToken).where(ApiToken.id == created.json()["api_token"]["id"]))
    assert row is not None
    assert plain not in (row.token_hash, row.prefix)
    listed = app_client.get("/api/v1/api-tokens").json()
    assert plain not in str(listed)
    assert listed["items"][0]["prefix"] == plain[:12]


def test_a_revoked_token_stops_working(app_client: TestClient, session: Session) -> None:
    tenant = make_tenant(session)
    owner = make_user(session, tenant)
    token_id, plain = make_token(session, tenant)
    session.commit()
    login(app_client, owner.username)
    assert app_client.delete(f"/api/v1/api-tokens/{token_id}").status_code == 204
    app_client.cookies.clear()
    response = app_client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_a_token_cannot_be_granted_administration(app_client: TestClient, session: Session) -> None:
    owner = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, owner.username)
    response = app_client.post(
        "/api/v1/api-tokens", json={"name": "too strong", "scopes": ["users:manage"]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_scope"
    assert app_client.get("/api/v1/api-tokens").json()["total"] == 0


def test_tokens_need_no_csrf_header_but_sessions_do(
    app_client: TestClient, session: Session
) -> None:
    tenant = make_tenant(session)
    staff = make_user(session, tenant, role=Role.STAFF)
    _id, plain = make_token(session, tenant, scopes=["dashboard:read"])
    session.commit()
    response = app_client.get("/api/v1/dashboard", headers={"Authorization": f"Bearer {plain}"})
    assert response.status_code == 200
    login(app_client, staff.username)
    assert app_client.get("/api/v1/api-tokens").status_code == 403


def test_a_made_up_token_is_refused(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/dashboard", headers={"Authorization": "Bearer siyu_madeup"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
