"""A keyword rule made in the console tags the customer who says the keyword in a chat: the
sandbox's customer writes, the archive is pulled, and the customer's page shows the tag and the
timeline entry naming the rule."""

from __future__ import annotations

import re
import time

import httpx
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Live, screenshot
from tests.e2e.test_console import sign_in

RULE = "询价客户"
TAG = "潜在"
CUSTOMER = "郑浩"  # a friend of liwen in the sandbox's demo corp
EXTERNAL_USERID = "wmSiyuDemoCust0006AAAAAAAAAAAA"


def _ready(page: Page, timeout: float = 30) -> None:
    """Signed in, once the demo's syncs have brought in the customers and the tag library."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        groups = page.request.get("/api/v1/tags").json()["groups"]
        customers = page.request.get(f"/api/v1/customers?q={CUSTOMER}").json()["items"]
        if TAG in {t["name"] for g in groups for t in g["tags"]} and customers:
            return
        time.sleep(0.3)
    raise AssertionError(f"the demo's tags and customers were not synced after {timeout} s")


def _tag_option(page: Page, name: str) -> Locator:
    return (
        page.locator(".tag-picker__popper:visible")
        .get_by_role("option")
        .filter(has=page.locator("span", has_text=re.compile(f"^{re.escape(name)}$")))
    )


def test_a_rule_made_in_the_console_tags_the_customer_who_says_its_keyword(
    page: Page, live: Live
) -> None:
    _ready(page)
    expect(page.get_by_test_id("nav-audiences")).to_contain_text("人群与标签")
    page.get_by_test_id("nav-keywordRules").click()
    expect(page).to_have_url(re.compile(r"/keyword-rules$"))
    expect(page.get_by_test_id("chat-archive-source")).to_have_text("沙箱（演示）")

    # The rule: keywords one a line and after a full-width comma, the tag, the customer's side.
    page.get_by_test_id("keyword-rules-create").click()
    dialog = page.get_by_test_id("keyword-rule-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("keyword-rule-save").click()
    expect(dialog.get_by_test_id("keyword-rule-error")).to_contain_text("请填写规则名称")
    dialog.get_by_test_id("keyword-rule-name").fill(RULE)
    dialog.get_by_test_id("keyword-rule-keywords").fill("多少钱\n价格，优惠")
    dialog.get_by_test_id("keyword-rule-tags").locator(".el-select").click()
    _tag_option(page, TAG).click()
    dialog.get_by_text("新建关键词规则").click()  # closes the tag list
    expect(page.locator(".tag-picker__popper:visible")).to_have_count(0)
    expect(dialog.get_by_test_id("keyword-rule-tags")).to_contain_text(TAG)
    screenshot(page, "keyword-rule-dialog")
    dialog.get_by_test_id("keyword-rule-save").click()
    expect(dialog).to_be_hidden()

    row = page.get_by_test_id("keyword-rules-table").locator("tbody tr", has_text=RULE)
    expect(row).to_contain_text("多少钱")
    expect(row).to_contain_text("优惠")
    expect(row).to_contain_text(TAG)
    expect(row).to_contain_text("0 次 · 0 人")

    # The customer asks the price in WeCom; the chat archive is pulled from the console.
    said = httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/chat",
        json={
            "userid": "liwen",
            "external_userid": EXTERNAL_USERID,
            "text": "请问团购套餐多少钱？🙂",
            "sender": "customer",
        },
        timeout=20,
    )
    assert said.status_code == 200, said.text
    page.get_by_test_id("chat-archive-pull").click()
    expect(row).to_contain_text("1 次 · 1 人", timeout=30_000)
    expect(page.get_by_test_id("chat-archive-read")).not_to_have_text("0")
    screenshot(page, "keyword-rules")

    # The hits: who, which keyword, the message.
    row.get_by_role("button", name=re.compile("1 次")).click()
    hits = page.get_by_test_id("keyword-hits-table")
    expect(hits).to_contain_text(CUSTOMER)
    expect(hits).to_contain_text("多少钱")
    expect(hits).to_contain_text("请问团购套餐多少钱？🙂")
    hits.get_by_role("link", name=CUSTOMER).click()

    # The customer's page: the tag, and the timeline entry naming the rule.
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.get_by_test_id("customer-name")).to_have_text(CUSTOMER)
    expect(page.get_by_test_id("customer-tags")).to_contain_text(TAG)
    tagged = page.get_by_test_id("customer-timeline").locator("[data-kind=tagged]").first
    expect(tagged).to_contain_text(TAG)
    expect(tagged).to_contain_text(f"规则：{RULE}（关键词「多少钱」）")
    expect(tagged).to_contain_text("关键词规则")
    screenshot(page, "keyword-rule-customer")
