"""Staff come from WeCom: the demo's accounts are mirrored from the sandbox and listed by
department; a manual sync runs in the background and the page follows it."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from siyu.sandbox.demo import DEMO_CORP
from tests.e2e.conftest import screenshot
from tests.e2e.test_console import sign_in


def test_staff_mirrored_from_wecom_are_listed_by_department(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.goto("/settings/staff")
    table = page.get_by_test_id("staff-table")
    for staff in DEMO_CORP.staff:
        expect(table).to_contain_text(staff.name)
    expect(page.get_by_test_id("staff-departments")).to_contain_text("上海徐汇店")

    page.get_by_test_id("staff-sync").click()
    state = page.get_by_test_id("staff-sync-state")
    expect(state).to_have_attribute("data-state", "done", timeout=15_000)
    expect(state).to_contain_text(f"在职 {len(DEMO_CORP.staff)} 人")

    store = next(d for d in DEMO_CORP.departments if d.name == "上海徐汇店")
    page.get_by_test_id(f"staff-dept-{store.id}").click()
    for staff in DEMO_CORP.staff:
        if store.id in staff.departments:
            expect(table).to_contain_text(staff.name)
        else:
            expect(table).not_to_contain_text(staff.name)
    screenshot(page, "staff")
