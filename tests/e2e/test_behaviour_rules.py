"""An operator makes a behaviour rule (行为标签) in the console: the rule runs over every customer
by itself, the list follows the run to its end, the customers it tagged carry the tag with a
timeline line naming the rule; switched off and deleted, the tags it gave stay."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_segments import (
    CITY,
    _api,
    _choose,
    _expect_count,
    _ready,
    _sql_count,
    _tag_option,
)

RULE = "上海 · 浏览器测试打标"
RUN_TIMEOUT = 30_000  # ms: the e2e worker picks jobs up within a fraction of a second


def _tag_to_give(page: Page, city_rule: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The tag most customers of the city lack (so the rule has someone to tag)."""
    found: list[tuple[int, str, dict[str, Any]]] = []
    for group in _api(page, "/api/v1/tags")["groups"]:
        for tag in group["tags"]:
            has = {"field": "tags", "op": "any", "value": [tag["id"]]}
            lacking = _sql_count(page, {"and": [city_rule, {"not": has}]})
            found.append((lacking, tag["name"], tag))
    lacking, _, tag = max(found, key=lambda item: (item[0], item[1]))
    assert lacking > 0, f"every customer in {CITY} has every tag"
    return tag, lacking


def test_an_operator_makes_a_behaviour_rule_that_tags_customers_by_itself(page: Page) -> None:
    _ready(page)
    city_rule = {"field": "city", "op": "eq", "value": CITY}
    city_count = _sql_count(page, city_rule)
    tag, lacking = _tag_to_give(page, city_rule)

    # 行为标签 under 人群与标签, with what the rules do and when they run, and the demo's rules.
    page.get_by_test_id("nav-behaviourRules").click()
    expect(page).to_have_url(re.compile(r"/behaviour-rules$"))
    expect(page.get_by_test_id("behaviour-intro")).to_contain_text("手动打的标签不会被摘掉")
    expect(page.get_by_test_id("behaviour-intro")).to_contain_text("约 1 分钟")
    expect(page.get_by_test_id("behaviour-table")).to_contain_text("近30天新好友 → 新客")

    # The editor: the segment rule builder with its live count, the tags, untag, enabled.
    page.get_by_test_id("behaviour-create").click()
    expect(page).to_have_url(re.compile(r"/behaviour-rules/new$"))
    expect(page.get_by_test_id("segment-count-empty")).to_be_visible()
    page.get_by_test_id("behaviour-name").fill(RULE)
    page.get_by_test_id("behaviour-description").fill("浏览器测试")
    page.get_by_test_id("segment-add-condition").click()
    row = page.get_by_test_id("segment-condition").first
    _choose(page, row.get_by_test_id("segment-field"), "城市")
    _choose(page, row.get_by_test_id("segment-value").locator(".el-select"), CITY)
    _expect_count(page, city_count)
    expect(page.get_by_test_id("behaviour-save")).to_be_disabled()  # no tag yet
    page.get_by_test_id("behaviour-tags").locator(".el-select").click()
    _tag_option(page, tag["name"]).click()
    page.keyboard.press("Escape")
    expect(page.locator(".tag-picker__popper:visible")).to_have_count(0)
    expect(page.get_by_test_id("behaviour-untag")).to_have_class(re.compile("is-checked"))
    expect(page.get_by_test_id("behaviour-edit")).to_contain_text(
        "不再满足时摘掉此规则打上的标签；手动打的标签不会被摘掉"
    )
    screenshot(page, "behaviour-rule-editor")

    # Saved: the rule is waiting to run (the API says so in its answer), then runs.
    with page.expect_response(
        lambda r: r.url.endswith("/api/v1/behaviour-rules") and r.request.method == "POST"
    ) as created:
        page.get_by_test_id("behaviour-save").click()
    made = created.value.json()
    assert created.value.status == 201, made
    assert made["running"] is True
    assert made["last_run_at"] is None
    rule_id = made["id"]
    expect(page).to_have_url(re.compile(r"/behaviour-rules$"))
    expect(page.get_by_test_id(f"behaviour-row-{rule_id}")).to_have_attribute("data-name", RULE)
    expect(page.get_by_test_id(f"behaviour-words-{rule_id}")).to_have_text(f"城市 等于 {CITY}")
    expect(page.get_by_test_id(f"behaviour-tags-{rule_id}")).to_have_text(tag["name"])

    # The list refreshes by itself until the run is done: everyone in the city selected, those
    # without the tag tagged.
    run = page.get_by_test_id(f"behaviour-run-{rule_id}")
    expect(run).to_have_attribute("data-running", "no", timeout=RUN_TIMEOUT)
    members = page.get_by_test_id(f"behaviour-members-{rule_id}")
    expect(members).to_have_attribute("data-members", str(city_count))
    expect(members).to_have_attribute("data-tagged", str(lacking))
    expect(run).to_contain_text(f"+{lacking:,}")
    expect(run).to_contain_text("−0")
    assert city_count > 0
    screenshot(page, "behaviour-rules")

    # Its editor opens on the saved rule, counted again.
    page.get_by_test_id(f"behaviour-edit-{rule_id}").click()
    expect(page).to_have_url(re.compile(rf"/behaviour-rules/{rule_id}/edit$"))
    expect(page.get_by_test_id("behaviour-name")).to_have_value(RULE)
    expect(page.get_by_test_id("segment-condition")).to_have_count(1)
    expect(page.get_by_test_id("behaviour-tags")).to_contain_text(tag["name"])
    _expect_count(page, city_count)
    page.get_by_test_id("nav-behaviourRules").click()

    # The customers it tagged, each linking to their page: the tag, and the rule on the timeline.
    page.get_by_test_id(f"behaviour-open-members-{rule_id}").click()
    drawer = page.get_by_test_id("behaviour-members-drawer")
    tagged = drawer.get_by_test_id("segment-member")
    expect(tagged).to_have_count(min(lacking, 20))
    tagged.first.click()
    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    customer_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("customer-tags")).to_contain_text(tag["name"])
    line = page.get_by_test_id("customer-timeline").locator("[data-kind=tagged]", has_text=RULE)
    expect(line).to_have_count(1)
    expect(line).to_contain_text(tag["name"])
    expect(line).to_contain_text(f"行为标签“{RULE}”")
    screenshot(page, "behaviour-rule-timeline")

    # Switched off from the list.
    page.get_by_test_id("nav-behaviourRules").click()
    switch = page.get_by_test_id(f"behaviour-enabled-{rule_id}")
    expect(switch).to_have_class(re.compile("is-checked"))
    switch.click()
    expect(switch).not_to_have_class(re.compile("is-checked"))
    expect(page.get_by_test_id(f"behaviour-run-now-{rule_id}")).to_be_disabled()
    assert _api(page, f"/api/v1/behaviour-rules/{rule_id}")["enabled"] is False

    # Deleted after a confirmation; the tags it gave stay on the customers.
    page.get_by_test_id(f"behaviour-delete-{rule_id}").click()
    confirm = page.locator(".el-message-box")
    expect(confirm).to_contain_text(RULE)
    confirm.get_by_role("button", name="删除").click()
    expect(page.get_by_test_id(f"behaviour-row-{rule_id}")).to_have_count(0)
    customer = _api(page, f"/api/v1/customers/{customer_id}")
    assert tag["id"] in {t["id"] for t in customer["tags"]}

    # The page in English.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-behaviourRules")).to_contain_text("Behaviour rules")
    expect(page.get_by_test_id("behaviour-create")).to_contain_text("New behaviour rule")
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-behaviourRules")).to_contain_text("行为标签")
