"""Customers come from WeCom: a sync brings in the demo corp's customers, the list finds them by
name, tags go on one by one or in bulk and show on the customer's timeline; the tag library is
managed on its own page; churn alerts raised by WeCom callbacks are handled from the console."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Locator, Page, expect

from siyu.sandbox.demo import DEMO_CORP
from tests.e2e.conftest import Live, screenshot, verify_callbacks
from tests.e2e.test_console import sign_in

SYNC_TIMEOUT = 30_000


def _customer(name: str) -> str:
    return next(c.external_userid for c in DEMO_CORP.customers if c.name == name)


def _tag_option(page: Page, name: str) -> Locator:
    """An option of the open tag picker (each option also shows its group's name)."""
    return (
        page.locator(".tag-picker__popper:visible")
        .get_by_role("option")
        .filter(has=page.locator("span", has_text=re.compile(f"^{re.escape(name)}$")))
    )


def _wait_for_open_alert(page: Page, customer: str, timeout: float = 20) -> None:
    """Siyu handles the callback in the background: wait until the alert exists."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alerts = page.request.get("/api/v1/churn-alerts?state=open").json()["items"]
        if any(a["customer_name"] == customer for a in alerts):
            return
        time.sleep(0.3)
    raise AssertionError(f"no churn alert for {customer} after {timeout} s")


def open_synced_customers(page: Page) -> Locator:
    """The customer list, after a sync from WeCom if none has run yet; returns the table."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-customers").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    state = page.get_by_test_id("customers-sync-state")
    expect(state).not_to_have_attribute("data-state", "unknown")
    if state.get_attribute("data-state") != "done":
        page.get_by_test_id("customers-sync").click()
        expect(state).to_have_attribute("data-state", "running")
        expect(state).to_have_attribute("data-state", "done", timeout=SYNC_TIMEOUT)
    expect(state).to_contain_text("上次同步")
    expect(state).to_contain_text(f"当前共 {len(DEMO_CORP.customers)} 位客户")
    return page.get_by_test_id("customers-table")


def test_a_synced_customer_is_found_tagged_and_the_tag_shows_on_the_timeline(page: Page) -> None:
    table = open_synced_customers(page)
    for customer in DEMO_CORP.customers:
        expect(table).to_contain_text(customer.name)
    screenshot(page, "customers")

    # Bulk tagging: two customers get 快递卡片 at once, and the dialog says what happened.
    for name in ("孙丽娟", "吴佳怡"):
        table.locator("tbody tr", has_text=name).locator(".el-checkbox").click()
    expect(page.get_by_test_id("customers-bulk-tag")).to_be_enabled()
    page.get_by_test_id("customers-bulk-tag").click()
    page.get_by_test_id("bulk-tag-add").click()
    _tag_option(page, "快递卡片").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("bulk-tag-submit").click()
    expect(page.get_by_test_id("bulk-tag-result")).to_contain_text("共处理 2 位客户：新增标签 2 个")
    page.get_by_test_id("bulk-tag-close").click()
    for name in ("孙丽娟", "吴佳怡"):
        expect(table.locator("tbody tr", has_text=name)).to_contain_text("快递卡片")

    # Search by name (the remark 刘姐·老客 would find her too).
    search = page.get_by_test_id("customers-search")
    search.fill("刘晓燕")
    search.press("Enter")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("刘晓燕")
    expect(table).to_contain_text("王芳")
    expect(page).to_have_url(re.compile(r"q=%E5%88%98"))

    # The detail page: who she is, the staff she added, and her timeline.
    table.locator("tbody tr", has_text="刘晓燕").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.get_by_test_id("customer-name")).to_have_text("刘晓燕")
    timeline = page.get_by_test_id("customer-timeline")
    expect(timeline.get_by_test_id("timeline-item").first).to_contain_text("添加了员工 王芳 为好友")
    page.get_by_test_id("customer-tab-follows").click()
    follows = page.get_by_test_id("customer-follows")
    expect(follows).to_contain_text("刘姐·老客")
    expect(follows).to_contain_text("好友")
    page.get_by_role("tab", name="客户动态").click()

    # A tag added from the detail page lands on the profile and, newest first, on the timeline.
    tags = page.get_by_test_id("customer-tags")
    expect(tags).not_to_contain_text("潜在")
    page.get_by_test_id("customer-add-tag").click()
    page.get_by_test_id("customer-tag-picker").click()
    _tag_option(page, "潜在").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("customer-tag-save").click()
    expect(page.get_by_test_id("customer-tag-dialog")).to_be_hidden()
    expect(tags).to_contain_text("潜在")
    newest = timeline.get_by_test_id("timeline-item").first
    expect(newest).to_have_attribute("data-kind", "tagged")
    expect(newest).to_contain_text("打标签")
    expect(newest).to_contain_text("潜在")
    expect(newest).to_contain_text("演示管理员")
    screenshot(page, "customer-detail")

    # Back to the list, still filtered by the search.
    page.go_back()
    expect(page.get_by_test_id("customers-search")).to_have_value("刘晓燕")
    expect(table.locator("tbody tr", has_text="刘晓燕")).to_contain_text("潜在")


