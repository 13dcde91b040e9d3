from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from siyu import demo
from tests.e2e.conftest import DEMO_PASSWORD, screenshot


def sign_in(page: Page, username: str = demo.DEMO_USERNAME, password: str = DEMO_PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def test_a_wrong_password_is_explained_on_the_login_page(page: Page) -> None:
    sign_in(page, password="not-the-password")
    expect(page.get_by_test_id("login-error")).to_contain_text("用户名或密码错误")


def test_the_demo_owner_signs_in_sees_real_counts_and_switches_language(page: Page) -> None:
    sign_in(page)

    # The dashboard in Chinese, with the demo tenant's real counts.
    members = page.get_by_test_id("dashboard-card-members")
    expect(members).to_contain_text("成员账号")
    expect(members).to_contain_text(str(len(demo.DEMO_TEAM) - 1))
    expect(page.get_by_test_id("dashboard-card-api_tokens")).to_contain_text("1")
    expect(page.get_by_test_id("tenant-name")).to_contain_text(demo.DEMO_TENANT_NAME)
    expect(page.get_by_test_id("nav-customers")).to_contain_text("客户")
    expect(page.get_by_test_id("dashboard-chart").locator("canvas")).to_have_count(1)
    screenshot(page, "dashboard-zh-CN")

    # English, remembered for this member across a reload.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-customers")).to_contain_text("Customers")
    expect(page.get_by_test_id("dashboard-card-members")).to_contain_text("Members")
    page.reload()
    expect(page.get_by_test_id("nav-customers")).to_contain_text("Customers")
    screenshot(page, "dashboard-en")

    # The audit log lists what the demo seed did, in the member's language.
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("nav-audit").click()
    table = page.get_by_test_id("audit-table")
    expect(table).to_contain_text("user.create")
    expect(table).to_contain_text("api_token.create")

    # Domains still to come show one honest placeholder, not fake data.
    page.get_by_test_id("nav-journeys").click()
    expect(page.get_by_test_id("coming-soon")).to_be_visible()

    # Back to Chinese for whoever signs in next.
    page.get_by_test_id("lang-switch").click()
    expect(page.get_by_test_id("nav-customers")).to_contain_text("客户")


def test_an_owner_adds_a_member_from_the_console(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.goto("/settings/users")
    page.get_by_test_id("users-create").click()
    page.get_by_test_id("user-username").fill("e2e-operator")
    page.get_by_test_id("user-display-name").fill("周敏（运营）")
    page.get_by_test_id("user-password").fill("a-strong-password")
    page.get_by_test_id("user-save").click()
    expect(page.get_by_test_id("users-table")).to_contain_text("周敏（运营）")
    page.goto("/settings/audit")
    newest = page.get_by_test_id("audit-table").locator("tbody tr").first
    expect(newest).to_contain_text("user.create")


def test_the_api_docs_render_from_local_assets(page: Page, live_server: str) -> None:
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .title")).to_contain_text("Siyu API")
    expect(page.locator(".swagger-ui")).to_contain_text("/api/v1/auth/login")
    assert requested
    assert [url for url in requested if not url.startswith(live_server)] == []
