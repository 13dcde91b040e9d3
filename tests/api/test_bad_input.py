"""Bad input gets the right status and a clear message, never a 500, and writes nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.users.models import User
from tests.factories import make_tenant, make_user
from tests.helpers import login


@pytest.fixture
def owner_client(app_client: TestClient, session: Session) -> TestClient:
    owner = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, owner.username)
    return app_client


def _counts(session: Session) -> tuple[int, int]:
    session.expire_all()
    users = session.scalar(select(func.count()).select_from(User)) or 0
    events = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
    return users, events


def test_malformed_json_is_a_400_that_says_where(
    owner_client: TestClient, session: Session
) -> None:
    before = _counts(session)
    response = owner_client.post(
        "/api/v1/users", content=b'{"username": "x",', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_json"
    assert "JSON" in body["message"]
    assert _counts(session) == before


def test_a_missing_field_is_a_422_naming_the_field(
    owner_client: TestClient, session: Session
) -> None:
    before = _counts(session)
    response = owner_client.post(
        "/api/v1/users",
        json={"username": "ok-name", "password": "long-enough-pw", "role": "operator"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["detail"][0]["field"] == "body.display_name"
    assert body["detail"][0]["reason"] == "必填"
    assert "body.display_name" in body["message"]
    assert _counts(session) == before


def test_a_wrong_value_is_explained_in_english_too(app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/auth/login",
        json={"username": "", "password": True},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    reasons = {d["field"]: d["reason"] for d in response.json()["detail"]}
    assert reasons["body.username"] == "is too short (at least 1 characters)"
    assert reasons["body.password"] == "must be text"


def test_a_signed_in_members_language_wins_over_the_browsers(owner_client: TestClient) -> None:
    response = owner_client.post(
        "/api/v1/users",
        json={"username": "ok-name", "display_name": "x", "password": "short", "role": "boss"},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    reasons = {d["field"]: d["reason"] for d in response.json()["detail"]}
    assert reasons["body.password"] == "太短（至少 10 个字符）"
    assert reasons["body.role"].startswith("只能是")


def test_unknown_fields_are_refused(owner_client: TestClient) -> None:
    response = owner_client.patch("/api/v1/auth/me", json={"locale": "en", "role": "owner"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "body.role"


def test_an_oversize_body_is_a_413_before_it_is_read(
    owner_client: TestClient, session: Session
) -> None:
    before = _counts(session)
    huge = b'{"username": "' + b"x" * (3 * 1024 * 1024) + b'"}'
    response = owner_client.post(
        "/api/v1/users", content=huge, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"
    assert _counts(session) == before


def test_an_oversize_chunked_body_is_a_413_while_reading(
    owner_client: TestClient, session: Session
) -> None:
    before = _counts(session)

    def chunks() -> Iterator[bytes]:
        yield b'{"username": "'
        for _ in range(40):
            yield b"x" * 100_000
        yield b'"}'

    response = owner_client.post(
        "/api/v1/users", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert _counts(session) == before


def test_an_unknown_api_route_is_a_json_404(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.json()["code"] == "route_not_found"
    assert "/api/v1/no-such-thing" in response.json()["message"]


def test_a_wrong_method_is_a_405(owner_client: TestClient) -> None:
    response = owner_client.put("/api/v1/dashboard", json={})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_an_id_that_is_not_a_number_is_a_422(owner_client: TestClient) -> None:
    response = owner_client.get("/api/v1/users/abc")
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "path.user_id"


def test_paging_outside_bounds_is_a_422(owner_client: TestClient) -> None:
    response = owner_client.get("/api/v1/users", params={"page_size": 100000})
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "query.page_size"


def test_every_response_carries_a_request_id(app_client: TestClient) -> None:
    assert app_client.get("/healthz").headers["x-request-id"]


def test_an_unexpected_error_is_a_500_with_a_request_id_and_no_internals(
    app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from siyu import health

    def explode(*_: object) -> object:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(health, "check", explode)
    response = app_client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "req-123" in response.json()["message"]
    assert "secret internals" not in response.text
