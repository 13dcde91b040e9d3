"""The rejected-rows report: what was left out and why, in the user's language, bounded."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from siyu.errors import InvalidInput
from siyu.sheets import RejectReport, SheetLimits, open_sheet, write_xlsx


def report_rows(report: RejectReport, path: Path) -> list[tuple[object, ...]]:
    report.write_xlsx(path)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_report_lists_problems_in_chinese(tmp_path: Path) -> None:
    report = RejectReport("zh-CN")
    report.add(3, "手机号", "1380000", "手机号应为 11 位")
    report.add(3, "姓名", "", InvalidInput(reason="姓名不能为空"))
    report.add(7, "备注", "=cmd|' /C calc'!A0", "含有非法字符")
    assert (len(report), report.rows, report.omitted) == (3, 2, 0)
    assert report_rows(report, tmp_path / "r.xlsx") == [
        ("行号", "列", "值", "原因"),
        (3, "手机号", "1380000", "手机号应为 11 位"),
        (3, "姓名", None, "输入有误：姓名不能为空"),
        (7, "备注", "=cmd|' /C calc'!A0", "含有非法字符"),  # kept as text, see writer tests
    ]
    assert openpyxl.load_workbook(tmp_path / "r.xlsx").worksheets[0].title == "未导入的行"


def test_the_report_speaks_english_when_asked(tmp_path: Path) -> None:
    report = RejectReport("en")
    report.add(2, "phone", "x", InvalidInput(reason="not a phone number"))
    assert report_rows(report, tmp_path / "r.xlsx") == [
        ("Row", "Column", "Value", "Reason"),
        (2, "phone", "x", "Invalid input: not a phone number"),
    ]


def test_the_report_keeps_the_first_problems_and_counts_the_rest(tmp_path: Path) -> None:
    report = RejectReport("zh-CN", max_stored=3, max_value_chars=5)
    for row in range(2, 12):
        report.add(row, "手机号", "1234567890", "无效")
    assert (len(report), report.rows, report.omitted) == (10, 10, 7)
    lines = report_rows(report, tmp_path / "r.xlsx")
    assert lines[1:4] == [(row, "手机号", "1234…", "无效") for row in (2, 3, 4)]
    assert lines[4] == (
        None,
        None,
        None,
        "另有 7 个问题未列出（只列出前 3 个）：请修正以上问题后重新导入",
    )
    assert len(lines) == 5


def test_an_empty_report_is_falsy(tmp_path: Path) -> None:
    report = RejectReport()
    assert not report
    assert report_rows(report, tmp_path / "r.xlsx") == [("行号", "列", "值", "原因")]


def test_the_reader_reports_into_it(tmp_path: Path) -> None:
    path = tmp_path / "in.xlsx"
    write_xlsx(path, ["姓名", "备注"], [["张三", "好"], ["李四", "长" * 9], ["王五", "好"]])
    report = RejectReport("zh-CN")
    limits = SheetLimits(max_cell_chars=8)
    with open_sheet(path, "in.xlsx", limits=limits, on_problem=report.add) as reader:
        assert [number for number, _ in reader] == [2, 4]
    assert list(report) == [(3, "备注", "长" * 9, "单元格内容超过 8 个字符")]
