"""An operator sets up a group playbook (群日历) in the console: a breakfast post every day at
08:30 and a new-items post on weekdays at 15:00, with a holiday skipped; the calendar shows when
each goes next, and its sends list the group broadcasts waiting for their time."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_segments import _api, _ready

NAME = "门店群 · 新品节奏"


def test_a_group_playbook_is_made_and_waits_for_its_times(page: Page) -> None:
    _ready(page)
    page.get_by_test_id("nav-playbooks").click()
    page.get_by_test_id("playbooks-create").click()
    editor = page.get_by_test_id("playbook-editor")
    page.get_by_test_id("playbook-name").fill(NAME)
    first = page.get_by_test_id("playbook-post-0")
    first.locator("textarea").fill("早安！今日早餐券已发放，到店出示即可使用")
    page.get_by_test_id("playbook-add-post").click()
    second = page.get_by_test_id("playbook-post-1")
    second.locator("textarea").fill("下午三点新品上架，群内专享 9 折")
    for day in ("周一", "周二", "周三", "周四", "周五"):
        second.get_by_text(day, exact=True).click()
    screenshot(page, "playbook-editor")
    page.get_by_test_id("playbook-save").click()
    expect(editor).to_be_hidden()

    card = page.locator(f"[data-name='{NAME}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text("08:30")
    expect(card).to_contain_text("15:00")
    books = _api(page, "/api/v1/playbooks")
    book = next(b for b in books if b["name"] == NAME)
    assert len(book["next_sends"]) == 2
    assert book["groups"] > 0
    tomorrow = dt.datetime.fromisoformat(book["next_sends"][0]["at"])
    assert tomorrow > dt.datetime.now(dt.UTC)
    screenshot(page, "playbooks")

    page.get_by_test_id(f"playbook-sends-{book['id']}").click()
    drawer = page.get_by_test_id("playbook-sends")
    expect(drawer).to_contain_text("待发送")
    expect(drawer.locator("tbody tr")).to_have_count(2)
