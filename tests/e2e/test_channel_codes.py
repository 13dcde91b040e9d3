"""A channel code made in the console: it goes live in WeCom, its QR (downloaded from the page)
holds the contact way's link, and a customer who scans it arrives tagged and greeted once."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Page, expect

from siyu import qr
from siyu.sandbox.demo import DEMO_CORP
from tests.e2e.conftest import Live, screenshot
from tests.e2e.test_customers import open_synced_customers

LIVE_TIMEOUT = 30_000
CODE_NAME = "徐汇店收银台"
CUSTOMER = "扫码的林先生"
TAG = "潜在"


def _tag_option(page: Page, name: str) -> Locator:
    return (
        page.locator(".tag-picker__popper:visible")
        .get_by_role("option")
        .filter(has=page.locator("span", has_text=re.compile(f"^{re.escape(name)}$")))
    )


def _wait_for_welcome(page: Page, code_id: int, timeout: float = 30) -> dict[str, Any]:
    """The scan's callback and the welcome are handled by the worker: wait until it settles."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        items = page.request.get(f"/api/v1/welcomes?code_id={code_id}").json()["items"]
        settled = [w for w in items if w["status"] not in ("pending", "sending")]
        if settled:
            found: dict[str, Any] = settled[0]
            return found
        time.sleep(0.3)
    raise AssertionError(f"no welcome settled for code {code_id} after {timeout} s")


def _welcome_effects(live: Live) -> list[dict[str, Any]]:
    effects = httpx.get(
        f"{live.sandbox_url}/sandbox/inspect/effects", params={"kind": "welcome"}, timeout=20
    ).json()["effects"]
    return [e for e in effects if CUSTOMER in e["payload"].get("text", {}).get("content", "")]


