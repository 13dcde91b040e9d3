"""An operator invites a saved segment into the groups of the demo's group code: the compose
dialog sends it now, the worker makes the broadcast's WeCom tasks (the code's QR attached), and
the invitation is listed with its broadcast and its numbers; its results page shows them."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live, screenshot
from tests.e2e.test_broadcasts import quiet_hours_off
from tests.e2e.test_segments import _api, _ready

NAME = "会员福利群 · 拉群邀请"


def _live_code(page: Page, timeout: float = 60) -> dict[str, Any]:
    """The demo's group code, once the group sync has let the demo job make it in WeCom."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        codes = _api(page, "/api/v1/group-codes")["items"]
        live = [c for c in codes if c["status"] == "active"]
        if live:
            found: dict[str, Any] = live[0]
            return found
        time.sleep(0.5)
    raise AssertionError("the demo's group code was not made")


def test_an_invitation_to_a_segment_is_listed_with_its_broadcast_and_counts(
    page: Page, live: Live
) -> None:
    _ready(page)
    quiet_hours_off(page)
    code = _live_code(page)
    rule = {"field": "follow", "op": "eq", "value": "friend"}
    segment = _api(page, "/api/v1/segments", {"name": "拉群测试 · 全部好友", "rule": rule})
    assert segment["count"] > 0

    page.get_by_test_id("nav-invitations").click()
    page.get_by_test_id("invitations-create").click()
    dialog = page.get_by_test_id("invitation-compose")
    page.get_by_test_id("invitation-name").fill(NAME)
    page.get_by_test_id("invitation-segment").click()
    page.get_by_role("option", name=segment["name"]).click()
    page.get_by_test_id("invitation-code").click()
    page.get_by_role("option", name=code["name"]).click()
    page.get_by_test_id("invitation-text").fill("扫码加入会员福利群，每天 8:30 早餐券")
    screenshot(page, "invitation-compose")
    page.get_by_test_id("invitation-submit").click()
    expect(dialog).to_be_hidden()

    # The results page of the new invitation.
    expect(page.get_by_test_id("invitation-title")).to_have_text(NAME)
    invitation_id = int(page.url.rstrip("/").split("/")[-1])
    deadline = time.monotonic() + 60
    found: dict[str, Any] = {}
    while time.monotonic() < deadline:
        found = _api(page, f"/api/v1/invitations/{invitation_id}")
        if found["broadcast_state"] == "sent":
            break
        time.sleep(1)
    assert found["broadcast_state"] == "sent", found
    invited = found["numbers"]["invited"]
    assert invited == segment["count"]
    broadcast = _api(page, f"/api/v1/broadcasts/{found['broadcast_id']}")
    assert broadcast["source"] == f"invitation:{invitation_id}"
    assert len(broadcast["material_ids"]) == 1
    page.reload()
    expect(page.get_by_test_id("invitation-number-invited")).to_contain_text(f"{invited:,}")
    expect(page.get_by_test_id("invitation-chart")).to_be_visible()
    expect(page.get_by_test_id("invitation-broadcast-link")).to_be_visible()
    screenshot(page, "invitation-results")

    page.get_by_test_id("nav-invitations").click()
    table = page.get_by_test_id("invitations-table")
    expect(table.locator(f"[data-name='{NAME}']")).to_be_visible()
    expect(page.get_by_test_id(f"invitation-invited-{invitation_id}")).to_have_text(f"{invited:,}")
    expect(page.get_by_test_id(f"invitation-joined-{invitation_id}")).to_have_text("0")
    expect(page.get_by_test_id(f"invitation-broadcast-{invitation_id}")).to_have_attribute(
        "data-state", "sent"
    )
    expect(table).to_contain_text(code["name"])
