"""Keyset paging of ``batch/get_by_user`` and ``get``: the cursor is the last follow's id."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import inspect, select, text

from siyu.sandbox.api.base import decode_keyset_cursor, encode_keyset_cursor
from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.server import runtime_of
from siyu.sandbox.state import ExternalContact, Follow, open_database
from tests.sandbox.conftest import WeCom

STAFF = ["wangfang", "zhangqiang", "chenjie"]


def _befriend(sandbox: FastAPI, total: int) -> list[tuple[str, str]]:
    """Follows of the three members, interleaved, until they have ``total``; every follow of
    theirs as (userid, external_userid) in id order."""
    database = runtime_of(sandbox).database
    with database.transaction() as session:
        mine = [Follow.corp_id == DEMO_CORP.corp_id, Follow.userid.in_(STAFF)]
        existing = len(list(session.scalars(select(Follow.id).where(*mine))))
        for index in range(total - existing):
            external = f"wmPagingTest{index:05d}AAAAAAAAAAAAAAAAA"
            session.add(
                ExternalContact(corp_id=DEMO_CORP.corp_id, external_userid=external, name="顾客")
            )
            session.add(
                Follow(
                    corp_id=DEMO_CORP.corp_id,
                    userid=STAFF[index % 3],
                    external_userid=external,
                    createtime=1_700_000_000 + index,
                )
            )
        session.flush()
        rows = session.execute(
            select(Follow.userid, Follow.external_userid).where(*mine).order_by(Follow.id)
        )
        return [(userid, external) for userid, external in rows]


def _page(wecom: WeCom, cursor: str, limit: int = 100) -> dict[str, object]:
    return wecom.post(
        "externalcontact/batch/get_by_user",
        {"userid_list": STAFF, "cursor": cursor, "limit": limit},
    )


def _pairs(body: dict[str, object]) -> list[tuple[str, str]]:
    items = body["external_contact_list"]
    assert isinstance(items, list)
    return [(i["follow_info"]["userid"], i["external_contact"]["external_userid"]) for i in items]


def test_pages_through_every_follow_once_in_id_order(sandbox: FastAPI, wecom: WeCom) -> None:
    expected = _befriend(sandbox, 250)
    seen: list[tuple[str, str]] = []
    sizes = []
    cursor = ""
    while True:
        body = _page(wecom, cursor)
        assert body["errcode"] == 0, body
        sizes.append(len(_pairs(body)))
        seen += _pairs(body)
        cursor = str(body["next_cursor"])
        if not cursor:
            break
    assert sizes == [100, 100, 50]
    assert seen == expected  # each follow once, in id order across the three members
    assert len(set(seen)) == 250


def test_a_row_deleted_between_pages_shifts_nothing(sandbox: FastAPI, wecom: WeCom) -> None:
    expected = _befriend(sandbox, 30)
    first = _page(wecom, "", limit=10)
    assert _pairs(first) == expected[:10]
    with runtime_of(sandbox).database.transaction() as session:
        userid, external = expected[3]
        gone = session.scalar(
            select(Follow).where(Follow.external_userid == external, Follow.userid == userid)
        )
        assert gone is not None
        session.delete(gone)
    second = _page(wecom, str(first["next_cursor"]), limit=10)
    assert _pairs(second) == expected[10:20]  # an offset cursor would have skipped one


def test_malformed_cursors_are_40058(wecom: WeCom) -> None:
    for cursor in ["garbage", "c00000064", "!!!!", "c2JrMQ", encode_keyset_cursor(5) + "A"]:
        assert _page(wecom, cursor)["errcode"] == 40058, cursor
    detail = wecom.get(
        "externalcontact/get", external_userid="wmSiyuDemoCust0002AAAAAAAAAAAA", cursor="x"
    )
    assert detail["errcode"] == 40058
    assert decode_keyset_cursor(encode_keyset_cursor(123_456_789)) == 123_456_789
    assert decode_keyset_cursor("") == 0


def test_limits_and_userid_list_rules(sandbox: FastAPI, wecom: WeCom) -> None:
    _befriend(sandbox, 120)
    default = _page(wecom, "", limit=0)
    assert len(_pairs(default)) == 50
    clamped = _page(wecom, "", limit=1000)
    assert len(_pairs(clamped)) == 100
    assert clamped["next_cursor"]
    too_many = wecom.post(
        "externalcontact/batch/get_by_user", {"userid_list": [f"u{i}" for i in range(101)]}
    )
    assert too_many["errcode"] == 40058
    unknown = wecom.post(
        "externalcontact/batch/get_by_user", {"userid_list": ["wangfang", "nobody"]}
    )
    assert unknown["errcode"] == 60111
    assert "nobody" in str(unknown["errmsg"])


def test_get_pages_follow_users_500_at_a_time(sandbox: FastAPI, wecom: WeCom) -> None:
    zhao = "wmSiyuDemoCust0002AAAAAAAAAAAA"
    with runtime_of(sandbox).database.transaction() as session:
        session.add_all(
            Follow(
                corp_id=DEMO_CORP.corp_id,
                userid=f"member{i:03d}",
                external_userid=zhao,
                createtime=1_700_000_000,
            )
            for i in range(501)
        )
    first = wecom.get("externalcontact/get", external_userid=zhao)
    assert len(first["follow_user"]) == 500
    assert [f["userid"] for f in first["follow_user"][:3]] == [
        "wangfang",
        "zhangqiang",
        "member000",
    ]
    rest = wecom.get("externalcontact/get", external_userid=zhao, cursor=first["next_cursor"])
    assert [f["userid"] for f in rest["follow_user"]] == ["member498", "member499", "member500"]
    assert rest["next_cursor"] == ""
    assert rest["external_contact"]["name"] == "赵明"
    assert wecom.get("externalcontact/get", external_userid="wmNoSuchOne")["errcode"] == 40096


def test_an_older_database_gets_the_new_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/old.db"
    database = open_database(url)
    with database.engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_sb_follow_corp_userid_id"))
    database.engine.dispose()
    reopened = open_database(url)
    names = {i["name"] for i in inspect(reopened.engine).get_indexes("sb_follow")}
    assert "ix_sb_follow_corp_userid_id" in names
    reopened.engine.dispose()
