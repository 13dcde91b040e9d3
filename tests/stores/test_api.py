"""Regions and stores: created, filtered, edited and deleted only when nothing refers to them;
staff accounts assigned to one store at a time; shop managers linked to their stores."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.permissions import Role
from siyu.tenants.models import Tenant
from tests.factories import make_customer, make_staff_account, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


def _owner(app_client: TestClient, session: Session) -> Tenant:
    tenant = make_tenant(session)
    owner = make_user(session, tenant)
    session.commit()
    login(app_client, owner.username)
    return tenant


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _actions(session: Session, tenant: Tenant) -> list[str]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.tenant_id == tenant.id, AuditEvent.entity_type != "user")
            .order_by(AuditEvent.id)
        )
    )


def test_regions_are_listed_in_order_and_not_deleted_while_stores_belong_to_them(
    app_client: TestClient, session: Session
) -> None:
    tenant = _owner(app_client, session)
    east = _ok(app_client.post(f"{API}/regions", json={"name": " 华东 ", "order": 1}), 201)
    assert east["name"] == "华东"
    north = _ok(app_client.post(f"{API}/regions", json={"name": "华北", "order": 5}), 201)
    taken = app_client.post(f"{API}/regions", json={"name": "华东"})
    assert taken.status_code == 409
    assert taken.json()["code"] == "region_name_taken"
    assert "华东" in taken.json()["message"]
    assert app_client.post(f"{API}/regions", json={"name": "  "}).status_code == 422

    store = _ok(
        app_client.post(f"{API}/stores", json={"name": "上海徐汇店", "region_id": east["id"]}), 201
    )
    regions = _ok(app_client.get(f"{API}/regions"))["items"]
    assert [(r["name"], r["store_count"]) for r in regions] == [("华北", 0), ("华东", 1)]

    renamed = _ok(app_client.patch(f"{API}/regions/{east['id']}", json={"name": "华东区"}))
    assert renamed["name"] == "华东区"
    assert renamed["store_count"] == 1
    clash = app_client.patch(f"{API}/regions/{east['id']}", json={"name": "华北"})
    assert clash.status_code == 409

    refused = app_client.delete(f"{API}/regions/{east['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "region_in_use"
    assert "1" in refused.json()["message"]

    _ok(app_client.patch(f"{API}/stores/{store['id']}", json={"region_id": None}))
    assert app_client.delete(f"{API}/regions/{east['id']}").status_code == 204
    assert app_client.get(f"{API}/regions/{east['id']}").status_code == 404
    assert _ok(app_client.get(f"{API}/regions/{north['id']}"))["name"] == "华北"
    assert _actions(session, tenant) == [
        "region.create",
        "region.create",
        "store.create",
        "region.edit",
        "store.edit",
        "region.delete",
    ]


def test_stores_are_checked_filtered_and_edited(app_client: TestClient, session: Session) -> None:
    _owner(app_client, session)
    region = _ok(app_client.post(f"{API}/regions", json={"name": "华东"}), 201)
    xuhui = _ok(
        app_client.post(
            f"{API}/stores",
            json={
                "name": "上海徐汇店",
                "code": "SH-001",
                "region_id": region["id"],
                "city": "上海",
                "address": "漕溪北路 88 号",
                "latitude": 31.1885,
                "longitude": 121.4365,
                "phone": "021-5555-0101",
            },
        ),
        201,
    )
    assert xuhui["region_name"] == "华东"
    assert xuhui["status"] == "active"
    assert xuhui["staff"] == []
    assert xuhui["managers"] == []
    # Stores without a code are many; an empty code is no code.
    _ok(app_client.post(f"{API}/stores", json={"name": "北京朝阳店", "city": "北京"}), 201)
    _ok(app_client.post(f"{API}/stores", json={"name": "杭州西湖店", "code": " "}), 201)

    name_taken = app_client.post(f"{API}/stores", json={"name": "上海徐汇店"})
    assert (name_taken.status_code, name_taken.json()["code"]) == (409, "store_name_taken")
    code_taken = app_client.post(f"{API}/stores", json={"name": "新店", "code": "SH-001"})
    assert (code_taken.status_code, code_taken.json()["code"]) == (409, "store_code_taken")
    assert "上海徐汇店" in code_taken.json()["message"]
    half_place = app_client.post(f"{API}/stores", json={"name": "新店", "latitude": 30.0})
    assert (half_place.status_code, half_place.json()["code"]) == (422, "incomplete_location")
    off_map = app_client.post(
        f"{API}/stores", json={"name": "新店", "latitude": 91, "longitude": 0}
    )
    assert (off_map.status_code, off_map.json()["code"]) == (422, "validation_error")
    no_region = app_client.post(f"{API}/stores", json={"name": "新店", "region_id": 999_999})
    assert no_region.status_code == 404

    def names(**params: Any) -> list[str]:
        return [s["name"] for s in _ok(app_client.get(f"{API}/stores", params=params))["items"]]

    assert len(names()) == 3
    assert names(region_id=region["id"]) == ["上海徐汇店"]
    assert names(city="北京") == ["北京朝阳店"]
    assert names(q="SH-0") == ["上海徐汇店"]
    assert names(q="漕溪") == ["上海徐汇店"]

    closed = _ok(
        app_client.patch(
            f"{API}/stores/{xuhui['id']}",
            json={"status": "closed", "code": None, "latitude": None, "longitude": None},
        )
    )
    assert (closed["status"], closed["code"], closed["latitude"]) == ("closed", None, None)
    assert names(status="closed") == ["上海徐汇店"]
    assert names(status="active", page_size=1) == ["北京朝阳店"]
    only_one = app_client.patch(f"{API}/stores/{xuhui['id']}", json={"longitude": 121.0})
    assert only_one.status_code == 422
    clash = app_client.patch(f"{API}/stores/{xuhui['id']}", json={"name": "北京朝阳店"})
    assert clash.status_code == 409
    assert _ok(app_client.get(f"{API}/stores/{xuhui['id']}"))["name"] == "上海徐汇店"


def test_an_account_works_for_one_store_and_the_store_shows_its_staff(
    app_client: TestClient, session: Session
) -> None:
    tenant = _owner(app_client, session)
    wang = make_staff_account(session, tenant, "wangfang", "王芳")
    chen = make_staff_account(session, tenant, "chenjie", "陈杰")
    stranger = make_staff_account(session, make_tenant(session), "other", "别家导购")
    session.commit()
    first = _ok(app_client.post(f"{API}/stores", json={"name": "上海徐汇店"}), 201)
    second = _ok(app_client.post(f"{API}/stores", json={"name": "北京朝阳店"}), 201)

    url = f"{API}/stores/{first['id']}/staff"
    both = _ok(app_client.put(url, json={"staff_account_ids": [wang.id, chen.id, wang.id]}))
    assert {(s["userid"], s["name"]) for s in both["staff"]} == {
        ("wangfang", "王芳"),
        ("chenjie", "陈杰"),
    }
    assert both["staff_count"] == 2

    moved = _ok(
        app_client.put(f"{API}/stores/{second['id']}/staff", json={"staff_account_ids": [chen.id]})
    )
    assert [s["userid"] for s in moved["staff"]] == ["chenjie"]
    assert [s["userid"] for s in _ok(app_client.get(f"{API}/stores/{first['id']}"))["staff"]] == [
        "wangfang"
    ]

    unknown = app_client.put(url, json={"staff_account_ids": [wang.id, stranger.id]})
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == [stranger.id]
    emptied = _ok(app_client.put(url, json={"staff_account_ids": []}))
    assert emptied["staff"] == []
    listed = _ok(app_client.get(f"{API}/stores"))["items"]
    assert {s["name"]: s["staff_count"] for s in listed} == {"上海徐汇店": 0, "北京朝阳店": 1}
    assert _actions(session, tenant).count("store.set_staff") == 3


def test_only_shop_managers_look_after_stores(app_client: TestClient, session: Session) -> None:
    tenant = _owner(app_client, session)
    manager = make_user(session, tenant, role=Role.SHOP_MANAGER, display_name="张强")
    operator = make_user(session, tenant, role=Role.OPERATOR, display_name="李雯")
    elsewhere = make_user(session, make_tenant(session), role=Role.SHOP_MANAGER)
    session.commit()
    store = _ok(app_client.post(f"{API}/stores", json={"name": "上海徐汇店"}), 201)
    url = f"{API}/stores/{store['id']}/managers"

    refused = app_client.put(url, json={"user_ids": [manager.id, operator.id]})
    assert refused.status_code == 422
    assert refused.json()["code"] == "not_shop_manager"
    assert "李雯" in refused.json()["message"]
    assert app_client.put(url, json={"user_ids": [elsewhere.id]}).status_code == 404

    linked = _ok(app_client.put(url, json={"user_ids": [manager.id]}))
    assert [(m["id"], m["display_name"]) for m in linked["managers"]] == [(manager.id, "张强")]
    assert (
        _ok(app_client.put(url, json={"user_ids": [manager.id]}))["managers"] == linked["managers"]
    )
    assert _ok(app_client.put(url, json={"user_ids": []}))["managers"] == []


def test_a_store_is_deleted_only_when_nothing_refers_to_it(
    app_client: TestClient, session: Session
) -> None:
    tenant = _owner(app_client, session)
    account = make_staff_account(session, tenant)
    manager = make_user(session, tenant, role=Role.SHOP_MANAGER)
    customer = make_customer(session, tenant)
    session.commit()
    store = _ok(app_client.post(f"{API}/stores", json={"name": "上海徐汇店"}), 201)
    sid = store["id"]
    _ok(app_client.put(f"{API}/stores/{sid}/staff", json={"staff_account_ids": [account.id]}))
    _ok(app_client.put(f"{API}/stores/{sid}/managers", json={"user_ids": [manager.id]}))
    _ok(app_client.patch(f"{API}/customers/{customer.id}", json={"store_id": sid}))

    refused = app_client.delete(f"{API}/stores/{sid}")
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "store_in_use"
    assert "1 个员工账号、1 位店长、1 位客户" in body["message"]

    _ok(app_client.put(f"{API}/stores/{sid}/staff", json={"staff_account_ids": []}))
    _ok(app_client.put(f"{API}/stores/{sid}/managers", json={"user_ids": []}))
    assert app_client.delete(f"{API}/stores/{sid}").status_code == 409  # the customer still
    _ok(app_client.patch(f"{API}/customers/{customer.id}", json={"store_id": None}))
    assert app_client.delete(f"{API}/stores/{sid}").status_code == 204
    assert app_client.get(f"{API}/stores/{sid}").status_code == 404
    assert "store.delete" in _actions(session, tenant)


def test_who_may_read_and_manage_stores(app_client: TestClient, session: Session) -> None:
    tenant = _owner(app_client, session)
    mine = _ok(app_client.post(f"{API}/stores", json={"name": "上海徐汇店"}), 201)
    other = _ok(app_client.post(f"{API}/stores", json={"name": "北京朝阳店"}), 201)
    operator = make_user(session, tenant, role=Role.OPERATOR)
    manager = make_user(session, tenant, role=Role.SHOP_MANAGER)
    staff = make_user(session, tenant, role=Role.STAFF)
    session.commit()
    _ok(app_client.put(f"{API}/stores/{mine['id']}/managers", json={"user_ids": [manager.id]}))
    app_client.post(f"{API}/auth/logout")

    login(app_client, operator.username)
    assert _ok(app_client.get(f"{API}/stores"))["total"] == 2
    assert app_client.post(f"{API}/stores", json={"name": "新店"}).status_code == 403
    assert app_client.post(f"{API}/regions", json={"name": "华南"}).status_code == 403
    app_client.post(f"{API}/auth/logout")

    login(app_client, manager.username)
    listed = _ok(app_client.get(f"{API}/stores"))
    assert [s["name"] for s in listed["items"]] == ["上海徐汇店"]
    assert _ok(app_client.get(f"{API}/stores/{mine['id']}"))["name"] == "上海徐汇店"
    assert app_client.get(f"{API}/stores/{other['id']}").status_code == 404
    assert app_client.get(f"{API}/regions").status_code == 200
    assert app_client.patch(f"{API}/stores/{mine['id']}", json={"city": "x"}).status_code == 403
    app_client.post(f"{API}/auth/logout")

    login(app_client, staff.username)
    assert app_client.get(f"{API}/stores").status_code == 403
