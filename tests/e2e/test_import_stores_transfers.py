"""Customers come in from a spreadsheet with the bad rows reported by row and column; stores get
their staff accounts; staff accounts change hands; a customer moves from one staff account to
another with an active transfer (在职继承) and waits for WeCom's 24 hours."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_console import sign_in

SYNC_TIMEOUT = 30_000
IMPORT_TIMEOUT = 30_000
TRANSFER_TIMEOUT = 20_000


def _open_customers(page: Page) -> Locator:
    """The customer list once the demo's sync from WeCom is done (it starts with the seed)."""
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-customers").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    state = page.get_by_test_id("customers-sync-state")
    expect(state).not_to_have_attribute("data-state", "unknown")
    if state.get_attribute("data-state") in ("never", "failed"):
        page.get_by_test_id("customers-sync").click()
    expect(state).to_have_attribute("data-state", "done", timeout=SYNC_TIMEOUT)
    return page.get_by_test_id("customers-table")


def _option(page: Page, name: str) -> Locator:
    """An option of the select whose list is open, by its label."""
    return (
        page.locator(".el-select-dropdown:visible")
        .get_by_role("option")
        .filter(has_text=re.compile(f"^{re.escape(name)}"))
    )


def _preview_row(page: Page, number: int) -> Locator:
    return page.get_by_test_id("import-preview").locator(
        "tbody tr", has=page.get_by_test_id(f"import-preview-row-{number}")
    )


def test_an_import_with_bad_rows_reports_them_and_creates_the_good_ones(
    page: Page, tmp_path: Path
) -> None:
    sheet = openpyxl.Workbook()
    rows = sheet.active
    assert rows is not None
    rows.append(["手机号", "姓名", "性别", "生日"])
    rows.append(["13912340001", "林小满", "女", "1992-04-18"])
    rows.append(["13912340002", "高文博", "男", "1988/11/02"])
    rows.append(["12345", "冯一鸣", "男", "1990-01-01"])  # not a phone number
    rows.append(["13912340004", "许静", "女", "1990-13-01"])  # no 13th month
    upload = tmp_path / "门店会员.xlsx"
    sheet.save(upload)

    table = _open_customers(page)
    page.get_by_test_id("customers-import").click()
    expect(page).to_have_url(re.compile(r"/customers/import$"))
    file_input = page.get_by_test_id("import-upload").locator("input[type=file]")

    # A file that is not a spreadsheet is refused with the server's explanation.
    not_a_sheet = tmp_path / "会员.xlsx"
    not_a_sheet.write_bytes(b"name,phone\n")
    file_input.set_input_files(not_a_sheet)
    expect(page.get_by_test_id("import-error")).to_contain_text("无法识别文件「会员.xlsx」的格式")

    file_input.set_input_files(upload)
    expect(page.get_by_test_id("import-error")).to_be_hidden()

    # Each column with the field suggested by its name.
    mapping = page.get_by_test_id("import-mapping")
    expect(page.get_by_test_id("import-file")).to_contain_text("门店会员.xlsx")
    phone = mapping.locator("[data-column=手机号]")
    expect(phone).to_have_attribute("data-field", "phone")
    expect(phone).to_contain_text("手机号")
    expect(mapping.locator("[data-column=姓名]")).to_have_attribute("data-field", "name")
    expect(mapping.locator("[data-column=性别]")).to_have_attribute("data-field", "gender")
    expect(mapping.locator("[data-column=生日]")).to_have_attribute("data-field", "birthday")

    # The preview marks the two bad rows, each at the cell at fault.
    expect(page.get_by_test_id("import-preview-summary")).to_contain_text("有 2 行有问题")
    expect(_preview_row(page, 2)).not_to_contain_text("不是有效的手机号")
    bad_phone = _preview_row(page, 4)
    expect(bad_phone.locator(".import-preview__cell--bad[data-column=手机号]")).to_contain_text(
        "不是有效的手机号"
    )
    bad_date = _preview_row(page, 5)
    expect(bad_date.locator(".import-preview__cell--bad[data-column=生日]")).to_contain_text(
        "日期格式应为 2024-05-01"
    )
    screenshot(page, "customer-import-preview")

    # Imported: two customers created, two rows rejected.
    page.get_by_test_id("import-start").click()
    run = page.get_by_test_id("import-run")
    expect(run).to_have_attribute("data-state", "done", timeout=IMPORT_TIMEOUT)
    expect(page.get_by_test_id("import-stat-created")).to_have_attribute("data-value", "2")
    expect(page.get_by_test_id("import-stat-rejected")).to_have_attribute("data-value", "2")
    expect(page.get_by_test_id("import-done")).to_contain_text("新增 2 位客户")
    expect(page.get_by_test_id("import-history").locator("tbody tr").first).to_contain_text(
        "门店会员.xlsx"
    )
    screenshot(page, "customer-import-done")

    # The rejected rows, by row and column, in a spreadsheet.
    with page.expect_download() as download_info:
        page.get_by_test_id("import-download-rejects").click()
    download = download_info.value
    report = tmp_path / download.suggested_filename
    download.save_as(report)
    assert report.suffix == ".xlsx"
    workbook = openpyxl.load_workbook(report, read_only=True)
    assert workbook.active is not None
    lines = list(workbook.active.iter_rows(values_only=True))
    assert lines[0] == ("行号", "列", "值", "原因")
    assert [(line[0], line[1], line[2]) for line in lines[1:]] == [
        (4, "手机号", "12345"),
        (5, "生日", "1990-13-01"),
    ]

    # An imported customer is found by phone in the list, and the timeline says where from.
    page.get_by_test_id("import-view-customers").click()
    expect(page).to_have_url(re.compile(r"/customers$"))
    search = page.get_by_test_id("customers-search")
    search.fill("139 1234 0001")
    search.press("Enter")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("林小满")
    expect(table).to_contain_text("13912340001")
    table.locator("tbody tr", has_text="林小满").click()
    expect(page.get_by_test_id("customer-name")).to_have_text("林小满")
    imported = page.get_by_test_id("customer-timeline").locator("[data-kind=imported]")
    expect(imported).to_contain_text("文件第 2 行")


