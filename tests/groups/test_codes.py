"""Group codes in step with WeCom: created over synced groups, their QR image decoding to the join
way's URL, joins counted by state, filling up and rolling to a group WeCom opens, a full code
without auto-create getting a group with room swapped in (or flagged), edits and deletion; group
welcome templates in WeCom's library."""

from __future__ import annotations

import io
from typing import Any

import zxingcpp
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.db import Database
from siyu.groups.models import Group
from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from tests.conftest import RunJobs, World
from tests.groups.test_sync import sync

API = "/api/v1"


def _token(world: World) -> str:
    token: str = world.sandbox.get(
        "/cgi-bin/gettoken",
        params={"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret},
    ).json()["access_token"]
    return token


def _wecom(world: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = world.sandbox.post(
        f"/cgi-bin/externalcontact/{path}", params={"access_token": _token(world)}, json=body
    ).json()
    return answer


def _ids(session: Session, *chat_ids: str) -> list[int]:
    session.expire_all()
    found = {g.chat_id: g.id for g in session.scalars(select(Group))}
    return [found[c] for c in chat_ids]


def _ready(world: World, database: Database, run_jobs: RunJobs) -> None:
    world.verify_callback_url()
    sync(world, database, run_jobs)


def _scan(world: World, config_id: str, name: str) -> dict[str, Any]:
    return world.sandbox_admin(
        "POST",
        "/simulate/scan_group_code",
        json={"config_id": config_id, "customer": {"name": name}},
    )


def _deliver(world: World, run_jobs: RunJobs) -> None:
    world.sandbox_admin("POST", "/callbacks/deliver")
    run_jobs()


def _code(world: World, code_id: int) -> dict[str, Any]:
    body: dict[str, Any] = world.siyu.get(f"{API}/group-codes/{code_id}").json()
    return body


def test_a_group_code_routes_scans_and_counts_its_joins(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    groups = _ids(session, DEMO_GROUPS[1][0], DEMO_GROUPS[0][0])
    created = world.siyu.post(
        f"{API}/group-codes",
        json={
            "name": "徐汇店进群码",
            "group_ids": groups,
            "room_base_name": "徐汇福利群",
            "room_base_id": 3,
            "state": "xuhui_groups",
        },
    )
    assert created.status_code == 201, created.text
    code = created.json()
    assert code["status"] == "active"
    assert [g["id"] for g in code["groups"]] == groups
    way = _wecom(world, "groupchat/get_join_way", {"config_id": code["config_id"]})["join_way"]
    assert way["state"] == "xuhui_groups"
    assert way["room_base_name"] == "徐汇福利群"
    assert way["qr_code"] == code["qr_code"]

    png = world.siyu.get(f"{API}/group-codes/{code['id']}/qr", params={"format": "png"})
    assert png.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(png.content)) as image:
        # The link inside WeCom's QR image, drawn again by Siyu at the size asked for.
        inside = f"http://sandbox.test/sandbox/ways/{code['config_id']}"
        assert zxingcpp.read_barcodes(image.convert("RGB"))[0].text == inside
    svg = world.siyu.get(f"{API}/group-codes/{code['id']}/poster")
    assert "徐汇店进群码" in svg.text

    before = code["groups"][0]["member_count"]
    joined = _scan(world, code["config_id"], "扫码的人")
    assert joined["chat_id"] == DEMO_GROUPS[1][0]
    _deliver(world, run_jobs)
    code = _code(world, code["id"])
    assert code["groups"][0]["member_count"] == before + 1
    assert code["joins_total"] == 1
    assert code["joins_today"] == 1


def test_a_full_code_rolls_to_the_group_wecom_opens(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    almost = world.sandbox_admin(
        "POST",
        "/simulate/create_group",
        json={"owner": "wangfang", "name": "福利群1", "new_customers": 198},
    )["chat_id"]
    sync(world, database, run_jobs)
    code = world.siyu.post(
        f"{API}/group-codes",
        json={
            "name": "福利群活码",
            "group_ids": _ids(session, almost),
            "room_base_name": "福利群",
            "room_base_id": 2,
        },
    ).json()
    assert code["groups"][0]["member_count"] == 199
    _scan(world, code["config_id"], "第两百位")
    _deliver(world, run_jobs)
    code = _code(world, code["id"])
    assert code["groups"][0]["full"] is True
    rolled = _scan(world, code["config_id"], "新群第一人")
    assert rolled["created"] is True
    _deliver(world, run_jobs)
    code = _code(world, code["id"])
    assert [g["name"] for g in code["groups"]] == ["福利群1", "福利群2"]
    assert code["groups"][1]["member_count"] == 2  # wangfang, who owns it, and the newcomer
    assert code["joins_total"] == 2


def test_a_full_code_without_auto_create_gets_a_group_with_room_or_a_warning(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    world.verify_callback_url()
    full = world.sandbox_admin(
        "POST",
        "/simulate/create_group",
        json={"owner": "chenjie", "name": "朝阳满员群", "new_customers": 198},
    )["chat_id"]
    sync(world, database, run_jobs)
    code = world.siyu.post(
        f"{API}/group-codes",
        json={"name": "朝阳群码", "group_ids": _ids(session, full), "auto_create": False},
    ).json()
    _scan(world, code["config_id"], "最后一位")
    _deliver(world, run_jobs)
    # Full: Siyu swapped chenjie's other group (朝阳店会员群, with room) into the code.
    code = _code(world, code["id"])
    assert [g["chat_id"] for g in code["groups"]] == [full, DEMO_GROUPS[2][0]]
    assert code["swapped_at"] is not None
    assert code["alert"] == ""
    way = _wecom(world, "groupchat/get_join_way", {"config_id": code["config_id"]})["join_way"]
    assert way["chat_id_list"] == [full, DEMO_GROUPS[2][0]]
    assert _scan(world, code["config_id"], "换群后")["chat_id"] == DEMO_GROUPS[2][0]

    # A code whose owner has no other group: flagged, for the console to say so.
    lonely = world.sandbox_admin(
        "POST",
        "/simulate/create_group",
        json={"owner": "zhangqiang", "name": "店长群", "new_customers": 199},
    )["chat_id"]
    sync(world, database, run_jobs)
    flagged = world.siyu.post(
        f"{API}/group-codes",
        json={"name": "店长群码", "group_ids": _ids(session, lonely), "auto_create": False},
    ).json()
    assert flagged["groups"][0]["full"] is True
    run_jobs()
    assert _code(world, flagged["id"])["alert"] == "full"
    # Room again (a member leaves): the flag goes.
    member = world.sandbox_admin(
        "POST",
        "/simulate/join_group",
        json={"chat_id": lonely, "customer": {"name": "邀请"}, "join_scene": 1},
    )
    world.sandbox_admin(
        "POST",
        "/simulate/leave_group",
        json={"chat_id": lonely, "external_userid": member["external_userid"]},
    )
    world.sandbox_admin(
        "POST",
        "/simulate/leave_group",
        json={"chat_id": lonely, "external_userid": _any_customer(world, lonely)},
    )
    _deliver(world, run_jobs)
    assert _code(world, flagged["id"])["alert"] == ""


def _any_customer(world: World, chat_id: str) -> str:
    members = _wecom(world, "groupchat/get", {"chat_id": chat_id})["group_chat"]["member_list"]
    return str(next(m["userid"] for m in members if m["type"] == 2))


def test_edits_and_deletion_follow_wecom(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    first, second = _ids(session, DEMO_GROUPS[0][0], DEMO_GROUPS[1][0])
    code = world.siyu.post(
        f"{API}/group-codes",
        json={"name": "会员群码", "group_ids": [first], "room_base_name": "会员群"},
    ).json()
    edited = world.siyu.put(
        f"{API}/group-codes/{code['id']}",
        json={"name": "会员群码（新）", "group_ids": [second, first], "auto_create": False},
    )
    assert edited.status_code == 200, edited.text
    assert [g["id"] for g in edited.json()["groups"]] == [second, first]
    way = _wecom(world, "groupchat/get_join_way", {"config_id": code["config_id"]})["join_way"]
    assert way["chat_id_list"] == [DEMO_GROUPS[1][0], DEMO_GROUPS[0][0]]
    assert way["auto_create_room"] == 0
    assert way["remark"] == "会员群码（新）"

    dismissed = world.sandbox_admin(
        "POST", "/simulate/dismiss_group", json={"chat_id": DEMO_GROUPS[3][0]}
    )
    assert dismissed["dismissed"] is True
    _deliver(world, run_jobs)
    refused = world.siyu.put(
        f"{API}/group-codes/{code['id']}",
        json={"name": "x", "group_ids": _ids(session, DEMO_GROUPS[3][0]), "auto_create": False},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "group_unusable"

    assert world.siyu.delete(f"{API}/group-codes/{code['id']}").status_code == 204
    gone = _wecom(world, "groupchat/get_join_way", {"config_id": code["config_id"]})
    assert gone["errcode"] == 41044
    assert world.siyu.get(f"{API}/group-codes/{code['id']}").status_code == 404
    listed = [c["id"] for c in world.siyu.get(f"{API}/group-codes").json()["items"]]
    assert code["id"] not in listed


def test_group_welcomes_live_in_wecoms_library(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    made = world.siyu.post(
        f"{API}/group-welcomes",
        json={
            "name": "新人礼",
            "text": "欢迎 %NICKNAME% 入群，新人券已备好",
            "attachment": {"msgtype": "link", "title": "领新人券", "url": "https://example.com/c"},
        },
    )
    assert made.status_code == 201, made.text
    welcome = made.json()
    template = _wecom(world, "group_welcome_template/get", {"template_id": welcome["template_id"]})
    assert template["text"]["content"] == "欢迎 %NICKNAME% 入群，新人券已备好"
    assert template["link"]["title"] == "领新人券"

    edited = world.siyu.put(
        f"{API}/group-welcomes/{welcome['id']}",
        json={"name": "新人礼", "text": "欢迎 %NICKNAME%", "notify": False},
    )
    assert edited.status_code == 200, edited.text
    template = _wecom(world, "group_welcome_template/get", {"template_id": welcome["template_id"]})
    assert "link" not in template

    code = world.siyu.post(
        f"{API}/group-codes",
        json={
            "name": "带欢迎语的码",
            "group_ids": _ids(session, DEMO_GROUPS[0][0]),
            "room_base_name": "群",
            "welcome_id": welcome["id"],
        },
    ).json()
    assert code["welcome_name"] == "新人礼"
    in_use = world.siyu.delete(f"{API}/group-welcomes/{welcome['id']}")
    assert in_use.status_code == 409
    assert in_use.json()["code"] == "group_welcome_in_use"
    world.siyu.delete(f"{API}/group-codes/{code['id']}")
    assert world.siyu.delete(f"{API}/group-welcomes/{welcome['id']}").status_code == 204
    gone = _wecom(world, "group_welcome_template/get", {"template_id": welcome["template_id"]})
    assert gone["errcode"] == 40058

    # WeCom's limit of 100 templates comes back as a clear, localised error.
    for n in range(100):
        _wecom(world, "group_welcome_template/add", {"text": {"content": f"占位{n}"}})
    over = world.siyu.post(f"{API}/group-welcomes", json={"name": "第101个", "text": "多"})
    assert over.status_code == 409
    assert over.json()["code"] == "wecom_limit_reached"
    names = [w["name"] for w in world.siyu.get(f"{API}/group-welcomes").json()["items"]]
    assert "第101个" not in names


def test_a_code_whose_read_back_failed_gets_its_qr_code_on_download(
    world: World, database: Database, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, database, run_jobs)
    world.sandbox_admin(
        "PUT",
        "/faults",
        json={
            "errors": [
                {"path": "externalcontact/groupchat/get_join_way", "errcode": 40058, "times": 1}
            ]
        },
    )
    created = world.siyu.post(
        f"{API}/group-codes",
        json={
            "name": "读回失败",
            "group_ids": _ids(session, DEMO_GROUPS[2][0]),
            "auto_create": False,
        },
    )
    assert created.status_code == 201, created.text
    code = created.json()
    assert code["status"] == "active"
    assert code["qr_code"] == ""
    svg = world.siyu.get(f"{API}/group-codes/{code['id']}/qr", params={"format": "svg"})
    assert svg.status_code == 200
    assert svg.text.startswith("<svg")
    assert _code(world, code["id"])["qr_code"].endswith(code["config_id"])
