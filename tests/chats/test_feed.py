"""The sandbox's chat archive keeps GetChatData's cursor: seq > cursor, at most limit, in order."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from siyu.chats.archive import MAX_LIMIT
from siyu.chats.errors import ArchiveFailed
from siyu.chats.sandbox_feed import SandboxArchive
from siyu.sandbox.demo import DEMO_CORP
from tests.autotag.helpers import LIU, ZHAO, say
from tests.conftest import World


def _archive(world: World) -> SandboxArchive:
    return SandboxArchive(DEMO_CORP.corp_id, "http://sandbox.test", world.sandbox)


def test_the_feed_returns_messages_after_the_cursor_at_most_limit_in_seq_order(
    world: World,
) -> None:
    sent = [say(world, f"第{n}句", wait=False) for n in range(5)]
    archive = _archive(world)
    start = sent[0]["seq"] - 1

    first = archive.fetch(start, 2)
    assert [m.seq for m in first] == [sent[0]["seq"], sent[1]["seq"]]
    assert [m.text for m in first] == ["第0句", "第1句"]
    rest = archive.fetch(first[-1].seq, 1000)
    assert [m.seq for m in rest] == [s["seq"] for s in sent[2:]]
    assert archive.fetch(rest[-1].seq, 10) == []
    assert archive.fetch(sent[2]["seq"], 1)[0].msgid == sent[3]["msgid"]


def test_a_message_has_wecoms_fields_and_the_side_it_came_from(world: World) -> None:
    say(world, "有儿童餐吗", wait=False)
    say(world, "有的", external_userid=ZHAO, sender="staff", wait=False)
    customer, staff = _archive(world).fetch(0, 100)[-2:]
    assert (customer.action, customer.sender, customer.tolist) == ("send", LIU, ("wangfang",))
    assert (customer.msgtype, customer.roomid, customer.text) == ("text", "", "有儿童餐吗")
    assert customer.msgtime > 1_600_000_000_000  # milliseconds
    assert (staff.sender, staff.tolist) == ("wangfang", (ZHAO,))


def test_a_limit_over_a_thousand_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="limit"):
        _archive(world).fetch(0, MAX_LIMIT + 1)
    answer = world.sandbox.post(
        "/sandbox/msgaudit/chatdata", json={"seq": 0, "limit": MAX_LIMIT + 1}
    ).json()
    assert answer["errcode"] == 10000
    assert answer["chatdata"] == []


def test_another_corps_messages_are_not_in_the_feed(world: World) -> None:
    say(world, "宝宝", wait=False)
    other = SandboxArchive("wwsomeothercorp0", "http://sandbox.test", world.sandbox)
    with pytest.raises(ArchiveFailed):
        other.fetch(0, 10)


def test_an_unreachable_feed_is_an_archive_failure() -> None:
    from siyu.sandbox.server import create_sandbox_app

    app = create_sandbox_app(database_url="sqlite://")
    with TestClient(app) as client:
        broken = SandboxArchive(DEMO_CORP.corp_id, "http://sandbox.test/nowhere", client)
        with pytest.raises(ArchiveFailed):
            broken.fetch(0, 10)
