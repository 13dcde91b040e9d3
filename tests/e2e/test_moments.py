"""An operator plans an ad for the suggested evening time and sees it on the Moments calendar
with its label; a post made now becomes a WeCom moment task, a staff member publishes it in
the sandbox and its page shows who published."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from siyu.sandbox.demo import DEMO_CORP
from tests.e2e.conftest import Live, screenshot
from tests.e2e.test_console import sign_in

AD = "双十二会员日：到店出示本条立减 30 元"
NOW = "门店日常：今天的第一锅骨汤熬好了"


def _ready(page: Page, timeout: float = 60) -> list[dict[str, Any]]:
    """Signed in, once the demo's staff sync has brought in the accounts that can post."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        staff: list[dict[str, Any]] = page.request.get("/api/v1/moments/options").json()["staff"]
        if staff:
            return staff
        time.sleep(0.5)
    raise AssertionError(f"no staff account could post after {timeout} s")


def _compose(page: Page, kind: str, text: str, when: str) -> str:
    """Write a post in the composer; answers the suggested time it took (China time) if any."""
    page.get_by_test_id("moments-compose").click()
    composer = page.get_by_test_id("moment-composer")
    expect(composer).to_be_visible()
    composer.get_by_test_id(f"moment-kind-{kind}").click()
    composer.get_by_test_id("moment-text").fill(text)
    local = ""
    if when == "slot":
        first = composer.get_by_test_id("moment-slot-0")
        expect(first).to_be_visible()
        local = first.get_attribute("data-local") or ""
        first.click()
    else:
        composer.get_by_test_id(f"moment-when-{when}").click()
    composer.get_by_test_id("moment-save").click()
    expect(composer).to_be_hidden()
    return local


def test_an_ad_planned_for_a_suggested_time_shows_on_the_calendar(page: Page) -> None:
    _ready(page)
    page.get_by_test_id("nav-moments").click()
    expect(page.get_by_test_id("moments-calendar")).to_be_visible()

    local = _compose(page, "ad", AD, "slot")
    assert local  # the composer proposed the next free suggested time
    day, clock = local.split(" ")
    cell = page.get_by_test_id(f"moment-day-{day}")
    item = cell.locator("button", has_text=AD[:10])
    expect(item).to_be_visible()
    expect(item).to_contain_text(clock)
    expect(item.locator(".kind-tag--ad")).to_have_text("广告")
    screenshot(page, "moments-calendar")

    item.click()
    expect(page.get_by_test_id("moment-detail-text")).to_have_text(AD)
    expect(page.get_by_test_id("moment-detail-state")).to_have_attribute("data-state", "scheduled")
    expect(page.get_by_test_id("moment-detail-kind")).to_have_text("广告")


def test_a_post_made_now_is_published_in_wecom_and_its_result_shows(page: Page, live: Live) -> None:
    staff = _ready(page)
    page.goto("/moments")
    _compose(page, "light", NOW, "now")
    # The composer moved the calendar to today's post.
    item = page.get_by_test_id("moments-calendar").locator("button", has_text=NOW[:8])
    expect(item).to_be_visible()
    item.click()
    expect(page).to_have_url(re.compile(r"/moments/\d+$"))
    state = page.get_by_test_id("moment-detail-state")
    post_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])

    # The worker creates the WeCom task, then reads its moment id once WeCom has built it.
    deadline = time.monotonic() + 60
    moment_id = ""
    while time.monotonic() < deadline and not moment_id:
        moment_id = page.request.get(f"/api/v1/moments/posts/{post_id}").json()["moment_id"] or ""
        time.sleep(0.5)
    assert moment_id, "the post's moment task was not created in time"
    page.reload()
    expect(state).to_have_attribute("data-state", "created")

    # wangfang publishes (the post went to every account), and 刘晓燕, her customer, reacts.
    userid = "wangfang" if any(s["id"] == "wangfang" for s in staff) else staff[0]["id"]
    httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/publish_moment",
        json={"moment_id": moment_id, "userid": userid},
        timeout=20,
    ).raise_for_status()
    external_userid = DEMO_CORP.customers[0].external_userid
    for kind in ("like", "comment"):
        httpx.post(
            f"{live.sandbox_url}/sandbox/simulate/moment_interaction",
            json={
                "moment_id": moment_id,
                "userid": userid,
                "external_userid": external_userid,
                "kind": kind,
            },
            timeout=20,
        ).raise_for_status()

    published = page.get_by_test_id("moment-count-published")
    likes = page.get_by_test_id("moment-count-likes")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        page.get_by_test_id("moment-sync").click()
        page.wait_for_timeout(2000)
        if published.inner_text().strip() == "1" and likes.inner_text().strip() == "1":
            break
    expect(published).to_have_text("1")
    expect(likes).to_have_text("1")
    expect(page.get_by_test_id("moment-count-comments")).to_have_text("1")
    expect(page.get_by_test_id("moment-results")).to_contain_text("已发表")
    expect(page.get_by_test_id("moment-result-chart")).to_be_visible()
    screenshot(page, "moment-detail")
