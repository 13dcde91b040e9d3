"""A channel code made in the console: it goes live in WeCom, its QR (downloaded from the page)
holds the contact way's link, and a customer who scans it arrives tagged and greeted once."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import openpyxl
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from siyu import qr
from tests.e2e.conftest import Live, screenshot, verify_callbacks
from tests.e2e.test_console import sign_in

LIVE_TIMEOUT = 30_000
CODE_NAME = "徐汇店试吃台"
CUSTOMER = "扫码的林先生"
TAG = "潜在"


def _ready(page: Page, timeout: float = 30) -> None:
    """Signed in, once the demo's first syncs from WeCom (started by the seed) have brought in
    the staff and the tag library that the code form offers."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        staff = page.request.get("/api/v1/staff?page_size=200").json()["items"]
        groups = page.request.get("/api/v1/tags").json()["groups"]
        tags = {t["name"]: t for g in groups for t in g["tags"]}
        if {"chenjie", "wangfang"} <= {s["userid"] for s in staff} and TAG in tags:
            return
        time.sleep(0.3)
    raise AssertionError(f"the demo's staff and tags were not synced after {timeout} s")


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
    _ready(page)
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
    link = f"{live.sandbox_url}/sandbox/ways/{code['config_id']}"
    assert qr.decode(png.read_bytes()) == link
    # With the brand's logo in the middle it still scans.
    logo = tmp_path / "logo.png"
    Image.new("RGB", (96, 96), (7, 193, 96)).save(logo)
    dialog.get_by_test_id("qr-logo").set_input_files(logo)
    with page.expect_download() as download_info:
        dialog.get_by_test_id("qr-download-submit").click()
    with_logo = tmp_path / "code-logo.png"
    download_info.value.save_as(with_logo)
    assert with_logo.read_bytes() != png.read_bytes()
    assert qr.decode(with_logo.read_bytes()) == link
    dialog.get_by_role("button", name=re.compile("关闭|Close")).click()
    expect(dialog).to_be_hidden()

    # WeCom must know where to send callbacks; then a customer scans the code.
    verify_callbacks(page, live)
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
    # Their timeline: added through the code, tagged by it, and greeted.
    customer_row.click()
    expect(page.get_by_test_id("customer-name")).to_have_text(CUSTOMER)
    timeline = page.get_by_test_id("customer-timeline")
    expect(timeline.locator("[data-kind=tagged]")).to_contain_text(TAG)
    greeted = timeline.locator("[data-kind=welcomed]")
    expect(greeted).to_contain_text("向客户发送了员工 陈杰 的欢迎语")

    # Channel results count the new friend under the code and under 陈杰.
    page.get_by_test_id("nav-codeResults").click()
    expect(page).to_have_url(re.compile(r"/code-results$"))
    by_code = page.get_by_test_id("results-by-code").locator("tbody tr", has_text=CODE_NAME)
    expect(by_code.locator("[data-metric=added]")).to_have_text("1")
    expect(by_code.locator("[data-metric=greeted]")).to_have_text("1")
    expect(page.get_by_test_id("results-chart").locator("canvas")).to_have_count(1)
    screenshot(page, "channel-results")
    with page.expect_download() as download_info:
        page.get_by_test_id("results-export").click()
    report = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(report)
    assert report.suffix == ".xlsx"
    sheet = openpyxl.load_workbook(report, read_only=True).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:3] == ("分组", "名称", "新增好友")
    assert ("按渠道", CODE_NAME, 1) in [line[:3] for line in lines]

    # The welcomes page: every welcome with its code, and the default welcome for friends who
    # came by no code, kept across a reload.
    page.get_by_test_id("nav-welcomes").click()
    expect(page).to_have_url(re.compile(r"/welcomes$"))
    logged = page.get_by_test_id("welcomes-table").locator("tbody tr", has_text=CUSTOMER)
    expect(logged).to_contain_text(CODE_NAME)
    expect(logged).to_contain_text("已发送")
    expect(page.get_by_test_id("default-welcome-card")).to_have_attribute("data-state", "ready")
    editor = page.get_by_test_id("default-welcome")
    if editor.get_by_test_id("default-welcome-text").is_hidden():
        editor.get_by_test_id("default-welcome-enabled").click()
    editor.get_by_test_id("default-welcome-text").fill("感谢添加，我是{员工姓名}")
    expect(editor.get_by_test_id("default-welcome-preview")).to_contain_text("感谢添加，我是顾问")
    page.get_by_test_id("default-welcome-save").click()
    expect(page.locator(".el-message--success")).to_contain_text("默认欢迎语已保存")
    page.reload()
    expect(editor.get_by_test_id("default-welcome-text")).to_have_value("感谢添加，我是{员工姓名}")
    screenshot(page, "welcomes")

    # The list: live, with its counts and a QR thumbnail.
    page.get_by_test_id("nav-codes").click()
    listed = page.get_by_test_id("codes-table").locator("tbody tr", has_text=CODE_NAME)
    expect(listed.get_by_test_id(f"code-status-{code_id}")).to_have_attribute("data-status", "live")
    expect(listed.get_by_test_id("code-qr-image")).to_be_visible()
    expect(listed).to_contain_text("陈杰")
    screenshot(page, "channel-codes")


