"""An operator uploads a picture to the material library (素材库) and sees its card; a file
that is not what it claims is refused with WeCom's rule; archiving hides the card."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

from siyu.materials import samples
from tests.e2e.conftest import screenshot
from tests.e2e.test_console import sign_in

TITLE = "秋冬新品海报 · 浏览器测试"
LINK = "秋冬上新会场 · 浏览器测试"


def _card(page: Page, title: str) -> Locator:
    grid = page.get_by_test_id("materials-grid")
    return grid.locator(f'[data-testid^="material-card-"][data-title="{title}"]')


def test_an_operator_uploads_an_image_and_sees_its_card(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-materials").click()
    expect(page.get_by_test_id("materials-page")).to_be_visible()

    page.get_by_test_id("materials-add").click()
    page.get_by_test_id("material-file").set_input_files(
        {"name": "fake.png", "mimeType": "image/png", "buffer": b"GIF89a not a picture"}
    )
    page.get_by_test_id("material-title").fill("假图片")
    page.get_by_test_id("material-save").click()
    expect(page.get_by_test_id("material-error")).to_contain_text("PNG / JPG")

    page.get_by_test_id("material-file").set_input_files(
        {"name": "poster.png", "mimeType": "image/png", "buffer": samples.png(label="e2e")}
    )
    page.get_by_test_id("material-title").fill(TITLE)
    page.get_by_test_id("material-category").fill("海报")
    page.get_by_test_id("material-save").click()
    card = _card(page, TITLE)
    expect(card).to_be_visible()
    # The preview is the stored picture, served back by Siyu.
    expect(card.locator("img")).to_have_attribute("src", re.compile(r"/file$"))
    screenshot(page, "materials")

    # A link card takes the picture as its cover, chosen with the material picker.
    page.get_by_test_id("materials-add").click()
    page.get_by_test_id("material-kind").get_by_text("链接").click()
    page.get_by_test_id("material-title").fill(LINK)
    page.get_by_test_id("material-url").fill("https://example.com/autumn")
    page.get_by_test_id("material-picker-open").click()
    page.get_by_test_id("material-picker-search").fill("秋冬新品")
    page.get_by_test_id("material-picker-search").press("Enter")
    picker_item = page.locator('[data-testid^="material-picker-item-"]').filter(
        has=page.locator(f'[data-title="{TITLE}"]')
    )
    picker_item.click()
    page.get_by_test_id("material-picker-confirm").click()
    expect(page.get_by_test_id("material-form").locator(f'[data-title="{TITLE}"]')).to_be_visible()
    page.get_by_test_id("material-save").click()
    link = _card(page, LINK)
    expect(link).to_be_visible()
    expect(link.locator("img")).to_have_attribute("src", re.compile(r"/file$"))

    page.get_by_test_id("materials-search").fill("秋冬新品")
    page.get_by_test_id("materials-search").press("Enter")
    expect(_card(page, TITLE)).to_be_visible()
    card_id = _card(page, TITLE).get_attribute("data-testid")
    assert card_id is not None
    page.get_by_test_id(card_id.replace("material-card-", "material-archive-")).click()
    expect(_card(page, TITLE)).to_have_count(0)
