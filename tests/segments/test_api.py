"""Segments over HTTP: counting while a rule is edited (and right after the data changes),
errors that point at the clause, saved segments, members and their export — and, against the
sandbox, a new friend and a WeCom-side tag counted as they arrive."""

from __future__ import annotations

import datetime as dt
import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers import service as customers
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import Tag
from tests.conftest import RunJobs, World
from tests.factories import make_customer, make_tag_group, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


def _setup(session: Session, client: TestClient) -> tuple[list[Customer], Tag]:
    tenant = make_tenant(session)
    people = []
    for i, city in enumerate(["上海", "上海", "北京", "杭州", "上海"]):
        customer = make_customer(
            session, tenant, f"客户{i}", userid="staff01" if i < 3 else "staff02"
        )
        customer.city = city
        people.append(customer)
    group = make_tag_group(session, tenant, "兴趣")
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name="亲子", wecom_id="etseg1")
    session.add(tag)
    user = make_user(session, tenant)
    session.commit()
    login(client, user.username)
    return people, tag


SHANGHAI = {"field": "city", "op": "eq", "value": "上海"}


def test_count_follows_the_data_at_once(app_client: TestClient, session: Session) -> None:
    people, tag = _setup(session, app_client)
    rule = {"and": [SHANGHAI, {"field": "tags", "op": "any", "value": [tag.id]}]}
    counted = app_client.post(f"{API}/segments/count", json={"rule": rule})
    assert counted.status_code == 200, counted.text
    assert counted.json()["count"] == 0
    assert counted.json()["universe"] == 5
    assert counted.json()["engine"] == "index"
    # Tag two Shanghai customers and one in Beijing: the next count sees them.
    tagged = app_client.post(
        f"{API}/customers/tagging",
        json={"customer_ids": [people[0].id, people[1].id, people[2].id], "add": [tag.id]},
    )
    assert tagged.status_code == 200, tagged.text
    assert app_client.post(f"{API}/segments/count", json={"rule": rule}).json()["count"] == 2
    # Move one of them to Hangzhou in the profile.
    edited = app_client.patch(f"{API}/customers/{people[1].id}", json={"city": "杭州"})
    assert edited.status_code == 200, edited.text
    assert app_client.post(f"{API}/segments/count", json={"rule": rule}).json()["count"] == 1
    # The reference query says the same.
    by_sql = app_client.post(f"{API}/segments/count?engine=sql", json={"rule": rule}).json()
    assert (by_sql["count"], by_sql["universe"], by_sql["engine"]) == (1, 5, "sql")
    preview = app_client.post(f"{API}/segments/preview", json={"rule": {"not": rule}}).json()
    assert preview["count"] == 4
    assert {m["name"] for m in preview["members"]} == {"客户1", "客户2", "客户3", "客户4"}


