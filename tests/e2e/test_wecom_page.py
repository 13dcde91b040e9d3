"""An admin connects WeCom from the console and sees, without guessing, that it works."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from siyu.sandbox.demo import DEMO_CORP
from tests.e2e.conftest import Live, screenshot
from tests.e2e.test_console import sign_in


def test_the_demo_admin_checks_the_connection_and_sees_wecom_verify_the_callback(
    page: Page, live: Live
) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-settings").click()
    page.get_by_test_id("nav-wecom").click()
    expect(page.get_by_test_id("wecom-corp-id")).to_have_value(DEMO_CORP.corp_id)

    # The check calls the sandbox as it would call WeCom, and explains each step.
    page.get_by_test_id("wecom-check").click()
    result = page.get_by_test_id("wecom-check-result")
    expect(result).to_contain_text("客户联系 Secret 有效")
    expect(result).to_contain_text(f"{len(DEMO_CORP.staff)} 位成员已开通客户联系")
    expect(result).not_to_contain_text("✗")

    # The admin pastes the URL into WeCom; WeCom verifies it, then the first event arrives.
    callback_url = page.get_by_test_id("wecom-callback-url").input_value()
    assert callback_url.startswith(live.url + "/wecom/callback/")
    verified = httpx.post(
        f"{live.sandbox_url}/sandbox/corps/{DEMO_CORP.corp_id}/callback",
        json={"url": callback_url},
        timeout=20,
    ).json()
    assert verified["verified"] is True, verified
    token = httpx.get(
        f"{live.sandbox_url}/cgi-bin/gettoken",
        params={"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret},
    ).json()["access_token"]
    way = httpx.post(
        f"{live.sandbox_url}/cgi-bin/externalcontact/add_contact_way",
        params={"access_token": token},
        json={"type": 1, "scene": 2, "user": [DEMO_CORP.staff[0].userid], "state": "e2e"},
    ).json()
    httpx.post(
        f"{live.sandbox_url}/sandbox/simulate/scan",
        params={"wait": "true"},
        json={"config_id": way["config_id"], "customer": {"name": "林晓"}},
        timeout=20,
    ).raise_for_status()

    page.get_by_test_id("wecom-refresh").click()
    status = page.get_by_test_id("wecom-callback-status")
    expect(page.get_by_test_id("wecom-callback-verified")).to_contain_text("✓")
    expect(page.get_by_test_id("wecom-callback-first-event")).to_contain_text("✓")
    expect(page.get_by_test_id("wecom-callback-events")).to_contain_text("1")
    screenshot(page, "wecom-connection")
    assert status.is_visible()
