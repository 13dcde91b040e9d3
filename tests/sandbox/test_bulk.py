"""Bulk seeding: many staff and customers at once, deterministic, refused twice."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from siyu.cli import app
from siyu.db import Database
from siyu.sandbox import demo
from siyu.sandbox.bulk import seed_bulk
from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.state import ExternalContact, Follow, User, open_database
from tests.sandbox.conftest import WeCom

SEED = f"/sandbox/corps/{DEMO_CORP.corp_id}/bulk_seed"
WECOM_ID = re.compile(r"wm[A-Za-z0-9_-]{30}")


def test_get_by_user_over_all_bulk_staff_pages_through_every_customer(
    client: TestClient, wecom: WeCom
) -> None:
    seeded = client.post(SEED, json={"staff": 30, "customers": 1000, "seed": 7}).json()
    assert seeded["first_userid"] == "s00001"
    assert seeded["last_userid"] == "s00030"
    staff = [f"s{n:05d}" for n in range(1, 31)]
    follow_users = wecom.get("externalcontact/get_follow_user_list")["follow_user"]
    assert set(staff) <= set(follow_users)
    seen: list[str] = []
    pages = 0
    cursor = ""
    while True:
        body = wecom.post(
            "externalcontact/batch/get_by_user",
            {"userid_list": staff, "cursor": cursor, "limit": 100},
        )
        assert body["errcode"] == 0, body
        pages += 1
        for item in body["external_contact_list"]:
            seen.append(item["external_contact"]["external_userid"])
            assert item["follow_info"]["userid"] in staff
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert pages == 10
    assert len(seen) == len(set(seen)) == 1000
    assert all(WECOM_ID.fullmatch(e) for e in seen)

    member = wecom.get("user/get", userid="s00001")
    assert member["department"] == [1]
    tag_ids = {
        t["id"]
        for g in wecom.post("externalcontact/get_corp_tag_list", {})["tag_group"]
        for t in g["tag"]
    }
    assert set(seeded["tag_ids"]) <= tag_ids
    detail = wecom.get("externalcontact/get", external_userid=seen[0])
    assert detail["errcode"] == 0
    assert {t["tag_id"] for t in detail["follow_user"][0]["tags"]} <= set(seeded["tag_ids"])


def test_a_corp_is_bulk_seeded_once(client: TestClient) -> None:
    assert client.post(SEED, json={"staff": 2, "customers": 5}).json()["staff"] == 2
    again = client.post(SEED, json={"staff": 3, "customers": 5, "seed": 2}).json()
    assert again["errcode"] == 40058
    assert "already has bulk-seeded staff" in again["errmsg"]
    missing = client.post("/sandbox/corps/wwNoSuchCorp/bulk_seed", json={"staff": 1}).json()
    assert missing["errcode"] == 40013


def _fresh(path: Path) -> Database:
    database = open_database(f"sqlite:///{path}")
    with database.transaction() as session:
        demo.seed(session, 1_790_000_000)
    return database


def _snapshot(database: Database) -> list[tuple[object, ...]]:
    with database.transaction() as session:
        rows = session.execute(
            select(
                ExternalContact.external_userid,
                ExternalContact.name,
                ExternalContact.gender,
                Follow.userid,
                Follow.createtime,
                Follow.add_way,
                Follow.state,
                Follow.remark,
            )
            .join(Follow, Follow.external_userid == ExternalContact.external_userid)
            .where(Follow.userid.like("s%"))
            .order_by(Follow.id)
        )
        return [tuple(row) for row in rows]


def test_the_same_seed_gives_the_same_corp(tmp_path: Path) -> None:
    first, second, other = (_fresh(tmp_path / f"{n}.db") for n in ("a", "b", "c"))
    for database, seed in ((first, 3), (second, 3), (other, 4)):
        seed_bulk(database, DEMO_CORP.corp_id, staff=4, customers=300, seed=seed, now=1_790_000_000)
    rows = _snapshot(first)
    assert len(rows) == 300
    assert rows == _snapshot(second)
    assert rows != _snapshot(other)
    times = [row[4] for row in rows]
    assert times == sorted(times)
    assert 1_790_000_000 - 2 * 365 * 24 * 3600 <= times[0] <= times[-1] <= 1_790_000_000
    assert {row[2] for row in rows} == {0, 1, 2}
    assert any(row[6] for row in rows)  # some came through a contact way's state
    assert any(row[7] for row in rows)  # some have a remark
    names = [str(row[1]) for row in rows]
    assert sum(bool(re.fullmatch(r"[\u4e00-\u9fff]{2,3}", n)) for n in names) > 200
    for database in (first, second, other):
        database.engine.dispose()


def test_cli_seed_bulk_writes_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    runner = CliRunner()
    args = ["sandbox", "seed-bulk", "--corp", DEMO_CORP.corp_id, "--database-url", url]
    result = runner.invoke(app, [*args, "--staff", "3", "--customers", "50"])
    assert result.exit_code == 0, result.output
    assert '"customers": 50' in result.output
    database = open_database(url)
    with database.transaction() as session:
        staff = session.scalar(select(func.count()).where(User.userid.like("s0%")))
        follows = session.scalar(
            select(func.count()).select_from(Follow).where(Follow.userid.like("s0%"))
        )
    database.engine.dispose()
    assert (staff, follows) == (3, 50)
    refused = runner.invoke(app, [*args, "--staff", "3", "--customers", "50"])
    assert refused.exit_code == 1
    assert "already has bulk-seeded staff" in refused.output
