"""A shop manager sees the customers of their stores' staff, and of their stores, and no others."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.auth.permissions import Role
from siyu.customers.models import ChurnAlert, Customer
from siyu.stores import service
from siyu.stores.models import MemberStore, Store, StoreAssignment
from siyu.tenants.models import Tenant
from siyu.users.models import User
from tests.factories import actor, make_customer, make_staff_account, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


@dataclass
class Shops:
    tenant: Tenant
    xuhui: Store
    chaoyang: Store
    manager: User
    # wangfang works at 徐汇; chenjie at 朝阳; liwen at head office (no store).
    of_wang: Customer
    of_chen: Customer
    of_chen_but_xuhui: Customer
    of_li: Customer


def _shops(session: Session) -> Shops:
    tenant = make_tenant(session)
    xuhui = Store(tenant_id=tenant.id, name="上海徐汇店")
    chaoyang = Store(tenant_id=tenant.id, name="北京朝阳店")
    session.add_all([xuhui, chaoyang])
    session.flush()
    for userid, store in (("wangfang", xuhui), ("chenjie", chaoyang)):
        account = make_staff_account(session, tenant, userid, userid)
        session.add(
            StoreAssignment(tenant_id=tenant.id, store_id=store.id, staff_account_id=account.id)
        )
    make_staff_account(session, tenant, "liwen", "李雯")
    manager = make_user(session, tenant, role=Role.SHOP_MANAGER, display_name="张强")
    session.add(MemberStore(tenant_id=tenant.id, user_id=manager.id, store_id=xuhui.id))
    of_chen_but_xuhui = make_customer(session, tenant, "到徐汇店买过的客户", userid="chenjie")
    of_chen_but_xuhui.store_id = xuhui.id
    shops = Shops(
        tenant=tenant,
        xuhui=xuhui,
        chaoyang=chaoyang,
        manager=manager,
        of_wang=make_customer(session, tenant, "王芳的客户", userid="wangfang"),
        of_chen=make_customer(session, tenant, "陈杰的客户", userid="chenjie"),
        of_chen_but_xuhui=of_chen_but_xuhui,
        of_li=make_customer(session, tenant, "李雯的客户", userid="liwen"),
    )
    session.commit()
    return shops


def test_scope_userids_by_role(session: Session) -> None:
    shops = _shops(session)
    owner = make_user(session, shops.tenant)
    operator = make_user(session, shops.tenant, role=Role.OPERATOR)
    idle_manager = make_user(session, shops.tenant, role=Role.SHOP_MANAGER)
    staff = make_user(session, shops.tenant, role=Role.STAFF)
    assert service.scope_userids(session, actor(owner)) is None
    assert service.scope_userids(session, actor(operator)) is None
    assert service.scope_userids(session, actor(shops.manager)) == {"wangfang"}
    assert service.scope_store_ids(session, actor(shops.manager)) == {shops.xuhui.id}
    assert service.scope_userids(session, actor(idle_manager)) == set()
    assert service.scope_userids(session, actor(staff)) == set()


def test_a_shop_manager_sees_only_the_customers_of_their_store(
    app_client: TestClient, session: Session
) -> None:
    shops = _shops(session)
    login(app_client, shops.manager.username)

    listed = app_client.get(f"{API}/customers").json()
    assert {c["id"] for c in listed["items"]} == {shops.of_wang.id, shops.of_chen_but_xuhui.id}
    assert listed["total"] == 2
    assert (
        app_client.get(f"{API}/customers", params={"owner_userid": "chenjie"}).json()["total"] == 1
    )
    assert app_client.get(f"{API}/customers/{shops.of_wang.id}").status_code == 200

    outside = shops.of_chen.id
    for method, path, body in (
        ("GET", f"/customers/{outside}", None),
        ("PATCH", f"/customers/{outside}", {"city": "北京"}),
        ("GET", f"/customers/{outside}/timeline", None),
        ("POST", f"/customers/{outside}/phones", {"phone": "13912345678"}),
        ("GET", f"/customers/{shops.of_li.id}", None),
    ):
        response = app_client.request(method, API + path, json=body)
        assert response.status_code == 404, (method, path, response.text)

    alerts = app_client.get(f"{API}/churn-alerts", params={"state": "all"}).json()
    assert {a["customer_id"] for a in alerts["items"]} == {
        shops.of_wang.id,
        shops.of_chen_but_xuhui.id,
    }
    own_alert = next(a["id"] for a in alerts["items"] if a["customer_id"] == shops.of_wang.id)
    other_alert = session.scalar(
        select(ChurnAlert.id).where(ChurnAlert.customer_id == shops.of_chen.id)
    )
    handle = f"{API}/churn-alerts/{{}}/handle"
    assert app_client.post(handle.format(own_alert), json={"note": "已回访"}).status_code == 200
    assert app_client.post(handle.format(other_alert), json={"note": "x"}).status_code == 404

    tagged = app_client.post(
        f"{API}/customers/tagging",
        json={"customer_ids": [shops.of_wang.id, outside], "add": []},
    ).json()
    assert tagged["customers"] == 1


def test_a_shop_manager_without_stores_sees_no_customer(
    app_client: TestClient, session: Session
) -> None:
    shops = _shops(session)
    idle = make_user(session, shops.tenant, role=Role.SHOP_MANAGER)
    session.commit()
    login(app_client, idle.username)
    assert app_client.get(f"{API}/customers").json()["total"] == 0
    assert app_client.get(f"{API}/customers/{shops.of_wang.id}").status_code == 404
    assert app_client.get(f"{API}/stores").json()["total"] == 0


def test_owners_see_everyone_and_set_a_customers_store(
    app_client: TestClient, session: Session
) -> None:
    shops = _shops(session)
    owner = make_user(session, shops.tenant)
    foreign = Store(tenant_id=make_tenant(session).id, name="别家的店")
    session.add(foreign)
    session.commit()
    login(app_client, owner.username)
    assert app_client.get(f"{API}/customers").json()["total"] == 4

    url = f"{API}/customers/{shops.of_li.id}"
    edited = app_client.patch(url, json={"store_id": shops.chaoyang.id})
    assert edited.status_code == 200, edited.text
    assert edited.json()["store_id"] == shops.chaoyang.id
    in_chaoyang = app_client.get(f"{API}/customers", params={"store_id": shops.chaoyang.id})
    assert [c["id"] for c in in_chaoyang.json()["items"]] == [shops.of_li.id]
    timeline = app_client.get(f"{url}/timeline").json()["items"]
    assert timeline[0]["kind"] == "profile_edited"
    assert timeline[0]["detail"]["fields"] == ["store_id"]

    assert app_client.patch(url, json={"store_id": foreign.id}).status_code == 404
    assert app_client.patch(url, json={"store_id": 0}).status_code == 422
    assert app_client.get(url).json()["store_id"] == shops.chaoyang.id
    assert app_client.patch(url, json={"store_id": None}).json()["store_id"] is None


def test_a_shop_manager_may_file_customers_only_under_their_own_stores(
    app_client: TestClient, session: Session
) -> None:
    shops = _shops(session)
    login(app_client, shops.manager.username)
    url = f"{API}/customers/{shops.of_wang.id}"
    assert app_client.patch(url, json={"store_id": shops.chaoyang.id}).status_code == 404
    assert app_client.patch(url, json={"store_id": shops.xuhui.id}).json()["store_id"] == (
        shops.xuhui.id
    )
