"""Rotation: head office hands a staff account to another person every two weeks; each period is
kept so results are credited to whoever ran the account at the time."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.permissions import Role
from siyu.staff.models import StaffAccount
from siyu.stores import service
from siyu.stores.errors import RotationOutOfOrder
from siyu.stores.models import StaffRotation
from siyu.tenants.models import Tenant
from tests.factories import make_staff_account, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"
CN = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CN)  # a Monday, 09:00 in China
TWO_WEEKS = dt.timedelta(days=14)
TICK = dt.timedelta(microseconds=1)


def _account(session: Session) -> tuple[Tenant, StaffAccount]:
    tenant = make_tenant(session)
    return tenant, make_staff_account(session, tenant, "xuhui01", "徐汇店1号")


def _two_weeks_each(session: Session, tenant: Tenant, account: StaffAccount) -> None:
    for n, person in enumerate(("王芳", "周敏", "王芳")):
        service.rotate(
            session, tenant.id, account.id, operator_name=person, started_at=T0 + n * TWO_WEEKS
        )


def test_operator_at_counts_a_period_from_its_start_up_to_but_not_including_its_end(
    session: Session,
) -> None:
    tenant, account = _account(session)
    _two_weeks_each(session, tenant, account)

    def who(at: dt.datetime) -> str | None:
        found = service.operator_at(session, tenant.id, account.id, at)
        return found.operator_name if found else None

    assert who(T0 - TICK) is None
    assert who(T0) == "王芳"
    assert who(T0 + TWO_WEEKS - TICK) == "王芳"
    assert who(T0 + TWO_WEEKS) == "周敏"
    assert who(T0 + 2 * TWO_WEEKS - TICK) == "周敏"
    assert who(T0 + 2 * TWO_WEEKS) == "王芳"
    assert who(T0 + 100 * TWO_WEEKS) == "王芳"  # the open period
    # The same moment in another zone is the same moment.
    assert who((T0 + TWO_WEEKS).astimezone(dt.UTC)) == "周敏"
    assert service.operator_at(session, tenant.id, account.id + 1000, T0) is None
    with pytest.raises(ValueError, match="aware"):
        service.operator_at(session, tenant.id, account.id, dt.datetime(2026, 3, 2))


def test_a_rotation_may_not_start_before_the_current_period(session: Session) -> None:
    tenant, account = _account(session)
    _two_weeks_each(session, tenant, account)
    with pytest.raises(RotationOutOfOrder):
        service.rotate(
            session, tenant.id, account.id, operator_name="陈杰", started_at=T0 + TWO_WEEKS
        )
    periods = session.scalars(
        select(StaffRotation).where(StaffRotation.staff_account_id == account.id)
    ).all()
    assert len(periods) == 3
    assert sum(1 for p in periods if p.ended_at is None) == 1


def test_the_database_holds_one_open_period_per_account(session: Session) -> None:
    tenant, account = _account(session)
    service.rotate(session, tenant.id, account.id, operator_name="王芳", started_at=T0)
    session.add(
        StaffRotation(
            tenant_id=tenant.id,
            staff_account_id=account.id,
            operator_name="周敏",
            started_at=T0 + TWO_WEEKS,
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_a_two_week_rotation_through_the_api(app_client: TestClient, session: Session) -> None:
    tenant, account = _account(session)
    other = make_staff_account(session, tenant, "chaoyang01", "朝阳店1号")
    wang = make_user(session, tenant, role=Role.STAFF, display_name="王芳")
    operator = make_user(session, tenant, role=Role.OPERATOR)
    session.commit()
    login(app_client, operator.username)
    url = f"{API}/staff/{account.id}/rotations"

    first = app_client.post(
        url, json={"operator_name": "王芳", "user_id": wang.id, "started_at": T0.isoformat()}
    )
    assert first.status_code == 201, first.text
    assert first.json()["ended_at"] is None
    for n, person in ((1, "周敏"), (2, "王芳")):
        response = app_client.post(
            url,
            json={"operator_name": person, "started_at": (T0 + n * TWO_WEEKS).isoformat()},
        )
        assert response.status_code == 201, response.text
    app_client.post(
        f"{API}/staff/{other.id}/rotations",
        json={"operator_name": "陈杰", "started_at": (T0 + TWO_WEEKS).isoformat()},
    )

    history = app_client.get(url).json()
    assert history["total"] == 3
    items = history["items"]
    assert [i["operator_name"] for i in items] == ["王芳", "周敏", "王芳"]
    assert items[0]["ended_at"] is None
    assert items[1]["ended_at"] == items[0]["started_at"]
    assert items[2]["ended_at"] == items[1]["started_at"]
    assert items[2]["user_id"] == wang.id
    assert dt.datetime.fromisoformat(items[2]["started_at"]) == T0

    at = (T0 + TWO_WEEKS + dt.timedelta(days=3)).isoformat()
    operators = app_client.get(f"{API}/rotations", params={"at": at}).json()
    assert {i["userid"]: i["operator_name"] for i in operators["items"]} == {
        "xuhui01": "周敏",
        "chaoyang01": "陈杰",
    }
    early = app_client.get(f"{API}/rotations", params={"at": (T0 - TICK).isoformat()}).json()
    assert early["items"] == []
    now = app_client.get(f"{API}/rotations").json()
    assert {i["userid"]: i["operator_name"] for i in now["items"]}["xuhui01"] == "王芳"

    session.expire_all()
    audited = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.tenant_id == tenant.id, AuditEvent.entity_type == "staff_account"
        )
    ).all()
    assert audited == ["staff.rotate"] * 4


def test_rotations_are_refused_when_out_of_order_or_unclear(
    app_client: TestClient, session: Session
) -> None:
    tenant, account = _account(session)
    stranger = make_user(session, make_tenant(session))
    owner = make_user(session, tenant)
    session.commit()
    login(app_client, owner.username)
    url = f"{API}/staff/{account.id}/rotations"
    assert (
        app_client.post(
            url, json={"operator_name": "王芳", "started_at": (T0 + TWO_WEEKS).isoformat()}
        ).status_code
        == 201
    )

    overlapping = app_client.post(
        url, json={"operator_name": "周敏", "started_at": (T0 + TWO_WEEKS - TICK).isoformat()}
    )
    assert overlapping.status_code == 422
    assert overlapping.json()["code"] == "rotation_out_of_order"
    naive = app_client.post(url, json={"operator_name": "周敏", "started_at": "2026-04-01T09:00"})
    assert naive.status_code == 422
    assert app_client.post(url, json={"operator_name": "  "}).status_code == 422
    not_a_member = app_client.post(url, json={"operator_name": "周敏", "user_id": stranger.id})
    assert not_a_member.status_code == 404
    assert app_client.get(f"{API}/rotations", params={"at": "2026-04-01"}).status_code == 422
    assert app_client.get(url).json()["total"] == 1

    # Without a start, the next person takes over now.
    current = app_client.post(url, json={"operator_name": "周敏"})
    assert current.status_code == 201
    assert app_client.get(f"{API}/rotations").json()["items"][0]["operator_name"] == "周敏"


def test_who_may_rotate(app_client: TestClient, session: Session) -> None:
    tenant, account = _account(session)
    manager = make_user(session, tenant, role=Role.SHOP_MANAGER)
    session.commit()
    login(app_client, manager.username)
    url = f"{API}/staff/{account.id}/rotations"
    assert app_client.get(url).status_code == 200
    assert app_client.post(url, json={"operator_name": "王芳"}).status_code == 403
