from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.factories import PASSWORD


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """Sign in; afterwards the client sends the CSRF header on every request."""
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    client.headers["X-CSRF-Token"] = body["csrf_token"]
    return body
