"""An operator builds a segment (人群) by clicking: the count follows every change and agrees
with the reference SQL count, a bad value is explained next to its row, and the saved segment
lists its members page by page and exports them."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_console import sign_in

CITY = "上海"
SEGMENT = "上海 · 测试圈选"


def _api(page: Page, path: str, body: Any = None) -> Any:
    """A call through the page's own session (POSTs carry its CSRF token)."""
    if body is None:
        return page.request.get(path).json()
    token = page.request.get("/api/v1/auth/me").json()["csrf_token"]
    response = page.request.post(path, data=body, headers={"X-CSRF-Token": token})
    assert response.ok, response.text()
    return response.json()


def _sql_count(page: Page, rule: dict[str, Any]) -> int:
    count: int = _api(page, "/api/v1/segments/count?engine=sql", {"rule": rule})["count"]
    return count


def _ready(page: Page, timeout: float = 60) -> None:
    """Signed in, once the demo's syncs have brought in the customers, their tags and the
    cities of their stores."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        cities = {o["value"] for o in _api(page, "/api/v1/segment-options")["city"]}
        groups = _api(page, "/api/v1/tags")["groups"]
        if CITY in cities and any(g["tags"] for g in groups):
            return
        time.sleep(0.5)
    raise AssertionError(f"the demo's customers were not in {CITY} after {timeout} s")


def _pick_tag(page: Page, city_rule: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """A tag that narrows the city down, with more members than one page holds if one does."""
    city_count = _sql_count(page, city_rule)
    found: list[tuple[int, dict[str, Any]]] = []
    for group in _api(page, "/api/v1/tags")["groups"]:
        for tag in group["tags"]:
            rule = {"and": [city_rule, {"field": "tags", "op": "any", "value": [tag["id"]]}]}
            count = _sql_count(page, rule)
            if 0 < count < city_count:
                found.append((count, tag))
    assert found, f"no demo tag narrows {CITY} ({city_count} customers)"
    count, tag = max(found, key=lambda pair: (pair[0] > 20, -pair[0]))
    return tag, count


def _popper_option(page: Page, text: str) -> Locator:
    return (
        page.locator(".segment-popper:visible .el-select-dropdown__item")
        .filter(has_text=re.compile(f"^{re.escape(text)}"))
        .first
    )


def _tag_option(page: Page, name: str) -> Locator:
    return (
        page.locator(".tag-picker__popper:visible")
        .get_by_role("option")
        .filter(has=page.locator("span", has_text=re.compile(f"^{re.escape(name)}$")))
    )


def _choose(page: Page, select: Locator, text: str) -> None:
    select.click()
    _popper_option(page, text).click()


def _expect_count(page: Page, count: int) -> None:
    expect(page.get_by_test_id("segment-counting")).to_have_count(0)
    expect(page.get_by_test_id("segment-count")).to_have_attribute("data-count", str(count))


def test_an_operator_builds_saves_and_exports_a_segment(page: Page, tmp_path: Path) -> None:
    _ready(page)
    city_rule = {"field": "city", "op": "eq", "value": CITY}
    tag, both = _pick_tag(page, city_rule)
    city_count = _sql_count(page, city_rule)

    # 人群 in the navigation, with the demo's saved segments and the index's state.
    page.get_by_test_id("nav-segments").click()
    expect(page).to_have_url(re.compile(r"/segments$"))
    expect(page.get_by_test_id("segments-table")).to_contain_text("近30天新好友")
    expect(page.get_by_test_id("segments-index")).to_contain_text("已索引")

    page.get_by_test_id("segments-create").click()
    expect(page).to_have_url(re.compile(r"/segments/new$"))
    expect(page.get_by_test_id("segment-count-empty")).to_be_visible()

    # 城市 等于 上海: the count is the city's.
    page.get_by_test_id("segment-add-condition").click()
    rows = page.get_by_test_id("segment-condition")
    _choose(page, rows.nth(0).get_by_test_id("segment-field"), "城市")
    expect(rows.nth(0).get_by_test_id("segment-op")).to_contain_text("等于")
    _choose(page, rows.nth(0).get_by_test_id("segment-value").locator(".el-select"), CITY)
    _expect_count(page, city_count)
    expect(page.get_by_test_id("segment-count")).to_contain_text(f"约 {city_count:,} 人")
    expect(page.get_by_test_id("segment-count-meta")).to_contain_text("毫秒")

    # … 且 标签 包含任一 <tag>: the count narrows, and agrees with the SQL engine.
    page.get_by_test_id("segment-add-condition").last.click()
    expect(rows).to_have_count(2)
    expect(rows.nth(1).get_by_test_id("segment-op")).to_contain_text("包含任一")
    rows.nth(1).get_by_test_id("segment-value").locator(".el-select").click()
    _tag_option(page, tag["name"]).click()
    page.keyboard.press("Escape")
    rule = {"and": [city_rule, {"field": "tags", "op": "any", "value": [tag["id"]]}]}
    assert _sql_count(page, rule) == both
    _expect_count(page, both)

    # NOT on a row: the city's customers without the tag.
    rows.nth(1).get_by_test_id("segment-negate").click()
    _expect_count(page, city_count - both)
    rows.nth(1).get_by_test_id("segment-negate").click()
    _expect_count(page, both)

    # A nested, negated group with a bad value (0 days): the API's reason shows on that row.
    page.get_by_test_id("segment-add-group").first.click()
    group = page.get_by_test_id("segment-group").nth(1)
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text("请选择值")  # unfinished rows are not counted yet
    _expect_count(page, both)
    group.get_by_test_id("segment-group-negate").click()
    _choose(page, rows.nth(2).get_by_test_id("segment-field"), "添加时间")
    days = rows.nth(2).get_by_test_id("segment-days").locator("input")
    days.fill("0")
    days.press("Tab")
    expect(rows.nth(2).get_by_test_id("segment-row-error")).to_contain_text("天数应在 1 到")
    expect(rows.nth(2).get_by_test_id("segment-row-error")).to_contain_text(
        "and[2].not.or[0].value"
    )
    expect(page.get_by_test_id("segment-row-error")).to_have_count(1)
    screenshot(page, "segment-builder-error")
    days.fill("30")
    days.press("Tab")
    expect(page.get_by_test_id("segment-row-error")).to_have_count(0)
    recent = {"field": "added_at", "op": "within_days", "value": 30}
    _expect_count(page, _sql_count(page, {"and": [*rule["and"], {"not": {"or": [recent]}}]}))
    group.get_by_test_id("segment-group-remove").click()
    expect(rows).to_have_count(2)
    _expect_count(page, both)

    # The preview lists members linking to their pages.
    page.get_by_test_id("segment-preview").click()
    panel = page.get_by_test_id("segment-preview-panel")
    expect(panel).to_contain_text(f"共 {both:,} 人")
    expect(panel.get_by_test_id("segment-member")).to_have_count(min(both, 20))
    expect(panel.get_by_test_id("segment-member").first).to_have_attribute(
        "href", re.compile(r"/customers/\d+$")
    )
    screenshot(page, "segment-builder")

    # Saved: the segment's page reads the rule in words and counts it.
    page.get_by_test_id("segment-name").fill(SEGMENT)
    page.get_by_test_id("segment-description").fill("浏览器测试")
    page.get_by_test_id("segment-save").click()
    expect(page).to_have_url(re.compile(r"/segments/\d+$"))
    segment_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("segment-detail-name")).to_have_text(SEGMENT)
    expect(page.get_by_test_id("segment-rule-words")).to_have_text(
        f"城市 等于 {CITY} 且 标签 包含任一 {tag['name']}"
    )
    expect(page.get_by_test_id("segment-detail-count")).to_have_attribute("data-count", str(both))

    # Members page by page (the e2e demo has a handful of customers: one page unless it grows).
    members = page.get_by_test_id("segment-members").get_by_test_id("segment-member")
    expect(members).to_have_count(min(both, 20))
    if both > 20:
        first = members.first.inner_text()
        page.get_by_test_id("segment-members-pager").locator(".btn-next").click()
        expect(members).to_have_count(min(both - 20, 20))
        expect(members.first).not_to_have_text(first)

    # The export holds every member.
    with page.expect_download() as info:
        page.get_by_test_id("segment-export").click()
    path = tmp_path / "segment.xlsx"
    info.value.save_as(path)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    assert sheet is not None
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == both

    # Back in the list with its count.
    page.get_by_test_id("nav-segments").click()
    expect(page.get_by_test_id(f"segment-row-{segment_id}")).to_have_text(SEGMENT)
    expect(page.get_by_test_id(f"segment-count-{segment_id}")).to_have_text(f"{both:,}")

    # In English, the same segment reads in English.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-segments")).to_contain_text("Segments")
    expect(page.get_by_test_id("nav-audiences")).to_contain_text("Audiences")
    page.get_by_test_id(f"segment-row-{segment_id}").click()
    expect(page.get_by_test_id("segment-rule-words")).to_have_text(
        f"City is {CITY} and Tags has any of {tag['name']}"
    )
    expect(page.get_by_test_id("segment-export")).to_contain_text("Export .xlsx")
    page.get_by_test_id("segment-detail-edit").click()
    expect(page.get_by_test_id("segment-condition")).to_have_count(2)
    _expect_count(page, both)
    expect(page.get_by_test_id("segment-count")).to_contain_text(f"{both:,} customers")
    screenshot(page, "segment-edit-en")

    # Back to Chinese for whoever signs in next.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-segments")).to_contain_text("人群")