def test_a_code_wecom_refuses_shows_why_goes_live_once_saved_again_and_is_deleted(
    page: Page, live: Live
) -> None:
    _ready(page)
    faults = f"{live.sandbox_url}/sandbox/faults"
    refused = {
        "path": "externalcontact/add_contact_way",
        "errcode": 84074,
        "times": 1,
        "errmsg": "no privilege to access/modify contact/party/agent",
    }
    assert httpx.put(faults, json={"errors": [refused]}, timeout=20).status_code == 200
    try:
        page.get_by_test_id("nav-codes").click()
        page.get_by_test_id("codes-create").click()
        form = page.get_by_test_id("code-form")
        # Nothing is sent while the form misses what WeCom needs.
        form.get_by_test_id("code-save").click()
        expect(form.get_by_test_id("code-form-error")).to_contain_text("请填写活码名称")
        expect(form.get_by_test_id("code-form-error")).to_contain_text("请至少添加一位接待员工")
        form.get_by_test_id("code-name").fill("快递卡片")
        form.get_by_test_id("code-routing-single").click()
        form.get_by_test_id("code-member-picker").click()
        page.get_by_test_id("code-member-option-wangfang").click()
        form.get_by_test_id("code-save").click()

        # WeCom refuses: the code says so, with WeCom's reason in words.
        status = page.get_by_test_id("code-detail-status")
        expect(status).to_have_attribute("data-status", "failed", timeout=LIVE_TIMEOUT)
        expect(page.get_by_test_id("code-detail-error")).to_contain_text("84074")
        expect(page.get_by_test_id("code-detail-download")).to_be_disabled()
        match = re.search(r"/codes/(\d+)$", page.url)
        assert match is not None
        code_id = int(match.group(1))
        page.get_by_test_id("nav-codes").click()
        row = page.get_by_test_id("codes-table").locator("tbody tr", has_text="快递卡片")
        expect(row.get_by_test_id(f"code-status-{code_id}")).to_have_text("生成失败")
        expect(row).to_contain_text("没有调用")
        screenshot(page, "channel-code-failed")
    finally:
        httpx.delete(faults, timeout=20)

    # Saved again (WeCom now answers): the code goes live; the list follows it by itself.
    row.get_by_test_id(f"code-edit-{code_id}").click()
    form = page.get_by_test_id("code-form")
    expect(form.get_by_test_id("code-name")).to_have_value("快递卡片")
    expect(form.get_by_test_id("code-member-wangfang")).to_have_text("王芳")
    form.get_by_test_id("code-name").fill("快递卡片（新）")
    form.get_by_test_id("code-save").click()
    expect(form).to_be_hidden()
    row = page.get_by_test_id("codes-table").locator("tbody tr", has_text="快递卡片（新）")
    expect(row.get_by_test_id(f"code-status-{code_id}")).to_have_attribute(
        "data-status", "live", timeout=LIVE_TIMEOUT
    )
    expect(row.get_by_test_id("code-qr-image")).to_be_visible()

    # Deleted after a confirmation: gone from the list.
    row.get_by_test_id(f"code-delete-{code_id}").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text("快递卡片（新）")
    confirm.get_by_role("button", name="删除").click()
    remaining = page.get_by_test_id("codes-table").locator("tbody tr", has_text="快递卡片")
    expect(remaining).to_have_count(0)

    # The same pages in English, then back to Chinese for whoever signs in next.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-acquisition")).to_contain_text("Acquisition")
    expect(page.get_by_test_id("nav-codes")).to_contain_text("Channel codes")
    expect(page.get_by_test_id("codes-create")).to_contain_text("New code")
    page.get_by_test_id("codes-create").click()
    form = page.get_by_test_id("code-form")
    expect(form).to_contain_text("Working hours (China time)")
    expect(form).to_contain_text("WeCom keeps at most 20 characters")
    screenshot(page, "channel-code-form-en")
    form.get_by_role("button", name="Cancel").click()
    expect(form).to_be_hidden()
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-codes")).to_contain_text("渠道活码")
