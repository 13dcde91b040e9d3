"""Siyu and the sandbox wired together: Siyu calls the fake WeCom, the fake WeCom calls Siyu's
callback URL — the same code paths as with the real WeCom, with no network."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.config import Settings
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.jobs import Job
from siyu.sandbox.demo import DEMO_CORP
from siyu.wecom import service
from siyu.wecom.models import WeComEvent
from tests.conftest import SANDBOX, World


def test_the_connection_check_passes_against_the_sandbox(world: World) -> None:
    report = world.siyu.post("/api/v1/wecom/connection/check").json()
    assert report["ok"] is True
    steps = {step["key"]: step for step in report["steps"]}
    assert set(steps) == {"contact_token", "follow_users", "app_token"}
    assert f"{len(DEMO_CORP.staff)} 位成员" in steps["follow_users"]["message"]


def test_a_wrong_secret_is_explained_in_plain_words(world: World) -> None:
    world.siyu.put(
        "/api/v1/wecom/connection",
        json={
            "corp_id": DEMO_CORP.corp_id,
            "contact_secret": "not-the-right-secret",
            "agent_id": DEMO_CORP.agent_id,
        },
    )
    report = world.siyu.post("/api/v1/wecom/connection/check").json()
    assert report["ok"] is False
    first = report["steps"][0]
    assert (first["key"], first["ok"], first["errcode"]) == ("contact_token", False, 40001)
    assert "客户联系" in first["message"]


def test_an_untrusted_ip_names_the_ip_to_add(world: World) -> None:
    world.sandbox_admin(
        "PUT",
        f"/corps/{DEMO_CORP.corp_id}/apps",
        json={"secret": DEMO_CORP.contact_secret, "trusted_ips": ["203.0.113.1"]},
    )
    report = world.siyu.post("/api/v1/wecom/connection/check").json()
    contact = report["steps"][0]
    assert contact["errcode"] == 60020
    assert "企业可信IP" in contact["message"]
    assert "testclient" in contact["message"]  # the address the sandbox saw us call from


def test_missing_customer_contact_permission_says_where_to_grant_it(world: World) -> None:
    world.sandbox_admin(
        "PUT",
        f"/corps/{DEMO_CORP.corp_id}/apps",
        json={"secret": DEMO_CORP.contact_secret, "customer_contact": False},
    )
    steps = world.siyu.post("/api/v1/wecom/connection/check").json()["steps"]
    follow = next(step for step in steps if step["key"] == "follow_users")
    assert follow["errcode"] == 48002
    assert "可调用接口的应用" in follow["message"]


def test_wecom_verifies_the_callback_url_and_the_panel_shows_it(world: World) -> None:
    panel = world.siyu.get("/api/v1/wecom/connection").json()["connection"]["callback"]
    assert panel["verified_at"] is None
    world.verify_callback_url()
    panel = world.siyu.get("/api/v1/wecom/connection").json()["connection"]["callback"]
    assert panel["verified_at"] is not None


def _scan(world: World, name: str) -> None:
    created = world.sandbox.post(
        "/cgi-bin/externalcontact/add_contact_way",
        params={
            "access_token": world.sandbox.get(
                "/cgi-bin/gettoken",
                params={"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret},
            ).json()["access_token"]
        },
        json={"type": 1, "scene": 2, "user": [DEMO_CORP.staff[0].userid], "state": "store-xuhui"},
    ).json()
    assert created["errcode"] == 0, created
    world.sandbox_admin(
        "POST",
        "/simulate/scan",
        params={"wait": "true"},
        json={"config_id": created["config_id"], "customer": {"name": name}},
    )


def test_a_customer_scan_reaches_siyu_encrypted_and_is_processed_once(
    world: World, session: Session, drain_jobs: Callable[[], int]
) -> None:
    world.verify_callback_url()
    world.sandbox_admin("PUT", "/faults", json={"duplicate_callbacks": True})
    _scan(world, "周小雨")
    session.expire_all()
    events = session.scalars(select(WeComEvent)).all()
    assert [(e.change_type, e.fields["State"]) for e in events] == [
        ("add_external_contact", "store-xuhui")
    ]
    assert events[0].deliveries == 2  # the duplicate was answered, not stored again
    drain_jobs()
    session.expire_all()
    assert session.get(WeComEvent, events[0].id).state == "processed"  # type: ignore[union-attr]
    # The customers domain read the new friend from WeCom: one customer, one friendship.
    customers = session.scalars(select(Customer).where(Customer.name == "周小雨")).all()
    assert len(customers) == 1
    assert customers[0].owner_userid == DEMO_CORP.staff[0].userid
    processing = session.scalars(select(Job).where(Job.kind == "wecom.process_event")).all()
    assert [(job.state, job.attempts) for job in processing] == [("done", 1)]
    panel = world.siyu.get("/api/v1/wecom/connection").json()["connection"]["callback"]
    assert panel["events_received"] == 1
    assert panel["first_event_at"] is not None


def test_every_delivery_is_answered_success(world: World, session: Session) -> None:
    world.verify_callback_url()
    for name in ("吴敏", "郑浩", "孙丽"):
        _scan(world, name)
    attempts = world.sandbox_admin(
        "GET", "/inspect/callbacks", params={"corp_id": DEMO_CORP.corp_id}
    )
    assert "success" in str(attempts)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(WeComEvent)) == 3


def test_the_typed_client_reads_customers_and_tags_from_the_sandbox(
    world: World, database: Database
) -> None:
    client = service.client(database, Settings(wecom_base_url=SANDBOX), world.connection)
    assert sorted(client.get_follow_user_list()) == sorted(s.userid for s in DEMO_CORP.staff)
    first = DEMO_CORP.customers[0]
    detail = client.get_external_contact(first.external_userid)
    assert detail.external_contact.name == first.name
    assert {f.userid for f in detail.follow_user} == {f[0] for f in first.follows}
    # Every customer of every member, page by page, exactly once per (member, customer).
    seen: list[tuple[str, str]] = []
    cursor = ""
    while True:
        page = client.batch_get_by_user([s.userid for s in DEMO_CORP.staff], cursor, limit=2)
        seen += [
            (c.follow_info.userid, c.external_contact.external_userid)
            for c in page.external_contact_list
        ]
        cursor = page.next_cursor
        if not cursor:
            break
    expected = {(f[0], c.external_userid) for c in DEMO_CORP.customers for f in c.follows}
    assert sorted(seen) == sorted(expected)
    groups = {g.group_name: [t.name for t in g.tag] for g in client.get_corp_tag_list()}
    assert {name for name, _gid, _tags in DEMO_CORP.tag_groups} <= set(groups)
