"""Group invitations against the sandbox: a segment invited to a group code's groups gets one
WeCom task per owner account carrying the code's QR as an image; after the staff send it, the
invited customers who join a group of the code are counted, per group, and nobody else (a
stranger scanning the same code, a member from before, a join elsewhere); hostile input and
other tenants' codes are refused."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from siyu.broadcasts import service as broadcasts
from siyu.broadcasts.models import Broadcast, BroadcastRecipient, BroadcastTask
from siyu.customers.models import Customer
from siyu.db import Database
from siyu.groups.models import Group, GroupCode
from siyu.materials.models import Material
from siyu.materials.storage import load
from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from siyu.segments.models import Segment
from siyu.tags.models import Tag
from siyu.wecom import service as wecom
from tests.broadcasts.test_broadcasts import GroupMsgRaw
from tests.conftest import RunJobs, World, login
from tests.factories import PASSWORD as FACTORY_PASSWORD
from tests.factories import make_tenant, make_user
from tests.groups.test_sync import sync

API = "/api/v1"
OLD_GROUP, NEW_GROUP, CHAOYANG, FANS = (g[0] for g in DEMO_GROUPS)
TEXT = "扫码加入会员福利群，每天 8:30 早餐券"


def _customer(index: int) -> str:
    return DEMO_CORP.customers[index].external_userid


def _world(world: World, database: Database, session: Session, run_jobs: RunJobs) -> dict[str, Any]:
    """Groups synced, a group code over the new-customer group then the old-customer group, a
    segment of every friend."""
    sync(world, database, run_jobs)
    session.expire_all()
    groups = {str(g): int(i) for g, i in session.execute(select(Group.chat_id, Group.id)).all()}
    created = world.siyu.post(
        f"{API}/group-codes",
        json={
            "name": "会员福利群码",
            "group_ids": [groups[NEW_GROUP], groups[OLD_GROUP]],
            "room_base_name": "会员福利群",
            "state": "vip_invite",
        },
    )
    assert created.status_code == 201, created.text
    segment = Segment(
        tenant_id=world.connection.tenant_id,
        name="全部好友",
        rule={"field": "follow", "op": "eq", "value": "friend"},
    )
    session.add(segment)
    session.commit()
    return {"code": created.json(), "segment_id": segment.id, "groups": groups}


def _any_tag(session: Session, tenant_id: int) -> int:
    found = session.scalar(select(Tag.id).where(Tag.tenant_id == tenant_id).limit(1))
    assert found is not None
    return int(found)


def _invite(world: World, **body: Any) -> Any:
    return world.siyu.post(f"{API}/invitations", json=body)


def _confirm_all(world: World, session: Session, broadcast_id: int) -> None:
    session.expire_all()
    for task in session.scalars(
        select(BroadcastTask).where(BroadcastTask.broadcast_id == broadcast_id)
    ):
        world.sandbox_admin(
            "POST", "/simulate/confirm_mass", json={"msgid": task.msgid, "userid": task.sender}
        )
    assert world.siyu.post(f"{API}/broadcasts/{broadcast_id}/sync").status_code == 202


def _deliver(world: World, run_jobs: RunJobs) -> None:
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()


def test_an_invitation_reaches_the_segment_and_counts_the_invited_who_joined(
    invitation_world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    ready = invitation_world
    tenant_id = ready.connection.tenant_id
    setup = _world(ready, database, session, run_jobs)
    code = setup["code"]
    response = _invite(
        ready,
        name="会员福利群邀请",
        audience={"kind": "segment", "segment_id": setup["segment_id"]},
        code_id=code["id"],
        text=TEXT,
    )
    assert response.status_code == 201, response.text
    invitation = response.json()
    assert invitation["code_name"] == "会员福利群码"
    run_jobs()

    # One 1:1 broadcast, made for the invitation, one WeCom task per owner account.
    session.expire_all()
    broadcast = session.get(Broadcast, invitation["broadcast_id"])
    assert broadcast is not None
    assert broadcast.source == f"invitation:{invitation['id']}"
    assert broadcast.chat_type == "single"
    assert broadcast.text == TEXT
    recipients = list(
        session.scalars(
            select(BroadcastRecipient).where(BroadcastRecipient.broadcast_id == broadcast.id)
        )
    )
    owners = {
        c.id: c.owner_userid
        for c in session.scalars(select(Customer).where(Customer.tenant_id == tenant_id))
    }
    assert {r.customer_id for r in recipients} == set(owners)
    assert all(r.sender == owners[r.customer_id or 0] for r in recipients)
    tasks = list(
        session.scalars(select(BroadcastTask).where(BroadcastTask.broadcast_id == broadcast.id))
    )
    assert sorted(t.sender for t in tasks) == sorted(set(owners.values()))
    assert all(t.state == "created" for t in tasks)

    # The attachment is the code's QR, an image material whose code opens the join way.
    [material_id] = broadcast.material_ids
    material = session.get(Material, material_id)
    assert material is not None
    assert material.kind == "image"
    with Image.open(io.BytesIO(load(material.file_path))) as image:
        inside = zxingcpp.read_barcodes(image.convert("RGB"))[0].text
    assert inside == f"http://sandbox.test/sandbox/ways/{code['config_id']}"
    client = wecom.client_for_tenant(database, tenant_id)
    assert client is not None
    sent_at = int(broadcast.created_at.timestamp()) - 60
    page = client.post(
        "/cgi-bin/externalcontact/get_groupmsg_list_v2",
        GroupMsgRaw,
        {
            "chat_type": "single",
            "start_time": sent_at,
            "end_time": sent_at + 7200,
            "filter_type": 0,
        },
        idempotent=True,
    )
    assert len(page.group_msg_list) == len(tasks)
    for message in page.group_msg_list:
        assert [a["msgtype"] for a in message["attachments"]] == ["image"]
        assert message["text"]["content"] == TEXT

    _confirm_all(ready, session, broadcast.id)
    run_jobs()
    # Invited customers join: one by scanning the code (routed to its first group), one asked in
    # by the owner into its second group; a stranger scans the same code; an invited customer
    # joins a group the code does not list.
    scanned = ready.sandbox_admin(
        "POST",
        "/simulate/scan_group_code",
        json={"config_id": code["config_id"], "external_userid": _customer(2)},
    )
    assert scanned["chat_id"] == NEW_GROUP
    ready.sandbox_admin(
        "POST",
        "/simulate/join_group",
        json={"chat_id": OLD_GROUP, "external_userid": _customer(3), "join_scene": 1},
    )
    ready.sandbox_admin(
        "POST",
        "/simulate/scan_group_code",
        json={"config_id": code["config_id"], "customer": {"name": "路过的人"}},
    )
    ready.sandbox_admin(
        "POST",
        "/simulate/join_group",
        json={"chat_id": FANS, "external_userid": _customer(0), "join_scene": 1},
    )
    _deliver(ready, run_jobs)

    results = ready.siyu.get(f"{API}/invitations/{invitation['id']}/results")
    assert results.status_code == 200, results.text
    found = results.json()
    numbers = found["invitation"]["numbers"]
    assert numbers["invited"] == len(owners)
    assert numbers["delivered"] == len(owners)
    assert numbers["joined"] == 2
    assert numbers["conversion"] == round(200 / len(owners), 1)
    per_group = {g["group_id"]: g["joined"] for g in found["groups"]}
    groups = setup["groups"]
    assert per_group == {groups[NEW_GROUP]: 1, groups[OLD_GROUP]: 1}
    names = Counter((j["name"], j["group_name"]) for j in found["joined"])
    assert names == Counter({("孙丽娟", "徐汇店新客群2"): 1, ("周建国", "徐汇店老客福利群"): 1})
    scanned_row = next(j for j in found["joined"] if j["name"] == "孙丽娟")
    assert scanned_row["state"] == "vip_invite"
    assert scanned_row["sender"] == "chenjie"

    listed = ready.siyu.get(f"{API}/invitations").json()
    assert listed["total"] == 1
    assert listed["items"][0]["numbers"]["joined"] == 2
    assert listed["items"][0]["broadcast_state"] == "done"
    sheet = ready.siyu.get(f"{API}/invitations/{invitation['id']}/results.xlsx")
    assert sheet.status_code == 200
    assert sheet.content[:2] == b"PK"

    # A second invitation on the same code attaches the same image.
    again = _invite(
        ready,
        name="再次邀请",
        audience={"kind": "segment", "segment_id": setup["segment_id"]},
        code_id=code["id"],
        text="还没进群的朋友，扫码加入吧",
        send_at="2099-01-01T10:00:00+08:00",
    )
    assert again.status_code == 422  # more than a year ahead: the broadcast's own rule
    assert again.json()["code"] == "broadcast_bad_time"
    again = _invite(
        ready,
        name="再次邀请",
        audience={"kind": "segment", "segment_id": setup["segment_id"]},
        code_id=code["id"],
        text="还没进群的朋友，扫码加入吧",
    )
    assert again.status_code == 201, again.text
    assert again.json()["material_id"] == material_id
    assert again.json()["numbers"]["joined"] == 0

    # Scheduled for later: nothing planned, nothing counted yet, though the joins above exist.
    later = _invite(
        ready,
        name="明早邀请",
        audience={"kind": "tags", "tag_ids": [_any_tag(session, tenant_id)], "match": "any"},
        code_id=code["id"],
        text="明早 8:30 早餐券，扫码进群领取",
        send_at=(broadcasts.utcnow() + dt.timedelta(hours=3)).isoformat(),
    )
    assert later.status_code == 201, later.text
    assert later.json()["broadcast_state"] == "scheduled"
    assert later.json()["material_id"] == material_id
    run_jobs()
    pending = ready.siyu.get(f"{API}/invitations/{later.json()['id']}/results").json()
    assert pending["invitation"]["numbers"] == {
        "invited": 0,
        "delivered": 0,
        "joined": 0,
        "conversion": 0.0,
    }
    assert pending["joined"] == []


def test_hostile_input_is_refused_and_tenants_are_apart(
    invitation_world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    ready = invitation_world
    setup = _world(ready, database, session, run_jobs)
    code_id = setup["code"]["id"]
    segment = {"kind": "segment", "segment_id": setup["segment_id"]}
    good: dict[str, Any] = {"name": "邀请", "audience": segment, "code_id": code_id, "text": TEXT}
    cases: list[tuple[dict[str, Any], str]] = [
        (good | {"code_id": 987654}, "invitation_unknown_code"),
        (good | {"text": "   "}, "invitation_empty_text"),
        (good | {"text": "{customer_name}您好"}, "broadcast_unknown_variables"),
        (good | {"send_at": "2020-01-01T10:00:00+08:00"}, "broadcast_bad_time"),
        (good | {"send_at": "2030-01-01T10:00:00"}, "broadcast_bad_time"),
    ]
    for body, code in cases:
        answer = _invite(ready, **body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["code"] == code, (body, answer.text)
    for body in (
        good | {"audience": {"kind": "staff", "userids": ["wangfang"]}},
        good | {"audience": {"kind": "groups", "group_ids": []}},
        good | {"audience": "everyone"},
        good | {"code_id": "x"},
        good | {"code_id": -1},
        good | {"name": "x" * 101},
        good | {"text": "x" * 5000},
        {"name": "缺少字段"},
    ):
        answer = _invite(ready, **body)
        assert answer.status_code == 422, (body, answer.text)
    unknown_segment = _invite(ready, **good | {"audience": {"kind": "segment", "segment_id": 9999}})
    # The broadcasts' own check: the segment is not found (among this tenant's).
    assert unknown_segment.status_code == 404, unknown_segment.text
    assert unknown_segment.json()["code"] == "not_found"
    assert ready.siyu.get(f"{API}/invitations/987654").status_code == 404
    assert ready.siyu.get(f"{API}/invitations", params={"q": "x" * 200}).status_code == 422

    # A code that is not live yet is refused.
    with database.transaction() as s:
        row = s.get(GroupCode, code_id)
        assert row is not None
        row.status = "creating"
    refused = _invite(ready, **good)
    assert refused.status_code == 422
    assert refused.json()["code"] == "invitation_code_not_live"
    with database.transaction() as s:
        row = s.get(GroupCode, code_id)
        assert row is not None
        row.status = "active"
    made = _invite(ready, **good)
    assert made.status_code == 201, made.text

    # Another tenant sees none of it and cannot use this tenant's code.
    tenant = make_tenant(session, "别家品牌")
    user = make_user(session, tenant)
    session.commit()
    with TestClient(ready.siyu.app) as other:
        login(other, user.username, FACTORY_PASSWORD)
        assert other.get(f"{API}/invitations").json()["total"] == 0
        assert other.get(f"{API}/invitations/{made.json()['id']}").status_code == 404
        assert other.get(f"{API}/invitations/{made.json()['id']}/results").status_code == 404
        theirs = other.post(f"{API}/invitations", json=good)
        assert theirs.status_code == 422
        assert theirs.json()["code"] == "invitation_unknown_code"
