from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu import jobs
from tests.factories import make_tenant
from tests.wecom.factories import connect


def test_healthz_reports_database_and_queue(app_client: TestClient) -> None:
    response = app_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["jobs"] == {"ok": True, "backend": "memory", "queued": 0, "overdue": 0}
    assert body["wecom"]["status"] == "not_connected"


def test_healthz_reports_connected_corps(app_client: TestClient, session: Session) -> None:
    connect(session, make_tenant(session))
    session.commit()
    wecom = app_client.get("/healthz").json()["wecom"]
    assert wecom == {
        "status": "connected",
        "connections": 1,
        "failing_checks": 0,
        "awaiting_verification": 1,
    }


def test_healthz_is_503_when_the_queue_is_unreachable(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down() -> int:
        raise ConnectionError("Connection refused (redis 127.0.0.1:6379)")

    monkeypatch.setattr(jobs, "queue_size", down)
    response = app_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert "Connection refused" in response.json()["jobs"]["error"]


def test_openapi_is_served_with_error_codes(app_client: TestClient) -> None:
    spec = app_client.get("/api/v1/openapi.json").json()
    login = spec["paths"]["/api/v1/auth/login"]["post"]
    assert login["operationId"] == "login"
    assert "invalid_credentials" in login["responses"]["401"]["description"]
    assert "too_many_attempts" in login["responses"]["429"]["description"]


def test_api_docs_load_nothing_from_a_cdn(app_client: TestClient) -> None:
    docs = app_client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "/api-docs/swagger-ui-bundle.js" in docs.text
    assert "https://" not in docs.text
    assert "http://" not in docs.text
