"""Channel results and the public landing page, from real scans and deletions in the sandbox."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.codes.models import LandingVisit
from tests.codes.test_codes import API, _ready, contact_way, make_code, scan
from tests.conftest import RunJobs, World


def test_results_count_new_lost_net_and_greeted_by_day_code_and_staff(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    shop = make_code(world, run_jobs, name="门店", members=[{"userid": "chenjie"}])
    parcel = make_code(
        world,
        run_jobs,
        name="快递卡片",
        members=[{"userid": "wangfang"}],
        welcome={"enabled": False},
    )
    kept = scan(world, shop["config_id"], "留下的")
    gone = scan(world, shop["config_id"], "走掉的")
    scan(world, parcel["config_id"], "卡片客")
    run_jobs()
    world.sandbox_admin(
        "POST",
        "/simulate/delete_staff?wait=true",
        json={"userid": "chenjie", "external_userid": gone["external_userid"]},
    )
    run_jobs()
    assert kept["userid"] == "chenjie"
    results = world.siyu.get(f"{API}/channel-results").json()
    assert results["totals"]["added"] >= 3  # the demo's own friends of the week count too
    by_code = {row["label"]: row for row in results["by_code"]}
    assert {k: by_code["门店"][k] for k in ("added", "lost_1d", "lost", "net", "greeted")} == {
        "added": 2,
        "lost_1d": 1,
        "lost": 1,
        "net": 1,
        "greeted": 2,
    }
    assert (by_code["快递卡片"]["added"], by_code["快递卡片"]["greeted"]) == (1, 0)
    one = world.siyu.get(f"{API}/channel-results?code_id={shop['id']}").json()
    assert one["totals"]["added"] == 2
    assert [r["key"] for r in one["by_staff"]] == ["chenjie"]
    assert len(one["by_day"]) == 7
    assert sum(r["added"] for r in one["by_day"]) == 2
    bad = world.siyu.get(f"{API}/channel-results?date_from=2026-12-01&date_to=2026-11-01")
    assert (bad.status_code, bad.json()["code"]) == (422, "code_bad_range")
    sheet = world.siyu.get(f"{API}/channel-results.xlsx?code_id={shop['id']}")
    assert sheet.status_code == 200
    rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("分组", "名称", "新增好友")
    assert rows[1][:4] == ("合计", "合计", 2, 1)


def test_the_landing_page_shows_the_code_and_records_the_visit_source(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    code = make_code(world, run_jobs, landing={"title": "扫码领¥1烤串", "description": "<限今日>"})
    page = world.siyu.get(f"/l/{code['state']}?utm_source=moments&utm_campaign=双11")
    assert page.status_code == 200
    assert "扫码领¥1烤串" in page.text
    assert "&lt;限今日&gt;" in page.text
    assert "<svg" in page.text
    visit = session.scalar(select(LandingVisit).limit(1))
    assert visit is not None
    assert (visit.code_id, visit.utm_source, visit.utm_campaign) == (code["id"], "moments", "双11")
    world.siyu.get(f"/l/{code['state']}?utm_source=moments&utm_campaign=双11")
    world.siyu.get(f"/l/{code['state']}")
    counted = world.siyu.get(f"{API}/channel-codes/{code['id']}/visits?days=7").json()
    assert counted["total"] == 3
    assert counted["sources"][0] == {
        "utm_source": "moments",
        "utm_medium": "",
        "utm_campaign": "双11",
        "visits": 2,
    }
    assert world.siyu.get("/l/nosuchcode").status_code == 404
    world.siyu.delete(f"{API}/channel-codes/{code['id']}")
    run_jobs()
    assert world.siyu.get(f"/l/{code['state']}").status_code == 404
    assert contact_way(world, code["config_id"])["errcode"] == 41044


def test_a_nearest_store_code_sends_each_visitor_to_the_code_of_the_nearest_store(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    stores = {s["name"]: s for s in world.siyu.get(f"{API}/stores").json()["items"]}
    xuhui, chaoyang = stores["上海徐汇店"], stores["北京朝阳店"]
    codes = {c["name"]: c for c in world.siyu.get(f"{API}/channel-codes").json()["items"]}
    shanghai, beijing = codes["徐汇店收银台"], codes["朝阳店门口海报"]  # the demo's store codes
    assert (shanghai["store_id"], beijing["store_id"]) == (xuhui["id"], chaoyang["id"])
    ad = make_code(
        world, run_jobs, name="全国广告", members=[{"userid": "liwen"}], nearest_store=True
    )
    assert ad["nearest_store"] is True
    asking = world.siyu.get(f"/l/{ad['state']}")
    assert "navigator.geolocation" in asking.text  # the browser is asked where the visitor is
    near_bund = world.siyu.get(f"/l/{ad['state']}?lat=31.2400&lng=121.4900&utm_source=ad")
    assert f'data-store="{xuhui["id"]}"' in near_bund.text
    near_sanlitun = world.siyu.get(f"/l/{ad['state']}?lat=39.9360&lng=116.4550")
    assert f'data-store="{chaoyang["id"]}"' in near_sanlitun.text
    refused = world.siyu.get(f"/l/{ad['state']}?located=0")
    assert "data-store" not in refused.text
    visits = dict(
        session.execute(
            select(LandingVisit.code_id, func.count()).group_by(LandingVisit.code_id)
        ).all()
    )
    assert visits == {shanghai["id"]: 1, beijing["id"]: 1, ad["id"]: 1}
    wrong = world.siyu.post(
        f"{API}/channel-codes",
        json={"name": "x", "members": [{"userid": "chenjie"}], "store_id": 999999},
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "code_unknown_store")
