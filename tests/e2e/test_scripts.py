"""An operator writes a script with a variable and finds it by search; then lays out a
sequence and starts it for a customer, whose owner gets the day's task."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_console import sign_in

TITLE = "到店礼提醒 · 浏览器测试"
SEQUENCE = "三日回访 · 浏览器测试"


def test_a_script_with_a_variable_is_found_by_search(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-scripts").click()
    expect(page.get_by_test_id("scripts-page")).to_be_visible()

    page.get_by_test_id("scripts-add").click()
    page.get_by_test_id("script-title").fill(TITLE)
    body = page.get_by_test_id("script-body")
    body.click()
    page.get_by_test_id("variable-customer_name").click()
    body.press("End")
    body.type("您好，到店出示此消息领取到店礼")
    expect(body).to_have_value("{customer_name}您好，到店出示此消息领取到店礼")
    page.get_by_test_id("script-save").click()
    expect(page.locator(f'[data-title="{TITLE}"]')).to_be_visible()

    search = page.get_by_test_id("scripts-search")
    search.fill("到店礼")
    search.press("Enter")
    rows = page.get_by_test_id("scripts-table").locator("[data-title]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-title", TITLE)
    search.fill("没有这样的话术xyz")
    search.press("Enter")
    expect(rows).to_have_count(0)
    screenshot(page, "scripts")


def test_a_sequence_started_for_a_customer_gives_its_owner_a_task(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-sequences").click()
    page.get_by_test_id("sequences-add").click()
    page.get_by_test_id("sequence-name").fill(SEQUENCE)
    page.get_by_test_id("sequence-step-0").get_by_text("自定义文本").click()
    page.get_by_test_id("sequence-step-text-0").fill("{customer_name}，感谢到店")
    page.get_by_test_id("sequence-save").click()
    row = page.locator(f'[data-name="{SEQUENCE}"]')
    expect(row).to_be_visible()
    sequence_id = (row.get_attribute("data-testid") or "").removeprefix("sequence-row-")

    # A customer who has an owner account (the demo's customers come with the first sync).
    deadline = time.monotonic() + 60
    customer = None
    while customer is None and time.monotonic() < deadline:
        items = page.request.get("/api/v1/customers?page_size=50").json()["items"]
        customer = next((c for c in items if c.get("owner_userid")), None)
        time.sleep(0.5)
    assert customer is not None, "the demo has no customers with an owner"

    page.get_by_test_id(f"sequence-start-{sequence_id}").click()
    page.get_by_test_id("run-audience").get_by_text("客户").click()
    picker = page.get_by_test_id("run-customers")
    picker.click()
    picker.locator("input").fill(customer["name"])
    page.locator(".el-select-dropdown__item:visible").filter(
        has_text=customer["name"]
    ).first.click()
    page.get_by_test_id("run-start").click()
    expect(page.get_by_test_id("run-error")).to_have_count(0)

    runs = page.request.get(f"/api/v1/sequence-runs?sequence_id={sequence_id}").json()
    assert [r["customers"] for r in runs] == [1]
    day_one = page.get_by_test_id(f"run-{runs[0]['id']}-day-1")
    # The worker makes day 1's task at once; the runs table shows it after a refresh.
    deadline = time.monotonic() + 30
    while not day_one.count() and time.monotonic() < deadline:
        time.sleep(0.5)
        page.get_by_role("button", name="刷新").click()
    expect(day_one).to_contain_text("客户 0/1")
    screenshot(page, "sequences")
