"""Customer groups come in from WeCom; an operator makes a group code over a demo group, downloads
its QR code (which decodes to the link inside the join way's QR image), a customer scans it in the
sandbox, and the group's bar and the code's joins grow. Members talk in a group, and its page
counts the day's messages from the chat archive."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from tests.e2e.conftest import Live, screenshot, verify_callbacks
from tests.e2e.test_console import sign_in

SYNC_TIMEOUT = 30_000
GROUP = "朝阳店会员群"  # chenjie with 孙丽娟 and 周建国: 3 members in the tests' sandbox


def _option(page: Page, name: str) -> Locator:
    return (
        page.locator(".el-select-dropdown:visible")
        .get_by_role("option")
        .filter(has_text=re.compile(f"^{re.escape(name)}"))
    )


def _code(page: Page, name: str) -> dict[str, Any]:
    items = page.request.get("/api/v1/group-codes").json()["items"]
    return next(c for c in items if c["name"] == name)


def _wait_for(page: Page, locator: Locator, text: str, seconds: float = 20) -> None:
    """The list does not poll: reload it until the callbacks have been handled."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in (locator.text_content() or ""):
            return
        time.sleep(0.5)
        page.reload()
    expect(locator).to_contain_text(text)


def _open_synced_groups(page: Page) -> None:
    """The groups page, once the groups have been read from WeCom (started if never)."""
    page.get_by_test_id("nav-groups").click()
    expect(page).to_have_url(re.compile(r"/groups$"))
    state = page.get_by_test_id("groups-sync-state")
    expect(state).not_to_have_attribute("data-state", "unknown")
    if state.get_attribute("data-state") in ("never", "failed"):
        page.get_by_test_id("groups-sync").click()
    expect(state).to_have_attribute("data-state", "done", timeout=SYNC_TIMEOUT)


def test_a_group_code_over_demo_groups_fills_as_customers_scan(
    page: Page, live: Live, tmp_path: Path
) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    _open_synced_groups(page)
    table = page.get_by_test_id("groups-table")
    expect(table).to_contain_text("徐汇店老客福利群")
    expect(table.locator("tbody tr", has_text=GROUP)).to_contain_text("3 / 200")
    screenshot(page, "groups")

    table.get_by_text(GROUP).click()
    expect(page.get_by_test_id("group-name")).to_contain_text(GROUP)
    members = page.get_by_test_id("group-members")
    expect(members).to_contain_text("孙丽娟")
    expect(members).to_contain_text("员工")
    screenshot(page, "group-detail")

    # A group code over the demo group, made in WeCom (the sandbox) from the console.
    page.get_by_test_id("nav-groupCodes").click()
    page.get_by_test_id("group-codes-create").click()
    dialog = page.get_by_test_id("group-code-dialog")
    page.get_by_test_id("group-code-name").fill("朝阳店进群码")
    page.get_by_test_id("group-code-groups").click()
    _option(page, GROUP).click()
    page.keyboard.press("Escape")
    page.get_by_test_id("group-code-base-name").fill("朝阳店福利群")
    page.get_by_test_id("group-code-save").click()
    expect(dialog).to_be_hidden()
    code = _code(page, "朝阳店进群码")
    group_id = code["groups"][0]["id"]
    fill = page.get_by_test_id(f"group-code-{code['id']}-group-{group_id}")
    expect(fill).to_contain_text("3 / 200")
    expect(page.get_by_test_id(f"group-code-joins-{code['id']}")).to_have_text("0")

    # The downloaded PNG decodes to the link inside the join way's QR image.
    with page.expect_download() as download_info:
        page.get_by_test_id(f"group-code-png-{code['id']}").click()
    png = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(png)
    with Image.open(png) as image:
        found = zxingcpp.read_barcodes(image.convert("RGB"))
    assert found
    assert found[0].text == code["qr_code"].replace("/sandbox/qr/", "/sandbox/ways/")

    # WeCom sends callbacks to Siyu (as set in WeCom's admin console); a customer scans.
    verify_callbacks(page, live)
    scanned = httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/scan_group_code",
        params={"wait": "true"},
        json={"config_id": code["config_id"], "customer": {"name": "扫码进群的林晓"}},
        timeout=20,
    )
    assert scanned.status_code == 200, scanned.text
    _wait_for(page, fill, "4 / 200")
    expect(page.get_by_test_id(f"group-code-joins-{code['id']}")).to_have_text("1")
    screenshot(page, "group-codes")

    # The newcomer shows in the group, joined by the code.
    fill.get_by_role("link", name=GROUP).click()
    expect(page.get_by_test_id("group-members")).to_contain_text("扫码进群的林晓")
    expect(page.get_by_test_id("group-members")).to_contain_text("朝阳店进群码")


def test_what_is_said_in_a_group_shows_as_the_days_messages(page: Page, live: Live) -> None:
    sign_in(page)
    verify_callbacks(page, live)
    _open_synced_groups(page)
    page.get_by_test_id("groups-table").get_by_text(GROUP).click()
    expect(page.get_by_test_id("group-name")).to_contain_text(GROUP)
    today = dt.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    day = page.get_by_test_id("group-messages").locator(f"[data-day='{today}']")
    before = int(day.get_attribute("data-messages") or 0)

    # 孙丽娟 and 周建国 talk in the group (WeCom then tells Siyu the archive has news).
    sun, zhou = DEMO_CORP.customers[2].external_userid, DEMO_CORP.customers[3].external_userid
    lines = ((sun, "今晚还有位子吗？"), (zhou, "我也想订两位"), ("chenjie", "有的，给两位留好了"))
    for sender, text in lines:
        said = httpx.post(
            f"{live.sandbox_url}/sandbox/simulate/group_chat",
            params={"wait": "true"},
            json={"chat_id": _chat_id(GROUP), "sender": sender, "text": text},
            timeout=20,
        )
        assert said.status_code == 200, said.text
        assert "seq" in said.json(), said.text
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if day.get_attribute("data-messages") == str(before + 3):
            break
        time.sleep(0.5)
        page.reload()
    expect(day).to_have_attribute("data-messages", str(before + 3))
    screenshot(page, "group-messages")


def _chat_id(name: str) -> str:
    return next(g[0] for g in DEMO_GROUPS if g[1] == name)
