"""The customers API: list with filters, detail, profile edits and tags on the timeline, phones
masked by role, churn alerts handled, personal data exported and erased."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.permissions import Role
from siyu.customers import phones
from siyu.customers.models import Customer, CustomerPhone
from siyu.tags.models import Tag, TagWrite
from siyu.tenants.models import Tenant
from tests.factories import make_customer, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


def _setup(app_client: TestClient, session: Session, role: Role = Role.OWNER) -> Customer:
    tenant = make_tenant(session)
    customer = make_customer(session, tenant, "林小满")
    make_customer(session, tenant, "高远", userid="staff02")
    user = make_user(session, tenant, role=role)
    session.commit()
    login(app_client, user.username)
    return customer


def test_list_filters_and_search_by_name_remark_and_phone(
    app_client: TestClient, session: Session
) -> None:
    customer = _setup(app_client, session)
    everyone = app_client.get(f"{API}/customers").json()
    assert everyone["total"] == 2
    assert app_client.get(f"{API}/customers", params={"q": "小满"}).json()["total"] == 1
    assert (
        app_client.get(f"{API}/customers", params={"owner_userid": "staff02"}).json()["total"] == 1
    )
    phone = session.scalars(
        select(CustomerPhone).where(CustomerPhone.customer_id == customer.id)
    ).one()
    number = phones.unseal(phone.sealed)
    found = app_client.get(
        f"{API}/customers", params={"q": f"+86 {number[:3]}-{number[3:7]}-{number[7:]}"}
    ).json()
    assert [c["id"] for c in found["items"]] == [customer.id]
    tag_id = found["items"][0]["tags"][0]["id"]
    tagged = app_client.get(f"{API}/customers", params={"tag_id": tag_id}).json()
    assert [c["id"] for c in tagged["items"]] == [customer.id]


def test_phones_are_masked_unless_the_role_may_see_them(
    app_client: TestClient, session: Session
) -> None:
    customer = _setup(app_client, session, Role.OPERATOR)
    detail = app_client.get(f"{API}/customers/{customer.id}").json()
    assert "****" in detail["phones"][0]["phone"]
    assert "****" in detail["phone"]
    app_client.post(f"{API}/auth/logout")
    owner = make_user(session, _tenant(session, customer))
    session.commit()
    login(app_client, owner.username)
    detail = app_client.get(f"{API}/customers/{customer.id}").json()
    assert "****" not in detail["phones"][0]["phone"]


def _tenant(session: Session, customer: Customer) -> Tenant:
    tenant = session.get(Tenant, customer.tenant_id)
    assert tenant is not None
    return tenant


def test_edit_the_profile_and_tag_and_see_both_on_the_timeline(
    app_client: TestClient, session: Session
) -> None:
    customer = _setup(app_client, session)
    edited = app_client.patch(
        f"{API}/customers/{customer.id}",
        json={"birthday": "1990-05-01", "city": "杭州", "custom": {"尺码": "M"}},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["city"] == "杭州"
    assert edited.json()["custom"] == {"尺码": "M"}
    other_tag = session.scalars(select(Tag).where(Tag.tenant_id == customer.tenant_id)).all()[-1]
    tagged = app_client.post(
        f"{API}/customers/tagging", json={"customer_ids": [customer.id], "add": [other_tag.id]}
    )
    assert tagged.json() == {"customers": 1, "added": 1, "removed": 0, "writes": 1}
    again = app_client.post(
        f"{API}/customers/tagging", json={"customer_ids": [customer.id], "add": [other_tag.id]}
    )
    assert again.json()["added"] == 0  # already there: nothing new, no second write
    assert session.scalar(select(TagWrite.add).where(TagWrite.customer_id == customer.id)) == [
        other_tag.id
    ]
    timeline = app_client.get(f"{API}/customers/{customer.id}/timeline").json()
    kinds = [e["kind"] for e in timeline["items"]]
    assert kinds[:2] == ["tagged", "profile_edited"]
    bad = app_client.patch(f"{API}/customers/{customer.id}", json={"follow_up_days": 0})
    assert bad.status_code == 422
    unknown = app_client.patch(f"{API}/customers/{customer.id}", json={"owner": "x"})
    assert unknown.status_code == 422


def test_a_bad_phone_is_refused_with_a_reason(app_client: TestClient, session: Session) -> None:
    customer = _setup(app_client, session)
    response = app_client.post(
        f"{API}/customers/{customer.id}/phones", json={"phone": "not-a-phone"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "bad_phone"


def test_churn_alerts_are_listed_and_handled(app_client: TestClient, session: Session) -> None:
    _setup(app_client, session)
    open_alerts = app_client.get(f"{API}/churn-alerts").json()
    assert open_alerts["total"] == 2
    alert_id = open_alerts["items"][0]["id"]
    handled = app_client.post(f"{API}/churn-alerts/{alert_id}/handle", json={"note": "已电话回访"})
    assert handled.json()["handled_at"] is not None
    assert app_client.get(f"{API}/churn-alerts").json()["total"] == 1


def test_personal_data_is_exported_and_then_erased_with_an_audit_record(
    app_client: TestClient, session: Session
) -> None:
    customer = _setup(app_client, session)
    exported = app_client.get(f"{API}/customers/{customer.id}/personal-data")
    assert exported.status_code == 200
    data = exported.json()
    assert data["customer"]["name"] == "林小满"
    assert data["phones"][0]["phone"].startswith("1390000")
    erased = app_client.post(f"{API}/customers/{customer.id}/erase").json()
    assert erased["status"] == "erased"
    assert erased["name"] == "（已删除）"
    assert erased["phones"] == []
    assert erased["tags"] == []
    assert erased["notes"] == ""
    assert all(f["remark"] == "" for f in erased["follows"])
    session.expire_all()
    assert (
        session.scalars(select(CustomerPhone).where(CustomerPhone.customer_id == customer.id)).all()
        == []
    )
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == str(customer.id))
    ).all()
    assert {"customer.export_personal_data", "customer.erase"} <= set(actions)
    assert app_client.patch(f"{API}/customers/{customer.id}", json={"city": "x"}).status_code == 409


def test_an_operator_may_not_erase(app_client: TestClient, session: Session) -> None:
    customer = _setup(app_client, session, Role.OPERATOR)
    assert app_client.post(f"{API}/customers/{customer.id}/erase").status_code == 403
