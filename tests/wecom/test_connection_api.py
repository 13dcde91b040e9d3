from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.permissions import Role
from siyu.wecom.models import WeComConnection
from tests.factories import make_tenant, make_user
from tests.helpers import login

FIRST = {
    "corp_id": "wwbrand000001",
    "contact_secret": "contact-secret-0001-abcd",
    "agent_id": 1000002,
    "app_secret": "app-secret-0001-wxyz",
}


def owner_client(app_client: TestClient, session: Session, role: Role = Role.OWNER) -> TestClient:
    user = make_user(session, make_tenant(session), role=role)
    session.commit()
    login(app_client, user.username)
    return app_client


def test_not_connected_yet(app_client: TestClient, session: Session) -> None:
    client = owner_client(app_client, session)
    assert client.get("/api/v1/wecom/connection").json() == {"connection": None}
    assert client.post("/api/v1/wecom/connection/check").status_code == 404


def test_connecting_gives_the_callback_settings_to_paste_into_wecom(
    app_client: TestClient, session: Session
) -> None:
    client = owner_client(app_client, session)
    response = client.put("/api/v1/wecom/connection", json=FIRST)
    assert response.status_code == 200
    connection = response.json()["connection"]
    assert connection["corp_id"] == "wwbrand000001"
    assert connection["contact_secret"].endswith("abcd")
    assert "contact-secret" not in connection["contact_secret"]
    callback = connection["callback"]
    assert callback["url"].startswith("http://127.0.0.1:8000/wecom/callback/")
    assert len(callback["token"]) == 32
    assert len(callback["encoding_aes_key"]) == 43
    assert callback["verified_at"] is None
    assert callback["events_received"] == 0


def test_secrets_are_sealed_at_rest_and_masked_in_the_audit_log(
    app_client: TestClient, session: Session
) -> None:
    client = owner_client(app_client, session)
    client.put("/api/v1/wecom/connection", json=FIRST)
    row = session.scalars(select(WeComConnection)).one()
    assert FIRST["contact_secret"] not in row.contact_secret_sealed
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "wecom.connect")).one()
    assert "contact-secret-0001" not in str(event.after)
    assert event.after is not None
    assert event.after["contact_secret"].endswith("abcd")


def test_saving_again_without_secrets_keeps_them(app_client: TestClient, session: Session) -> None:
    client = owner_client(app_client, session)
    first = client.put("/api/v1/wecom/connection", json=FIRST).json()["connection"]
    again = client.put(
        "/api/v1/wecom/connection", json={"corp_id": "wwbrand000001", "agent_id": 1000002}
    ).json()["connection"]
    assert again["contact_secret"] == first["contact_secret"]
    assert again["app_secret"] == first["app_secret"]
    assert again["callback"] == first["callback"]


def test_a_first_connection_needs_the_contact_secret(
    app_client: TestClient, session: Session
) -> None:
    client = owner_client(app_client, session)
    response = client.put("/api/v1/wecom/connection", json={"corp_id": "wwbrand000001"})
    assert response.status_code == 400
    assert "contact_secret" in response.json()["message"]
    assert client.get("/api/v1/wecom/connection").json() == {"connection": None}


def test_a_malformed_aes_key_is_refused_naming_the_field(
    app_client: TestClient, session: Session
) -> None:
    client = owner_client(app_client, session)
    response = client.put(
        "/api/v1/wecom/connection", json={**FIRST, "encoding_aes_key": "too-short"}
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.encoding_aes_key"


def test_one_corp_cannot_be_connected_to_two_tenants(
    app_client: TestClient, session: Session
) -> None:
    client = owner_client(app_client, session)
    assert client.put("/api/v1/wecom/connection", json=FIRST).status_code == 200
    other = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, other.username)
    response = app_client.put("/api/v1/wecom/connection", json=FIRST)
    assert response.status_code == 400
    assert "wwbrand000001" in response.json()["message"]


def test_operators_cannot_see_the_secrets(app_client: TestClient, session: Session) -> None:
    client = owner_client(app_client, session, role=Role.OPERATOR)
    assert client.get("/api/v1/wecom/connection").status_code == 403
    assert client.put("/api/v1/wecom/connection", json=FIRST).status_code == 403
