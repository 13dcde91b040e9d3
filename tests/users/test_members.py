from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.permissions import Role
from siyu.users.models import User
from tests.factories import make_tenant, make_user
from tests.helpers import login

NEW_MEMBER = {
    "username": "zhaolei",
    "display_name": "赵磊",
    "password": "a-good-password",
    "role": "operator",
}


def test_an_owner_adds_a_member_and_the_audit_log_records_it(
    app_client: TestClient, session: Session
) -> None:
    owner = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, owner.username)
    created = app_client.post("/api/v1/users", json=NEW_MEMBER)
    assert created.status_code == 201
    assert created.json()["role"] == "operator"
    log = app_client.get("/api/v1/audit-logs", params={"action": "user.create"}).json()
    newest = log["items"][0]
    assert newest["entity_id"] == str(created.json()["id"])
    assert newest["actor"]["display_name"] == owner.display_name
    assert newest["after"]["username"] == "zhaolei"
    assert "password" not in str(newest)
    assert newest["ip"]


def test_a_change_records_before_and_after(app_client: TestClient, session: Session) -> None:
    tenant = make_tenant(session)
    owner = make_user(session, tenant)
    member = make_user(session, tenant, role=Role.STAFF)
    session.commit()
    login(app_client, owner.username)
    response = app_client.patch(f"/api/v1/users/{member.id}", json={"role": "shop_manager"})
    assert response.status_code == 200
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.update").order_by(AuditEvent.id.desc())
    ).first()
    assert event is not None
    assert event.before is not None
    assert event.after is not None
    assert (event.before["role"], event.after["role"]) == ("staff", "shop_manager")


def test_an_operator_cannot_manage_members(app_client: TestClient, session: Session) -> None:
    operator = make_user(session, make_tenant(session), role=Role.OPERATOR)
    session.commit()
    login(app_client, operator.username)
    assert app_client.get("/api/v1/users").status_code == 200
    response = app_client.post("/api/v1/users", json=NEW_MEMBER)
    assert response.status_code == 403
    assert response.json()["message"] == "没有权限：需要 users:manage"
    assert session.scalar(select(User).where(User.username == "zhaolei")) is None


def test_staff_cannot_read_the_audit_log(app_client: TestClient, session: Session) -> None:
    staff = make_user(session, make_tenant(session), role=Role.STAFF)
    session.commit()
    login(app_client, staff.username)
    assert app_client.get("/api/v1/audit-logs").status_code == 403
    assert app_client.get("/api/v1/dashboard").status_code == 200


def test_an_admin_cannot_make_owners(app_client: TestClient, session: Session) -> None:
    admin = make_user(session, make_tenant(session), role=Role.ADMIN)
    session.commit()
    login(app_client, admin.username)
    response = app_client.post("/api/v1/users", json={**NEW_MEMBER, "role": "owner"})
    assert response.status_code == 403
    assert response.json()["code"] == "role_not_assignable"


def test_the_last_owner_cannot_be_disabled(app_client: TestClient, session: Session) -> None:
    owner = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, owner.username)
    response = app_client.patch(f"/api/v1/users/{owner.id}", json={"is_active": False})
    assert response.status_code == 409
    assert response.json()["code"] == "last_owner"
    session.expire_all()
    assert session.get(User, owner.id).is_active  # type: ignore[union-attr]


def test_usernames_are_unique_regardless_of_case(app_client: TestClient, session: Session) -> None:
    owner = make_user(session, make_tenant(session))
    session.commit()
    login(app_client, owner.username)
    assert app_client.post("/api/v1/users", json=NEW_MEMBER).status_code == 201
    again = app_client.post("/api/v1/users", json={**NEW_MEMBER, "username": "ZhaoLei"})
    assert again.status_code == 409
    assert again.json()["code"] == "username_taken"