def test_a_new_store_gets_a_staff_account_and_is_listed(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.get_by_test_id("nav-stores").click()
    expect(page).to_have_url(re.compile(r"/stores$"))

    # A region, then a store in it.
    page.get_by_test_id("stores-region-create").click()
    page.get_by_test_id("region-name").fill("华南")
    page.get_by_test_id("region-save").click()
    expect(page.get_by_test_id("region-dialog")).to_be_hidden()
    region = page.locator("[data-testid^=stores-region-][data-name=华南]")
    expect(region).to_be_visible()

    page.get_by_test_id("stores-create").click()
    dialog = page.get_by_test_id("store-dialog")
    dialog.get_by_test_id("store-name").fill("广州天河店")
    dialog.get_by_test_id("store-code").fill("GZ-TH-001")
    dialog.get_by_test_id("store-region").click()
    _option(page, "华南").click()
    dialog.get_by_test_id("store-city").fill("广州")
    dialog.get_by_test_id("store-address").fill("广州市天河区体育西路 1 号")
    dialog.get_by_test_id("store-phone").fill("020-5555-0103")
    page.get_by_test_id("store-save").click()
    expect(dialog).to_be_hidden()

    # The new store opens: give it 李雯's account.
    drawer = page.get_by_test_id("store-drawer")
    expect(drawer).to_contain_text("广州天河店")
    expect(drawer.get_by_test_id("store-staff")).to_contain_text("还没有分配员工账号")
    drawer.get_by_test_id("store-staff-edit").click()
    drawer.get_by_test_id("store-staff-select").click()
    page.get_by_test_id("store-staff-option-liwen").click()
    # Close the list by clicking beside it (Escape would close the drawer once the list is shut).
    drawer.get_by_test_id("store-staff").locator("h4").click()
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(0)
    expect(drawer.get_by_test_id("store-staff-select")).to_contain_text("李雯")
    drawer.get_by_test_id("store-staff-save").click()
    expect(drawer.get_by_test_id("store-staff-liwen")).to_contain_text("李雯")
    expect(drawer.get_by_test_id("store-staff")).to_contain_text("员工账号（1）")
    screenshot(page, "store-detail")
    drawer.get_by_role("button", name=re.compile("关闭|Close")).click()
    expect(drawer).to_be_hidden()

    # Listed with its region, city and one staff account; the region filter finds it alone.
    table = page.get_by_test_id("stores-table")
    row = table.locator("tbody tr", has_text="广州天河店")
    expect(row).to_contain_text("GZ-TH-001")
    expect(row).to_contain_text("华南")
    expect(row).to_contain_text("广州")
    expect(row.locator("[data-testid^=store-staff-count-]")).to_have_text("1")
    region.click()
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("广州天河店")
    expect(region).to_contain_text("1")
    screenshot(page, "stores")


def test_a_staff_account_is_handed_to_a_new_operator(page: Page) -> None:
    sign_in(page)
    expect(page.get_by_test_id("dashboard-card-members")).to_be_visible()
    page.goto("/settings/staff")
    expect(page.get_by_test_id("staff-table")).to_contain_text("陈杰")
    page.get_by_test_id("staff-rotation-chenjie").click()
    drawer = page.get_by_test_id("rotation-drawer")
    expect(drawer).to_contain_text("轮换记录：陈杰")

    drawer.get_by_test_id("rotation-operator").fill("赵雪（兼职）")
    drawer.get_by_test_id("rotation-submit").click()
    history = drawer.get_by_test_id("rotation-table")
    current = history.locator("tbody tr", has_text="赵雪（兼职）")
    expect(current).to_contain_text("当前")
    expect(current).to_contain_text("至今")
    screenshot(page, "staff-rotation")


def test_an_active_transfer_is_listed_with_the_customer_waiting(page: Page) -> None:
    _open_customers(page)
    page.get_by_test_id("nav-transfers").click()
    expect(page).to_have_url(re.compile(r"/transfers$"))

    # 郑浩, a customer of 李雯, goes to 张强 while 李雯 is still on the staff.
    page.get_by_test_id("transfers-create").click()
    dialog = page.get_by_test_id("transfer-dialog")
    expect(dialog.get_by_test_id("transfer-kind-active")).to_have_class(re.compile("is-active"))
    dialog.get_by_test_id("transfer-handover").click()
    page.get_by_test_id("transfer-handover-liwen").click()
    dialog.get_by_test_id("transfer-takeover").click()
    page.get_by_test_id("transfer-takeover-zhangqiang").click()
    dialog.get_by_test_id("transfer-scope-pick").click()
    dialog.get_by_test_id("transfer-customers").click()
    page.keyboard.type("郑浩")
    _option(page, "郑浩").click()
    dialog.get_by_text("发起客户继承", exact=True).click()
    expect(page.locator(".el-select-dropdown:visible")).to_have_count(0)
    expect(dialog.get_by_test_id("transfer-customers")).to_contain_text("郑浩")
    dialog.get_by_test_id("transfer-message").fill("您好，之后由张强继续为您服务")
    dialog.get_by_test_id("transfer-submit").click()
    expect(dialog).to_be_hidden()

    # The transfer opens; WeCom takes the request and the customer has 24 hours to refuse.
    drawer = page.get_by_test_id("transfer-drawer")
    item = drawer.get_by_test_id("transfer-items").locator("tbody tr", has_text="郑浩")
    status = item.get_by_test_id("transfer-item-status")
    expect(status).to_have_attribute("data-status", "waiting", timeout=TRANSFER_TIMEOUT)
    expect(status).to_have_text("等待接替（客户 24 小时内可拒绝）")
    expect(drawer.get_by_test_id("transfer-state")).to_have_text("等待接替")
    expect(drawer).to_contain_text("您好，之后由张强继续为您服务")
    screenshot(page, "transfer-detail")
    drawer.get_by_role("button", name=re.compile("关闭|Close")).click()
    expect(drawer).to_be_hidden()

    row = page.get_by_test_id("transfers-table").locator("tbody tr").first
    expect(row).to_contain_text("在职继承")
    expect(row).to_contain_text("李雯")
    expect(row).to_contain_text("张强")
    expect(row.get_by_test_id("transfer-count-waiting")).to_have_text("等待 1")
    expect(row).to_contain_text("等待接替")
    screenshot(page, "transfers")
