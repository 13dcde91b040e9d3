"""An operator composes a broadcast to a saved segment and schedules it a few seconds ahead;
the worker plans it and creates one WeCom task per staff account; the staff confirm in the
sandbox's client; the results page shows every customer reached, per sender and as a chart.
Another goes at once to a hand-picked customer, with the sender's name and a file."""

from __future__ import annotations

import datetime as dt
import re
import time
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live, screenshot
from tests.e2e.test_segments import _api, _ready

NAME = "周末上新 · 全部好友"


def _put(page: Page, path: str, body: Any) -> Any:
    token = page.request.get("/api/v1/auth/me").json()["csrf_token"]
    response = page.request.put(path, data=body, headers={"X-CSRF-Token": token})
    assert response.ok, response.text()
    return response.json()


def quiet_hours_off(page: Page) -> None:
    """No quiet hours and a loose cap, whatever the hour the tests run at."""
    _put(
        page,
        "/api/v1/reach-settings",
        {
            "quiet_start": "00:00",
            "quiet_end": "00:00",
            "cap_count": 20,
            "cap_days": 1,
            "wecom_policy": "month",
        },
    )


def _sent(page: Page, seconds: float = 60) -> dict[str, Any]:
    """The results of the broadcast on the page, once the worker has made all its tasks."""
    broadcast_id = int(page.url.rstrip("/").split("/")[-1])
    deadline = time.monotonic() + seconds
    results: dict[str, Any] = {}
    while time.monotonic() < deadline:
        results = _api(page, f"/api/v1/broadcasts/{broadcast_id}/results")
        if results["broadcast"]["state"] == "sent":
            break
        time.sleep(1)
    assert results["broadcast"]["state"] == "sent", results["broadcast"]
    return results


def test_a_scheduled_broadcast_to_a_segment_is_confirmed_and_counted(
    page: Page, live: Live
) -> None:
    _ready(page)
    quiet_hours_off(page)
    rule = {"field": "follow", "op": "eq", "value": "friend"}
    segment = _api(page, "/api/v1/segments", {"name": "群发测试 · 全部好友", "rule": rule})
    friends = segment["count"]
    assert friends > 0

    page.get_by_test_id("nav-broadcasts").click()
    page.get_by_test_id("broadcasts-create").click()
    page.get_by_test_id("broadcast-name").fill(NAME)
    page.get_by_test_id("broadcast-segment").click()
    page.get_by_role("option", name=segment["name"]).click()
    expect(page.get_by_test_id("broadcast-count")).to_contain_text(f"{friends}")
    page.get_by_test_id("broadcast-text").fill("周末上新，老客到店有礼")
    page.get_by_test_id("when-at").click()
    # A few seconds ahead, in the browser's own time zone.
    at = dt.datetime.now().astimezone() + dt.timedelta(seconds=8)
    picker = page.get_by_test_id("broadcast-send-at").locator("input")
    picker.fill(at.strftime("%Y-%m-%d %H:%M:%S"))
    picker.press("Enter")
    screenshot(page, "broadcast-compose")
    page.get_by_test_id("broadcast-submit").click()

    expect(page.get_by_test_id("broadcast-title")).to_have_text(NAME)
    state = page.get_by_test_id("broadcast-detail").locator("[data-state]").first
    # The worker picks it up when due and creates the staff's tasks.
    results = _sent(page)
    tasks = results["tasks"]
    assert tasks
    assert all(t["msgid"] for t in tasks)
    assert sum(t["recipients"] for t in tasks) == results["counts"]["waiting"]

    # The staff confirm in their WeCom client (the sandbox's simulator).
    for task in tasks:
        confirmed = httpx.post(
            f"{live.sandbox_url}/sandbox/simulate/confirm_mass",
            json={"msgid": task["msgid"], "userid": task["sender"]},
            timeout=20,
        )
        assert confirmed.status_code == 200, confirmed.text
    page.reload()
    page.get_by_test_id("broadcast-sync").click()
    expect(state).to_have_attribute("data-state", "done", timeout=30_000)
    page.reload()
    sent = results["counts"]["waiting"]
    expect(page.get_by_test_id("broadcast-count-sent")).to_contain_text(str(sent))
    expect(page.get_by_test_id("broadcast-chart")).to_be_visible()
    expect(page.get_by_test_id("broadcast-senders")).to_contain_text("已发送")
    screenshot(page, "broadcast-results")

    page.get_by_test_id("nav-broadcasts").click()
    row = page.get_by_test_id("broadcasts-table").locator(f"[data-name='{NAME}']")
    expect(row).to_be_visible()


def test_a_broadcast_to_picked_customers_carries_the_senders_name_and_an_attachment(
    page: Page, live: Live
) -> None:
    _ready(page)
    quiet_hours_off(page)
    page.get_by_test_id("nav-broadcasts").click()
    page.get_by_test_id("broadcasts-create").click()
    page.get_by_test_id("broadcast-name").fill("老客回访 · 指定客户")
    page.get_by_test_id("audience-customers").click()
    page.get_by_test_id("broadcast-customers").click()
    page.keyboard.type("刘晓燕")
    page.get_by_role("option", name=re.compile("刘晓燕")).click()
    expect(page.get_by_test_id("broadcast-count")).to_contain_text("1")

    # Only the sender's variables are offered: one text goes to all of a sender's customers.
    expect(page.get_by_test_id("variable-staff_name")).to_be_visible()
    expect(page.get_by_test_id("variable-customer_name")).to_have_count(0)
    page.get_by_test_id("variable-staff_name").click()
    text = page.get_by_test_id("broadcast-text")
    expect(text).to_have_value("{staff_name}")
    text.fill("{staff_name}为您准备了秋冬价目表")

    page.get_by_test_id("material-picker-open").click()
    page.get_by_test_id("material-picker-search").fill("秋冬价目表")
    page.get_by_test_id("material-picker-search").press("Enter")
    page.locator('[data-testid^="material-picker-item-"]').filter(has_text="秋冬价目表").click()
    page.get_by_test_id("material-picker-confirm").click()
    expect(page.get_by_test_id("broadcast-materials")).to_contain_text("秋冬价目表")
    page.get_by_test_id("when-now").click()
    screenshot(page, "broadcast-compose-picked")
    page.get_by_test_id("broadcast-submit").click()
    expect(page.get_by_test_id("broadcast-title")).to_have_text("老客回访 · 指定客户")

    results = _sent(page)
    assert results["broadcast"]["audience"]["kind"] == "customers"
    assert len(results["broadcast"]["material_ids"]) == 1
    (task,) = results["tasks"]
    assert task["recipients"] == 1
    confirmed = httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/confirm_mass",
        json={"msgid": task["msgid"], "userid": task["sender"]},
        timeout=20,
    )
    assert confirmed.status_code == 200, confirmed.text
    effects = httpx.get(
        f"{live.sandbox_url}/sandbox/inspect/effects", params={"kind": "mass_message"}, timeout=20
    ).json()
    rows = effects["effects"] if isinstance(effects, dict) else effects
    (sent,) = [e["payload"] for e in rows if e["payload"]["msgid"] == task["msgid"]]
    # The sender's name is filled in, and the price list went as a file WeCom holds.
    assert sent["text"]["content"] == f"{task['sender_name']}为您准备了秋冬价目表"
    assert [a["msgtype"] for a in sent["attachments"]] == ["file"]
    assert sent["attachments"][0]["file"]["media_id"]
