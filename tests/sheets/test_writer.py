"""Writing exports: typed cells, text kept as text, nothing that runs as a formula in Excel."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.worksheet.worksheet import Worksheet

from siyu.sheets import looks_like_formula, open_sheet, write_csv, write_xlsx
from siyu.sheets.cells import neutralise_for_csv

HOSTILE = [
    '=HYPERLINK("http://evil.example","点我")',
    "+1+2",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1,2)",
    "\t=1+1",
    "\r=1+1",
]


def load(path: Path | io.BytesIO) -> Worksheet:
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert isinstance(sheet, Worksheet)
    return sheet


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_text_is_flagged(text: str) -> None:
    assert looks_like_formula(text)


@pytest.mark.parametrize("text", ["-12.5", "+8613800000000", "13800000000", "a=b", "", "张三"])
def test_plain_numbers_and_ordinary_text_are_not_flagged(text: str) -> None:
    assert not looks_like_formula(text)


def test_xlsx_stores_formula_like_text_as_quoted_text(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_xlsx(path, ["备注"], [[text] for text in HOSTILE])
    cells = [row[0] for row in load(path).iter_rows(min_row=2)]
    # Shown unchanged (XML reads a carriage return as a line feed) ...
    assert [cell.value for cell in cells] == [text.replace("\r", "\n") for text in HOSTILE]
    assert {cell.data_type for cell in cells} == {"s"}  # ... as text, never a formula
    assert all(cell.quotePrefix for cell in cells)  # and it stays text when edited in Excel
    with open_sheet(path, "out.xlsx") as reader:
        assert [row["备注"] for _, row in reader] == [text.strip() for text in HOSTILE]


def test_csv_prefixes_formula_like_text_with_an_apostrophe(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    write_csv(path, ["备注", "金额"], [[text, "-12.5"] for text in HOSTILE])
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["备注", "金额"]
    assert [row[0] for row in rows[1:]] == ["'" + text for text in HOSTILE]
    assert {row[1] for row in rows[1:]} == {"-12.5"}


def test_xlsx_keeps_types_and_phone_numbers_as_text(tmp_path: Path) -> None:
    path = tmp_path / "types.xlsx"
    shanghai_nine = dt.datetime(2024, 5, 1, 1, 0, tzinfo=dt.UTC)
    count = write_xlsx(
        path,
        ["手机号", "身份证号", "积分", "金额", "生日", "加好友时间", "会员", "空"],
        [
            ["13800000000", 110101199003077777, 42, Decimal("9.90"), dt.date(1990, 3, 7),
             shanghai_nine, True, None],
            ["+8613900000000", 7, 1.5, float("nan"), None, dt.datetime(2024, 1, 1), False, ""],
        ],
    )  # fmt: skip
    assert count == 2
    first, second = (list(row) for row in load(path).iter_rows(min_row=2))
    assert [(cell.value, cell.data_type) for cell in first[:4]] == [
        ("13800000000", "s"),
        ("110101199003077777", "s"),  # past Excel's 15 digits: text, not a rounded number
        (42, "n"),
        (9.9, "n"),
    ]
    assert first[4].value == dt.datetime(1990, 3, 7)
    assert first[4].is_date
    assert first[5].value == dt.datetime(2024, 5, 1, 9, 0)  # shown in China time
    assert first[6].value is True
    assert second[0].value == "+8613900000000"
    assert second[0].data_type == "s"
    assert second[3].value == "nan"
    assert second[5].value == dt.datetime(2024, 1, 1)


def test_xlsx_header_is_bold_frozen_and_columns_fit(tmp_path: Path) -> None:
    path = tmp_path / "look.xlsx"
    write_xlsx(
        path,
        [
            "姓名",
            "手机号",
            "企业微信备注名称很长很长很长很长很长很长很长很长很长很长很长很长很长很长",
        ],
        [["张三丰", "13800000000", "x"], ["A" * 30, "", None]],
        sheet_title="客户/导出[2024]",
    )
    sheet = load(path)
    assert sheet.title == "客户_导出_2024_"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    widths = [sheet.column_dimensions[letter].width for letter in "ABC"]
    assert widths == [32, 13, 60]  # the widest of header and rows, CJK twice, within bounds


def test_xlsx_drops_characters_excel_cannot_hold(tmp_path: Path) -> None:
    path = tmp_path / "ctl.xlsx"
    write_xlsx(path, ["昵称"], [["小\x00明\x07😀"], ["x" * 40_000]])
    sheet = load(path)
    assert sheet["A2"].value == "小明😀"
    assert len(sheet["A3"].value) == 32_767


def test_an_export_that_fails_part_way_leaves_no_temporary_file(tmp_path: Path) -> None:
    def rows() -> Iterator[list[object]]:
        for i in range(500):
            yield [f"客户{i}"]
        raise ConnectionError("database went away")

    before = set(Path(tempfile.gettempdir()).glob("openpyxl.*"))
    with pytest.raises(ConnectionError):
        write_xlsx(tmp_path / "x.xlsx", ["姓名"], rows())
    assert set(Path(tempfile.gettempdir()).glob("openpyxl.*")) <= before


def test_writers_take_a_binary_stream(tmp_path: Path) -> None:
    xlsx, text = io.BytesIO(), io.BytesIO()
    write_xlsx(xlsx, ["姓名"], iter([["张三"]]))
    write_csv(text, ["姓名"], iter([["张三"]]))
    assert load(io.BytesIO(xlsx.getvalue()))["A2"].value == "张三"
    assert text.getvalue() == "\ufeff姓名\r\n张三\r\n".encode()
    assert not text.closed


def test_csv_writes_a_bom_and_plain_values(tmp_path: Path) -> None:
    path = tmp_path / "plain.csv"
    write_csv(
        path,
        ["姓名", "时间", "日期", "积分", "会员", "空"],
        [["张三", dt.datetime(2024, 5, 1, 1, 0, tzinfo=dt.UTC), dt.date(2024, 5, 1), 1e-5, True,
          None]],
    )  # fmt: skip
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert (
        raw.decode("utf-8-sig").splitlines()[1]
        == "张三,2024-05-01 09:00:00,2024-05-01,0.00001,TRUE,"
    )


texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("张三手机号备注"),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(texts, min_size=3, max_size=3), max_size=6))
def test_what_is_written_reads_back(tmp_path: Path, rows: list[list[str]]) -> None:
    headers = ["姓名", "手机号", "备注"]
    # CSV has no cell types, so formula-like text comes back with the apostrophe it was given.
    for name, writer, shown in (
        ("x.xlsx", write_xlsx, lambda text: text),
        ("x.csv", write_csv, neutralise_for_csv),
    ):
        expected = [
            dict(zip(headers, (shown(v).strip() for v in row), strict=True)) for row in rows
        ]
        path = tmp_path / name
        writer(path, headers, rows)
        with open_sheet(path, name) as reader:
            assert [row for _, row in reader] == [row for row in expected if any(row.values())]
