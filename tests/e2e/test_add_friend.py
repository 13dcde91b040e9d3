"""The phone-list flow in the console: a CSV with one bad row becomes add-friend tasks for two
staff accounts; a staff member marks a request sent from today's panel; in WeCom (the sandbox)
the customer accepts a request whose number was kept as the remark mobile, WeCom calls Siyu back,
the worker reads the customer, and the task shows as done."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Live, screenshot, verify_callbacks
from tests.e2e.test_console import sign_in

IMPORT_TIMEOUT = 30_000
SYNC_TIMEOUT = 30_000
ROWS = [
    ("13712340001", "林小一"),
    ("13712340002", "林小二"),
    ("12345", "号码写错的人"),
    ("13712340003", "林小三"),
]


def _option(page: Page, label: str) -> Locator:
    return (
        page.locator(".el-select-dropdown:visible")
        .get_by_role("option")
        .filter(has_text=re.compile(f"^{re.escape(label)}"))
    )


def _task_state(page: Page, name: str) -> Locator:
    row = page.get_by_test_id("add-friend-tasks").locator("tbody tr", has_text=name)
    return row.locator("[data-testid^=add-friend-task-state-]")


def _synced(page: Page) -> None:
    """Signed in, with the demo's customers synced from WeCom (the sync starts with the seed)."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-customers").click()
    state = page.get_by_test_id("customers-sync-state")
    expect(state).not_to_have_attribute("data-state", "unknown")
    if state.get_attribute("data-state") != "done":
        page.get_by_test_id("customers-sync").click()
        expect(state).to_have_attribute("data-state", "done", timeout=SYNC_TIMEOUT)


def test_a_phone_list_becomes_tasks_that_complete_when_the_customer_accepts(
    page: Page, live: Live, tmp_path: Path
) -> None:
    upload = tmp_path / "双十二老客.csv"
    upload.write_text("手机号,姓名\n" + "".join(f"{p},{n}\n" for p, n in ROWS), encoding="utf-8")
    _synced(page)
    verify_callbacks(page, live)

    # The lists, with the demo tenant's own list under way.
    page.get_by_test_id("nav-addFriend").click()
    expect(page).to_have_url(re.compile(r"/add-friend$"))
    expect(page.get_by_test_id("add-friend-lists")).to_contain_text("老客回流", timeout=20_000)
    page.get_by_test_id("add-friend-new").click()
    page.get_by_test_id("add-friend-upload").locator("input[type=file]").set_input_files(upload)

    # Columns mapped by their names; the preview marks the bad number.
    expect(page.get_by_test_id("add-friend-preview-summary")).to_contain_text("有 1 行有问题")
    expect(page.get_by_test_id("import-preview")).to_contain_text("不是有效的手机号")
    screenshot(page, "add-friend-preview")
    page.get_by_test_id("add-friend-next").click()

    # Two staff accounts, three a day each.
    page.get_by_test_id("add-friend-staff").click()
    _option(page, "李雯").click()
    _option(page, "张强").click()
    page.keyboard.press("Escape")
    page.get_by_test_id("add-friend-limit").locator("input").fill("3")
    expect(page.get_by_test_id("add-friend-handout")).to_contain_text("示例：您好，我是")
    page.get_by_test_id("add-friend-start").click()

    expect(page).to_have_url(re.compile(r"/add-friend/\d+$"))
    expect(page.get_by_test_id("add-friend-list-state")).to_have_attribute(
        "data-state", "active", timeout=IMPORT_TIMEOUT
    )
    page.get_by_test_id("add-friend-refresh").click()
    expect(page.get_by_test_id("add-friend-stat-added")).to_have_attribute("data-value", "3")
    expect(page.get_by_test_id("add-friend-stat-rejected")).to_have_attribute("data-value", "1")
    expect(page.get_by_test_id("add-friend-tasks").locator("tbody tr")).to_have_count(3)
    expect(page.get_by_test_id("add-friend-by-staff")).to_contain_text("李雯")
    expect(page.get_by_test_id("add-friend-by-staff")).to_contain_text("张强")
    for name in ("林小一", "林小二", "林小三"):
        expect(_task_state(page, name)).to_have_attribute("data-state", "pending")
    list_id = int(page.url.rsplit("/", 1)[1])
    tasks = page.request.get(f"/api/v1/add-friend-tasks?list_id={list_id}").json()["items"]
    owner = {t["name"]: t["userid"] for t in tasks}
    assert set(owner.values()) == {"liwen", "zhangqiang"}

    # The staff panel of 林小一's account: the number in full, marked sent.
    page.get_by_test_id("nav-addFriendToday").click()
    page.get_by_test_id("add-friend-today-account").click()
    _option(page, "李雯" if owner["林小一"] == "liwen" else "张强").click()
    card = page.locator("[data-testid^=add-friend-today-task-]", has_text="林小一")
    expect(card).to_contain_text("13712340001")
    card.get_by_role("button", name="已发送申请").click()
    expect(card).to_have_attribute("data-state", "sent")
    screenshot(page, "add-friend-today")

    # In WeCom: the customer accepts; the number was kept as the remark mobile.
    accepted = httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/add_by_phone",
        params={"wait": "true"},
        json={"userid": owner["林小一"], "customer": {"name": "林小一"}, "phone": "13712340001"},
        timeout=20,
    )
    assert accepted.status_code == 200, accepted.text

    page.go_back()
    expect(page).to_have_url(re.compile(rf"/add-friend/{list_id}$"))
    deadline = time.monotonic() + 20
    state = _task_state(page, "林小一")
    while state.get_attribute("data-state") != "done" and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.get_by_test_id("add-friend-refresh").click()
        page.wait_for_load_state("networkidle")
    expect(state).to_have_attribute("data-state", "done")
    expect(_task_state(page, "林小二")).to_have_attribute("data-state", "pending")
    row = page.get_by_test_id("add-friend-tasks").locator("tbody tr", has_text="林小一")
    expect(row.get_by_role("link", name="林小一")).to_be_visible()  # linked to the customer
    screenshot(page, "add-friend-list")
