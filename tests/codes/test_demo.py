"""The demo tenant's channel codes: made in WeCom on the channels its customers came by, credited
with those friends, greeting newcomers."""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.codes.test_codes import API, _ready, effects, scan
from tests.conftest import RunJobs, World


def test_the_demo_codes_are_live_with_their_history_and_greet_newcomers(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    codes = {c["name"]: c for c in world.siyu.get(f"{API}/channel-codes").json()["items"]}
    assert set(codes) == {"徐汇店收银台", "朝阳店门口海报", "快递包裹卡片", "朋友圈广告"}
    assert all(c["status"] == "live" and c["in_step"] for c in codes.values())
    xuhui = codes["徐汇店收银台"]
    assert (xuhui["state"], xuhui["store_name"]) == ("store_xuhui", "上海徐汇店")
    assert codes["朋友圈广告"]["nearest_store"] is True
    assert xuhui["counts"]["total"] >= 1  # the demo corp's customers who came by that counter
    assert xuhui["roster"] == ["wangfang"]  # weighted 3:1, nobody served yet today
    newcomer = scan(world, xuhui["config_id"], "新来的")
    run_jobs()
    assert newcomer["userid"] == "wangfang"
    greeted = [e["payload"] for e in effects(world, "welcome")]
    assert len(greeted) == 1
    # The day's message (with the coupon link) or, from 21:00 to 08:00, the evening one.
    assert "新来的" in greeted[0]["text"]["content"]
    assert "烤串" in greeted[0]["text"]["content"]
    default = world.siyu.get(f"{API}/default-welcome").json()
    assert default["welcome"]["enabled"] is True
