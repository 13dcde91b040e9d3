from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.api.deps import SESSION_COOKIE
from siyu.auth.models import LoginFailure, LoginSession
from siyu.auth.permissions import Role
from siyu.db import utcnow
from siyu.users.models import User
from tests.factories import PASSWORD, make_tenant, make_user
from tests.helpers import login


def _user(session: Session, role: Role = Role.OWNER) -> User:
    user = make_user(session, make_tenant(session), role=role)
    session.commit()
    return user


def test_sign_in_sets_an_httponly_samesite_session_cookie(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    response = app_client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    body = response.json()
    assert body["user"]["username"] == user.username
    assert body["user"]["role"] == "owner"
    assert "users:manage" in body["user"]["permissions"]
    # The cookie holds a random token; the database only its hash.
    token = app_client.cookies[SESSION_COOKIE]
    assert session.scalar(select(LoginSession).where(LoginSession.token_hash == token)) is None


def test_wrong_password_is_refused_in_the_callers_language(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    bad = {"username": user.username, "password": "not-the-password"}
    zh = app_client.post("/api/v1/auth/login", json=bad)
    assert zh.status_code == 401
    assert zh.json() == {
        "code": "invalid_credentials",
        "message": "用户名或密码错误",
        "detail": None,
    }
    en = app_client.post(
        "/api/v1/auth/login", json=bad, headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert en.json()["message"] == "Wrong username or password"
    assert SESSION_COOKIE not in app_client.cookies


def test_unknown_user_and_disabled_user_get_the_same_answer(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    user.is_active = False
    session.commit()
    disabled = app_client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    unknown = app_client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD}
    )
    assert disabled.status_code == unknown.status_code == 401
    assert disabled.json() == unknown.json()


def test_repeated_failures_throttle_even_the_right_password(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    for _ in range(5):
        response = app_client.post(
            "/api/v1/auth/login", json={"username": user.username, "password": "guess-guess"}
        )
        assert response.status_code == 401
    throttled = app_client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert throttled.status_code == 429
    assert throttled.json()["code"] == "too_many_attempts"
    assert "15" in throttled.json()["message"]
    # Once the window has passed, the right password works again and the failures are cleared.
    session.execute(update(LoginFailure).values(created_at=utcnow() - dt.timedelta(minutes=16)))
    session.commit()
    login(app_client, user.username)
    assert (
        session.scalar(
            select(func.count())
            .select_from(LoginFailure)
            .where(LoginFailure.username == user.username)
        )
        == 0
    )


def test_me_needs_a_session(app_client: TestClient) -> None:
    response = app_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_an_expired_session_answers_401_session_expired(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    login(app_client, user.username)
    assert app_client.get("/api/v1/auth/me").status_code == 200
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id)
        .values(expires_at=utcnow() - dt.timedelta(seconds=1))
    )
    session.commit()
    response = app_client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "session_expired"
    assert "登录已过期" in response.json()["message"]


def test_a_disabled_member_loses_their_session_at_once(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    login(app_client, user.username)
    user.is_active = False
    session.commit()
    assert app_client.get("/api/v1/auth/me").json()["code"] == "session_expired"


def test_state_changes_need_the_csrf_token_and_write_nothing_without_it(
    app_client: TestClient, session: Session
) -> None:
    user = _user(session)
    login(app_client, user.username)
    del app_client.headers["X-CSRF-Token"]
    response = app_client.patch("/api/v1/auth/me", json={"locale": "en"})
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    wrong = app_client.patch(
        "/api/v1/auth/me", json={"locale": "en"}, headers={"X-CSRF-Token": "forged"}
    )
    assert wrong.status_code == 403
    session.expire_all()
    assert session.get(User, user.id).locale == "zh-CN"  # type: ignore[union-attr]


def test_language_choice_is_remembered_per_member(app_client: TestClient, session: Session) -> None:
    user = _user(session)
    login(app_client, user.username)
    response = app_client.patch("/api/v1/auth/me", json={"locale": "en"})
    assert response.status_code == 200
    assert response.json()["locale"] == "en"
    # Errors now come in English for this member, whatever the browser says.
    denied = app_client.get("/api/v1/users/999999", headers={"Accept-Language": "zh-CN"})
    assert denied.json()["message"] == "Member not found"
    app_client.post("/api/v1/auth/logout")
    again = login(app_client, user.username)
    assert again["user"]["locale"] == "en"


def test_logout_ends_the_session(app_client: TestClient, session: Session) -> None:
    user = _user(session)
    login(app_client, user.username)
    cookie = app_client.cookies[SESSION_COOKIE]
    assert app_client.post("/api/v1/auth/logout").status_code == 204
    app_client.cookies.set(SESSION_COOKIE, cookie)  # replaying the old cookie does not help
    assert app_client.get("/api/v1/auth/me").status_code == 401