def test_a_code_made_in_the_console_greets_and_tags_the_customer_who_scans_it(
    page: Page, live: Live, tmp_path: Path
) -> None:
    open_synced_customers(page)
    page.get_by_test_id("nav-codes").click()
    expect(page).to_have_url(re.compile(r"/codes$"))
    expect(page.get_by_test_id("codes-page")).to_be_visible()

    # A new code: one member, a tag, a remark and a welcome with the customer's nickname.
    page.get_by_test_id("codes-create").click()
    form = page.get_by_test_id("code-form")
    expect(form).to_be_visible()
    form.get_by_test_id("code-name").fill(CODE_NAME)
    form.get_by_test_id("code-member-picker").click()
    page.get_by_test_id("code-member-option-chenjie").click()
    expect(form.get_by_test_id("code-member-chenjie")).to_have_text("陈杰")

    form.get_by_test_id("code-tags").locator(".el-select").click()
    _tag_option(page, TAG).click()
    form.get_by_text("标签与备注").click()  # closes the tag list
    expect(page.locator(".tag-picker__popper:visible")).to_have_count(0)
    expect(form.get_by_test_id("code-tags")).to_contain_text(TAG)

    form.get_by_test_id("code-remark").fill("徐汇·")
    form.get_by_test_id("code-remark-var").filter(has_text="{客户昵称}").click()
    expect(form.get_by_test_id("code-remark")).to_have_value("徐汇·{客户昵称}")

    form.get_by_test_id("code-welcome-enabled").click()
    text = form.get_by_test_id("code-welcome-text")
    text.fill("")
    form.get_by_test_id("code-welcome-text-var").filter(has_text="{客户昵称}").click()
    text.press("End")
    text.type("您好，我是")
    form.get_by_test_id("code-welcome-text-var").filter(has_text="{员工姓名}").click()
    expect(text).to_have_value("{客户昵称}您好，我是{员工姓名}")
    # The preview fills the variables in with a sample nickname and the first member's name.
    expect(form.get_by_test_id("code-welcome-preview")).to_contain_text("小王您好，我是陈杰")
    screenshot(page, "channel-code-form")
    form.get_by_test_id("code-save").click()

    # The code's own page follows it until WeCom has made the contact way.
    expect(page).to_have_url(re.compile(r"/codes/\d+$"))
    match = re.search(r"/codes/(\d+)$", page.url)
    assert match is not None
    code_id = int(match.group(1))
    status = page.get_by_test_id("code-detail-status")
    expect(status).to_have_attribute("data-status", "live", timeout=LIVE_TIMEOUT)
    expect(status).to_have_text("已生效")
    expect(page.get_by_test_id("code-detail-name")).to_contain_text(CODE_NAME)
    expect(page.get_by_test_id("code-qr-image")).to_be_visible()
    expect(page.get_by_test_id("code-roster")).to_contain_text("陈杰")
    expect(page.get_by_test_id("code-detail-tags")).to_contain_text(TAG)
    code = page.request.get(f"/api/v1/channel-codes/{code_id}").json()
    expect(page.get_by_test_id("code-landing-url")).to_have_value(code["landing_url"])

    # The QR as a print-size PNG, downloaded from the page, holds the contact way's link.
    page.get_by_test_id("code-detail-download").click()
    dialog = page.get_by_test_id("qr-download")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("qr-format-png").click()
    dialog.get_by_test_id("qr-size-print").click()
    with page.expect_download() as download_info:
        dialog.get_by_test_id("qr-download-submit").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".png"), download.suggested_filename
    png = tmp_path / "code.png"
    download.save_as(png)
    assert qr.decode(png.read_bytes()) == f"{live.sandbox_url}/sandbox/ways/{code['config_id']}"
    dialog.get_by_role("button", name=re.compile("关闭|Close")).click()
    expect(dialog).to_be_hidden()

    # WeCom must know where to send callbacks; then a customer scans the code.
    connection = page.request.get("/api/v1/wecom/connection").json()["connection"]
    verified = httpx.post(
        f"{live.sandbox_url}/sandbox/corps/{DEMO_CORP.corp_id}/callback",
        json={"url": connection["callback"]["url"]},
        timeout=20,
    ).json()
    assert verified["verified"] is True, verified
    scanned = httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/scan",
        params={"wait": "true"},
        json={"config_id": code["config_id"], "customer": {"name": CUSTOMER}},
        timeout=20,
    )
    assert scanned.status_code == 200, scanned.text
    welcome = _wait_for_welcome(page, code_id)
    assert welcome["status"] == "sent", welcome

    # The code's page: the welcome shown as sent, to the new customer, in their own name.
    page.get_by_test_id("welcomes-refresh").click()
    row = page.get_by_test_id("welcomes-table").locator("tbody tr", has_text=CUSTOMER)
    expect(row).to_contain_text("陈杰")
    expect(row.locator("[data-status]")).to_have_attribute("data-status", "sent")
    expect(row).to_contain_text("已发送")
    expect(row).to_contain_text(f"{CUSTOMER}您好，我是陈杰")
    page.get_by_test_id("code-detail-refresh").click()
    expect(page.get_by_test_id("code-count-total")).to_have_text("1")
    expect(page.get_by_test_id("code-count-greeted")).to_have_text("1")
    screenshot(page, "channel-code-detail")

    # WeCom sent exactly one welcome to that customer.
    sent = _welcome_effects(live)
    assert len(sent) == 1, sent
    assert sent[0]["payload"]["text"]["content"] == f"{CUSTOMER}您好，我是陈杰"

    # The customers the code brought in: the new one, with the code's tag.
    page.get_by_test_id("code-customers-link").click()
    expect(page).to_have_url(re.compile(r"/customers\?channel="))
    customer_row = page.get_by_test_id("customers-table").locator("tbody tr", has_text=CUSTOMER)
    expect(customer_row).to_have_count(1)
    expect(customer_row).to_contain_text(TAG)
    expect(customer_row).to_contain_text(code["state"])

    # Channel results count the new friend under the code and under 陈杰.
    page.get_by_test_id("nav-codeResults").click()
    expect(page).to_have_url(re.compile(r"/code-results$"))
    by_code = page.get_by_test_id("results-by-code").locator("tbody tr", has_text=CODE_NAME)
    expect(by_code.locator("[data-metric=added]")).to_have_text("1")
    expect(by_code.locator("[data-metric=greeted]")).to_have_text("1")
    expect(page.get_by_test_id("results-chart").locator("canvas")).to_have_count(1)
    screenshot(page, "channel-results")

    # The list: live, with its counts and a QR thumbnail.
    page.get_by_test_id("nav-codes").click()
    listed = page.get_by_test_id("codes-table").locator("tbody tr", has_text=CODE_NAME)
    expect(listed.get_by_test_id(f"code-status-{code_id}")).to_have_attribute("data-status", "live")
    expect(listed.get_by_test_id("code-qr-image")).to_be_visible()
    expect(listed).to_contain_text("陈杰")
    screenshot(page, "channel-codes")