def test_a_bad_rule_is_refused_with_the_clause(app_client: TestClient, session: Session) -> None:
    _setup(session, app_client)
    bad = {"and": [SHANGHAI, {"field": "added_at", "op": "within_days", "value": 0}]}
    refused = app_client.post(f"{API}/segments/count", json={"rule": bad})
    assert refused.status_code == 422
    body = refused.json()
    assert body["code"] == "segment_bad_rule"
    assert body["detail"]["path"] == "and[1].value"
    assert "and[1].value" in body["message"]
    assert "天数" in body["message"]
    english = app_client.post(
        f"{API}/segments/count",
        json={"rule": {"field": "colour", "op": "eq", "value": "red"}},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 422
    assert english.json()["detail"]["path"] == "field"
    for rule in [
        [],
        {"and": []},
        {"or": [SHANGHAI], "not": SHANGHAI},
        {"field": "tags", "op": "any", "value": ["x"]},
        {"field": "added_at", "op": "between", "value": {"from": "2026-02-30", "to": "2026-03-01"}},
        {"field": "added_at", "op": "between", "value": {"from": "2026-03-02", "to": "2026-03-01"}},
        {"field": "birthday", "op": "this_week", "value": 3},
        {"field": "follow", "op": "eq", "value": "maybe"},
        {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": {"not": SHANGHAI}}}}}}}}},
    ]:
        answer = app_client.post(f"{API}/segments/count", json={"rule": rule})
        assert answer.status_code == 422, (rule, answer.text)
        assert answer.json()["code"] == "segment_bad_rule"
    unknown = app_client.post(
        f"{API}/segments/count", json={"rule": {"field": "tags", "op": "any", "value": [999999]}}
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "segment_unknown_references"


def test_saved_segments_members_and_export(app_client: TestClient, session: Session) -> None:
    people, _ = _setup(session, app_client)
    created = app_client.post(
        f"{API}/segments", json={"name": "上海客户", "description": "门店活动", "rule": SHANGHAI}
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["count"] == 3
    twice = app_client.post(f"{API}/segments", json={"name": "上海客户", "rule": SHANGHAI})
    assert twice.status_code == 409
    listed = app_client.get(f"{API}/segments").json()
    assert [(s["name"], s["count"]) for s in listed] == [("上海客户", 3)]
    page = app_client.get(f"{API}/segments/{segment['id']}/members?page=2&page_size=2").json()
    assert page["total"] == 3
    assert [m["id"] for m in page["items"]] == [people[4].id]
    exported = app_client.get(f"{API}/segments/{segment['id']}/members.xlsx")
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).active
    assert sheet is not None
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == ["客户0", "客户1", "客户4"]
    changed = app_client.patch(
        f"{API}/segments/{segment['id']}",
        json={"rule": {"not": SHANGHAI}, "name": "非上海客户"},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["count"]) == ("非上海客户", 2)
    bad = app_client.patch(f"{API}/segments/{segment['id']}", json={"rule": {"and": []}})
    assert bad.status_code == 422
    assert app_client.delete(f"{API}/segments/{segment['id']}").status_code == 204
    assert app_client.get(f"{API}/segments/{segment['id']}").status_code == 404
    status = app_client.get(f"{API}/segment-index").json()
    assert status["held"] is True
    assert status["customers"] == 5
    assert status["memory_bytes"] > 0
    rebuilt = app_client.post(f"{API}/segment-index/rebuild").json()
    assert rebuilt["customers"] == 5
    options = app_client.get(f"{API}/segment-options").json()
    assert options["city"][0] == {"value": "上海", "count": 3}


def test_relative_dates_use_china_days(app_client: TestClient, session: Session) -> None:
    people, _ = _setup(session, app_client)
    now = dt.datetime.now(dt.UTC)
    for days, person in zip([0, 3, 40, 400], people, strict=False):
        person.first_added_at = now - dt.timedelta(days=days)
    people[4].first_added_at = None
    session.commit()
    app_client.post(f"{API}/segment-index/rebuild")
    within = {"field": "added_at", "op": "within_days", "value": 30}
    assert app_client.post(f"{API}/segments/count", json={"rule": within}).json()["count"] == 2
    before = {"field": "added_at", "op": "before_days", "value": 30}
    assert app_client.post(f"{API}/segments/count", json={"rule": before}).json()["count"] == 2
    empty = {"field": "added_at", "op": "empty"}
    assert app_client.post(f"{API}/segments/count", json={"rule": empty}).json()["count"] == 1


def test_new_friends_and_wecom_tags_are_counted_as_they_arrive(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    with database.transaction() as tx:
        customers.start_sync(tx, world.connection.tenant_id)
    run_jobs()
    friends = {"field": "follow", "op": "eq", "value": "friend"}
    before = world.siyu.post(f"{API}/segments/count", json={"rule": friends}).json()["count"]
    assert before > 0
    world.sandbox_admin(
        "POST",
        "/simulate/add_by_phone",
        json={"userid": "chenjie", "customer": {"name": "钱多多", "gender": 2}},
    )
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()
    after = world.siyu.post(f"{API}/segments/count", json={"rule": friends}).json()["count"]
    assert after == before + 1
    # A tag put on in the WeCom client reaches the index through the callback.
    potential = session.scalar(select(Tag).where(Tag.name == "潜在"))
    assert potential is not None
    rule = {"field": "tags", "op": "any", "value": [potential.id]}
    tagged_before = world.siyu.post(f"{API}/segments/count", json={"rule": rule}).json()["count"]
    customer = DEMO_CORP.customers[0]
    world.sandbox_admin(
        "POST",
        "/simulate/edit_customer",
        json={
            "userid": "wangfang",
            "external_userid": customer.external_userid,
            "add_tag": [DEMO_CORP.tag_groups[0][2][0][1]],
        },
    )
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()
    row = session.scalar(
        select(Customer).where(Customer.external_userid == customer.external_userid)
    )
    assert row is not None
    answer = world.siyu.post(f"{API}/segments/count", json={"rule": rule}).json()
    assert answer["count"] == tagged_before + 1
    # The customer deletes the staff member: no longer a friend of anyone.
    world.sandbox_admin(
        "POST",
        "/simulate/delete_staff",
        json={"userid": "chenjie", "external_userid": _external(session, "钱多多")},
    )
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()
    final = world.siyu.post(f"{API}/segments/count", json={"rule": friends}).json()["count"]
    assert final == before


def _external(session: Session, name: str) -> str:
    session.expire_all()
    found = session.scalar(select(Customer.external_userid).where(Customer.name == name))
    assert found
    return found


def test_indexes_are_built_at_start_when_asked(
    app_client: TestClient, session: Session, database: Database
) -> None:
    from siyu.app import warm_indexes
    from siyu.segments import live

    people, _ = _setup(session, app_client)
    tenant_id = people[0].tenant_id
    assert live.held(tenant_id) is None
    warm_indexes(database).join(timeout=60)
    held = live.held(tenant_id)
    assert held is not None
    assert len(held.index.universe) == 5