def test_a_tag_group_created_in_the_console_is_listed_and_reaches_wecom(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-tags").click()
    expect(page).to_have_url(re.compile(r"/tags$"))

    page.get_by_test_id("tags-create-group").click()
    dialog = page.get_by_test_id("tag-group-dialog")
    dialog.get_by_test_id("tag-group-name").fill("会员偏好")
    names = dialog.get_by_test_id("tag-names")
    names.fill("爱喝咖啡")
    names.press("Enter")
    names.fill("低糖")
    names.press("Enter")
    page.get_by_test_id("tag-group-save").click()
    expect(dialog).to_be_hidden()

    group = page.locator("[data-testid^=tag-group-][data-name=会员偏好]")
    expect(group).to_be_visible()
    expect(group).to_contain_text("2 个标签")
    coffee = group.locator("[data-name=爱喝咖啡]")
    expect(coffee).to_be_visible()
    expect(group.locator("[data-name=低糖]")).to_be_visible()
    # The worker creates the group in WeCom; the page follows it until it is synced.
    expect(coffee).to_have_attribute("data-state", "synced", timeout=SYNC_TIMEOUT)
    screenshot(page, "tags")

    # A name already used in the group is refused before anything is sent.
    group.get_by_role("button", name="添加标签").click()
    names.fill("低糖")
    names.press("Enter")
    page.get_by_test_id("tag-group-save").click()
    expect(dialog).to_contain_text("标签「低糖」已在该组中")
    dialog.get_by_role("button", name="取消").click()


def test_a_churn_alert_from_wecom_is_handled_with_a_note(page: Page, live: Live) -> None:
    open_synced_customers(page)

    # WeCom must know where to send callbacks (as the admin does in WeCom's console).
    verify_callbacks(page, live)

    # 周建国 deletes 陈杰 in WeChat: WeCom tells Siyu, which raises a churn alert.
    deleted = httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/delete_staff",
        params={"wait": "true"},
        json={"userid": "chenjie", "external_userid": _customer("周建国")},
        timeout=20,
    )
    assert deleted.status_code == 200, deleted.text
    _wait_for_open_alert(page, "周建国")

    page.get_by_test_id("nav-churn").click()
    table = page.get_by_test_id("churn-table")
    row = table.locator("tbody tr", has_text="周建国")
    expect(row).to_contain_text("客户删除员工", timeout=15_000)
    expect(row).to_contain_text("陈杰")

    row.get_by_role("button", name="标记已处理").click()
    box = page.locator(".churn-handle-box")
    box.locator("textarea").fill("已电话回访，客户换了微信号")
    box.get_by_role("button", name="标记已处理").click()
    expect(table.locator("tbody tr", has_text="周建国")).to_have_count(0)

    page.get_by_test_id("churn-state-handled").click()
    expect(page.get_by_test_id("churn-state-handled")).to_have_class(re.compile("is-active"))
    handled = table.locator("tbody tr", has_text="周建国")
    expect(handled).to_contain_text("已电话回访，客户换了微信号")
    screenshot(page, "churn-alerts")

    # The customer's page shows the deleted friendship and the alert.
    handled.get_by_role("link", name="周建国").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("周建国")
    expect(page.get_by_test_id("customer-timeline")).to_contain_text("客户删除了员工 陈杰")
