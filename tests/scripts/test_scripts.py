"""The script library over HTTP: categories two levels deep, scripts with variables and
materials, and search."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.auth.permissions import Role
from siyu.tenants.models import Tenant
from tests.factories import make_tenant, make_user
from tests.helpers import login
from tests.materials.factories import make_file, make_image
from tests.scripts.factories import make_script

API = "/api/v1"


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session)


@pytest.fixture
def owner(app_client: TestClient, session: Session, tenant: Tenant) -> TestClient:
    user = make_user(session, tenant)
    session.commit()
    login(app_client, user.username)
    return app_client


def _post(client: TestClient, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = client.post(API + path, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_categories_form_a_two_level_tree(owner: TestClient) -> None:
    opening = _post(owner, "/script-categories", {"name": "开场白"})
    store = _post(owner, "/script-categories", {"name": "门店", "parent_id": opening["id"]})
    deeper = _post(owner, "/script-categories", {"name": "三级", "parent_id": store["id"]}, 422)
    assert deeper["code"] == "script_category_too_deep"
    twin = _post(owner, "/script-categories", {"name": "开场白"}, 409)
    assert twin["code"] == "script_category_duplicate"
    _post(owner, "/scripts", {"title": "门店欢迎", "body": "您好", "category_id": store["id"]})
    tree = owner.get(f"{API}/script-categories").json()
    assert [(c["name"], c["scripts"]) for c in tree] == [("开场白", 1)]
    assert [(c["name"], c["scripts"]) for c in tree[0]["children"]] == [("门店", 1)]
    refused = owner.delete(f"{API}/script-categories/{store['id']}")
    assert refused.status_code == 409
    assert refused.json()["code"] == "script_category_not_empty"


def test_search_matches_title_keywords_and_text_within_a_category(
    owner: TestClient, session: Session, tenant: Tenant
) -> None:
    promo = _post(owner, "/script-categories", {"name": "活动促销"})
    sub = _post(owner, "/script-categories", {"name": "双十一", "parent_id": promo["id"]})
    after = _post(owner, "/script-categories", {"name": "售后"})
    for title, body, keywords, category in (
        ("满减提醒", "{customer_name}，满300减50 今晚截止", "优惠 满减", sub["id"]),
        ("新品试用", "新品到店，欢迎试用", "新品", promo["id"]),
        ("退换货", "七天无理由退换，满意为止", "退货 售后", after["id"]),
    ):
        _post(
            owner,
            "/scripts",
            {"title": title, "body": body, "keywords": keywords, "category_id": category},
        )

    def found(**params: Any) -> list[str]:
        page = owner.get(f"{API}/scripts", params=params).json()
        return [s["title"] for s in page["items"]]

    assert found(keyword="满") == ["退换货", "满减提醒"]
    assert found(keyword="满", category_id=promo["id"]) == ["满减提醒"]  # its subcategory too
    assert found(keyword="优惠") == ["满减提醒"]
    assert found(keyword="欢迎 新品") == ["新品试用"]
    assert found(keyword="%") == []
    assert found(category_id=after["id"]) == ["退换货"]
    missing = owner.get(f"{API}/scripts", params={"category_id": 999999})
    assert missing.status_code == 404


def test_the_most_used_scripts_come_first(owner: TestClient) -> None:
    a = _post(owner, "/scripts", {"title": "甲", "body": "甲"})
    b = _post(owner, "/scripts", {"title": "乙", "body": "乙"})
    for _ in range(2):
        owner.post(f"{API}/scripts/{a['id']}/used")
    titles = [s["title"] for s in owner.get(f"{API}/scripts").json()["items"]]
    assert titles == ["甲", "乙"]
    assert owner.get(f"{API}/scripts/{a['id']}").json()["use_count"] == 2
    assert b["use_count"] == 0


def test_unknown_variables_and_materials_are_refused(
    owner: TestClient, session: Session, tenant: Tenant
) -> None:
    bad = _post(owner, "/scripts", {"title": "t", "body": "{nickname}您好"}, 422)
    assert bad["code"] == "script_unknown_variables"
    assert bad["detail"] == {"unknown": ["nickname"]}
    other = make_image(session, make_tenant(session, "其他"))
    image, doc = make_image(session, tenant), make_file(session, tenant)
    session.commit()
    theirs = _post(owner, "/scripts", {"title": "t", "body": "b", "material_ids": [other.id]}, 422)
    assert theirs["code"] == "materials_unknown"
    body = {
        "title": "价目",
        "body": "{customer_name}请看价目表",
        "material_ids": [doc.id, image.id],
    }
    made = _post(owner, "/scripts", body)
    assert [m["kind"] for m in made["materials"]] == ["file", "image"]
    assert made["variables"] == ["customer_name"]
    edited = owner.patch(f"{API}/scripts/{made['id']}", json={"body": "{staff_name}在"})
    assert edited.json()["variables"] == ["staff_name"]


def test_staff_read_scripts_but_do_not_write_them(
    app_client: TestClient, session: Session, tenant: Tenant
) -> None:
    make_script(session, tenant)
    staff = make_user(session, tenant, role=Role.STAFF)
    session.commit()
    login(app_client, staff.username)
    assert app_client.get(f"{API}/scripts").json()["total"] == 1
    variables = app_client.get(f"{API}/script-variables").json()
    assert {v["key"] for v in variables} >= {"customer_name", "today"}
    refused = app_client.post(f"{API}/scripts", json={"title": "t", "body": "b"})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/scripts", {"title": "", "body": "b"}),
        ("POST", "/scripts", {"title": "t", "body": "b" * 2001}),
        ("POST", "/scripts", {"title": "t", "body": "b", "category_id": "x"}),
        ("POST", "/scripts", {"title": "t", "body": "b", "category_id": 999999}),
        ("POST", "/scripts", {"title": "t", "body": "b", "material_ids": list(range(10))}),
        ("POST", "/script-categories", {"name": "a", "parent_id": 999999}),
        ("PATCH", "/scripts/999999", {"title": "t"}),
        ("GET", "/scripts?keyword=" + "x" * 101, None),
    ],
)
def test_bad_input_is_a_clear_4xx(
    owner: TestClient, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = owner.request(method, API + path, json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"]
