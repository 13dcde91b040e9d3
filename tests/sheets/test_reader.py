"""Reading uploads: formats told by content, cells as the user sees them, hostile files refused."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu.errors import SiyuError
from siyu.sheets import (
    CellTooLong,
    RowTooWide,
    SheetCorrupt,
    SheetDuplicateColumn,
    SheetEmpty,
    SheetEncodingUnknown,
    SheetFormatUnsupported,
    SheetLimits,
    SheetRowTooLarge,
    SheetTooLarge,
    SheetTooManyColumns,
    open_sheet,
    write_xlsx,
)
from tests.sheets.factories import (
    declare_size,
    make_csv,
    make_excel_xlsx,
    make_xlsx,
    replace_part,
)

Problem = tuple[int, str, str, SiyuError]


Rows = list[tuple[int, dict[str, str]]]


def read_all(path: Path, limits: SheetLimits | None = None) -> tuple[list[str], Rows]:
    with open_sheet(path, path.name, limits=limits) as reader:
        return reader.headers, list(reader)


# --- .xlsx ---------------------------------------------------------------------------------


def test_xlsx_cells_come_back_as_the_text_excel_shows(tmp_path: Path) -> None:
    path = make_excel_xlsx(
        tmp_path / "customers.xlsx",
        [
            ["姓名", "手机号", "生日", "最近到店", "积分", "会员", "备注"],
            [
                "张三",
                13800000000,
                dt.date(1990, 1, 2),
                dt.datetime(2024, 5, 1, 9, 30),
                0.1 + 0.2,
                True,
                "  老客户  ",
            ],
            ["李四", "#number:1.39E+10", dt.datetime(1985, 12, 31), None, 1e-5, False, None],
            ["王五", "#number:13700000000.0", None, None, "#number:-0.0", None, "=HYPERLINK()"],
        ],
    )
    headers, rows = read_all(path)
    assert headers == ["姓名", "手机号", "生日", "最近到店", "积分", "会员", "备注"]
    assert rows == [
        (2, {"姓名": "张三", "手机号": "13800000000", "生日": "1990-01-02",
             "最近到店": "2024-05-01 09:30:00", "积分": "0.3", "会员": "TRUE", "备注": "老客户"}),
        (3, {"姓名": "李四", "手机号": "13900000000", "生日": "1985-12-31", "最近到店": "",
             "积分": "0.00001", "会员": "FALSE", "备注": ""}),
        (4, {"姓名": "王五", "手机号": "13700000000", "生日": "", "最近到店": "",
             "积分": "0", "会员": "", "备注": "=HYPERLINK()"}),
    ]  # fmt: skip


def test_numbers_typed_through_openpyxl_read_back_whole(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "typed.xlsx",
        [["手机号", "日期"], [13800000000, dt.date(2024, 2, 29)], [13800000001.0, None]],
    )
    assert read_all(path)[1] == [
        (2, {"手机号": "13800000000", "日期": "2024-02-29"}),
        (3, {"手机号": "13800000001", "日期": ""}),
    ]


def test_xlsx_row_numbers_are_excels_and_empty_rows_are_skipped(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "gaps.xlsx",
        [[], [None, None], ["name", "phone"], ["a", "1"], [], ["", "  "], ["b", "2"]],
    )
    with open_sheet(path, "gaps.xlsx") as reader:
        assert reader.header_row == 3
        assert list(reader) == [(4, {"name": "a", "phone": "1"}), (7, {"name": "b", "phone": "2"})]


def test_cells_past_the_header_are_ignored_and_missing_ones_are_empty(tmp_path: Path) -> None:
    path = make_xlsx(
        tmp_path / "ragged.xlsx",
        [["name", "phone", "", "tag"], ["a", "1", "x", "t", "extra", "more"], ["b"]],
    )
    headers, rows = read_all(path)
    assert headers == ["name", "phone", "", "tag"]  # an unnamed column is left out of rows
    assert rows == [
        (2, {"name": "a", "phone": "1", "tag": "t"}),
        (3, {"name": "b", "phone": "", "tag": ""}),
    ]


def test_only_the_first_worksheet_is_read(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "two.xlsx", [["name"], ["first"]])
    import openpyxl

    workbook = openpyxl.load_workbook(path)
    workbook.create_sheet("其他").append(["other"])
    workbook.save(path)
    assert read_all(path)[1] == [(2, {"name": "first"})]


def test_format_is_told_by_content_not_by_the_name(tmp_path: Path) -> None:
    xlsx = make_xlsx(tmp_path / "upload-1", [["name"], ["a"]])
    csv = make_csv(tmp_path / "upload-2.xlsx.txt", "name\na\n")
    with open_sheet(xlsx, "名单.XLSX") as reader:
        assert reader.format == "xlsx"
        assert list(reader) == [(2, {"name": "a"})]
    with open_sheet(csv, "名单.txt") as reader:
        assert reader.format == "csv"


def test_xlsx_size_hint_comes_from_the_declared_dimension(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "hint.xlsx", [["n"], *([str(i)] for i in range(41))])
    with open_sheet(path, "hint.xlsx") as reader:
        assert reader.total_rows_hint() == 42


def test_a_declared_dimension_that_is_wrong_does_not_cut_rows(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "dim.xlsx", [["n"], ["1"], ["2"], ["3"]])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").replace(b'ref="A1:A4"', b'ref="A1"')
    replace_part(path, "xl/worksheets/sheet1.xml", xml)
    assert [number for number, _ in read_all(path)[1]] == [2, 3, 4]


# --- .csv ----------------------------------------------------------------------------------

CHINESE_CSV = '姓名,手机号,备注\r\n张三,13800000000,"多行\n备注"\r\n李四,13900000000,“引号”\r\n'
CHINESE_ROWS = [
    (2, {"姓名": "张三", "手机号": "13800000000", "备注": "多行\n备注"}),
    (3, {"姓名": "李四", "手机号": "13900000000", "备注": "“引号”"}),
]


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8-sig", "utf-8-sig"),  # Excel's "CSV UTF-8"
        ("utf-8", "utf-8"),
        ("gbk", "gb18030"),  # Excel's plain "CSV" on a Chinese Windows
        ("gb18030", "gb18030"),
    ],
)
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str, detected: str) -> None:
    path = make_csv(tmp_path / "c.csv", CHINESE_CSV, encoding=encoding)
    with open_sheet(path, "c.csv") as reader:
        assert reader.encoding == detected
        assert reader.headers == ["姓名", "手机号", "备注"]
        assert list(reader) == CHINESE_ROWS


def test_gbk_far_down_an_ascii_file_is_still_detected(tmp_path: Path) -> None:
    text = "name,phone\n" + "a,13800000000\n" * 100_000 + "王五,13700000000\n"
    path = make_csv(tmp_path / "late.csv", text, encoding="gbk")
    with open_sheet(path, "late.csv") as reader:
        assert reader.encoding == "gb18030"
        *_, last = reader
    assert last == (100_002, {"name": "王五", "phone": "13700000000"})


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("姓名\t手机号\t备注\n张三\t13800000000\t有, 逗号\n", "\t"),
        ("姓名;手机号;备注\n张三;13800000000;有, 逗号\n", ";"),
        ('姓名,手机号,备注\n张三,13800000000,"有; 分号\t和制表符"\n', ","),
    ],
)
def test_csv_delimiters_are_detected(tmp_path: Path, text: str, delimiter: str) -> None:
    path = make_csv(tmp_path / "d.csv", text)
    with open_sheet(path, "d.csv") as reader:
        assert reader.delimiter == delimiter
        [(_, row)] = list(reader)
    assert row["姓名"] == "张三"
    assert row["手机号"] == "13800000000"


def test_excel_unicode_text_is_read(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "u.txt", "姓名\t手机号\r\n张三\t13800000000\r\n", encoding="utf-16")
    assert read_all(path)[1] == [(2, {"姓名": "张三", "手机号": "13800000000"})]


def test_csv_row_numbers_count_records_not_lines(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "n.csv", 'a,b\n"x\ny\nz",1\n\n,\n2,3\n')
    assert read_all(path)[1] == [(2, {"a": "x\ny\nz", "b": "1"}), (5, {"a": "2", "b": "3"})]


def test_csv_size_hint_estimates_the_rows(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "h.csv", "n\n" + "".join(f"{i:06d}\n" for i in range(50_000)))
    with open_sheet(path, "h.csv") as reader:
        hint = reader.total_rows_hint()
    assert hint is not None
    assert 45_000 < hint < 55_000


def test_undecodable_csv_is_refused_with_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes("姓名\n".encode() + b"\x81\xff\xfe\n")
    with pytest.raises(SheetEncodingUnknown) as caught:
        open_sheet(path, "bad.csv")
    assert "bad.csv" in caught.value.message("zh-CN")
    assert "GBK" in caught.value.message("zh-CN")


# --- refused files -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "old.xls"),  # Excel 97-2003
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "photo.csv"),
        (b"<html><table><tr><td>name</td></tr></table></html>", "export.xls"),
        (b"<html><table><tr><td>name</td></tr></table></html>", "export.csv"),
        (b"name,phone\n", "text-named.xlsx"),
        (bytes(range(1, 32)) * 10, "controls.csv"),
    ],
)
def test_files_that_are_no_spreadsheet_are_refused(
    tmp_path: Path, content: bytes, filename: str
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(SheetFormatUnsupported) as caught:
        open_sheet(path, filename)
    assert caught.value.code == "sheet_format_unsupported"
    assert filename in caught.value.message("en")
    assert ".xlsx" in caught.value.message("zh-CN")


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    with pytest.raises(SheetFormatUnsupported):
        open_sheet(path, "report.docx")


def test_a_broken_workbook_is_corrupt(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "b.xlsx", [["name"], ["a"]])
    truncated = tmp_path / "t.xlsx"
    truncated.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(SheetCorrupt):
        open_sheet(truncated, "t.xlsx")
    replace_part(path, "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c")
    with pytest.raises(SheetCorrupt):
        read_all(path)


@pytest.mark.parametrize("filename", ["empty.csv", "blank.csv"])
def test_a_file_without_a_header_row_is_empty(tmp_path: Path, filename: str) -> None:
    path = make_csv(tmp_path / filename, "" if filename == "empty.csv" else "\n ,  \n,,\n")
    with pytest.raises(SheetEmpty):
        open_sheet(path, filename)


def test_repeated_column_names_are_refused(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "dup.csv", "姓名,备注,手机号, 备注 \n")
    with pytest.raises(SheetDuplicateColumn) as caught:
        open_sheet(path, "dup.csv")
    assert "备注" in caught.value.message("zh-CN")


# --- hostile files -------------------------------------------------------------------------


def test_a_sheet_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "bomb.xlsx", [["name"], ["a"]])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    padded = xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (64 << 20))  # 64 MB, ~64 KB zipped
    replace_part(path, "xl/worksheets/sheet1.xml", padded)
    assert path.stat().st_size < 1 << 20
    with pytest.raises(SheetTooLarge) as caught:
        open_sheet(path, "bomb.xlsx", limits=SheetLimits(max_unpacked_bytes=32 << 20))
    assert caught.value.status_code == 413
    assert "32 MB" in caught.value.message("zh-CN")
    assert read_all(path, SheetLimits(max_unpacked_bytes=128 << 20))[1] == [(2, {"name": "a"})]


def test_a_part_read_whole_has_a_tighter_limit(tmp_path: Path) -> None:
    path = make_excel_xlsx(tmp_path / "strings.xlsx", [["name"], ["x" * 100_000]])
    with pytest.raises(SheetTooLarge):
        open_sheet(path, "s.xlsx", limits=SheetLimits(max_in_memory_part_bytes=50_000))
    assert read_all(path, SheetLimits(max_cell_chars=100_000))[1] == [(2, {"name": "x" * 100_000})]


def test_a_part_bigger_than_it_declares_is_cut_off_and_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "liar.xlsx", [["name"], *([f"row {i}"] for i in range(2000))])
    declare_size(path, "xl/worksheets/sheet1.xml", 1000)
    with pytest.raises(SheetCorrupt):
        read_all(path)


def test_xml_entity_expansion_is_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "laughs.xlsx", [["name"], ["a"]])
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&c;</t></is></c></row>'
        b"</sheetData></worksheet>"
    )
    replace_part(path, "xl/worksheets/sheet1.xml", laughs)
    with pytest.raises(SheetCorrupt):
        read_all(path)


def test_a_row_far_past_excels_last_row_is_refused(tmp_path: Path) -> None:
    path = make_xlsx(tmp_path / "far.xlsx", [["name"], ["a"]])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    replace_part(path, "xl/worksheets/sheet1.xml", xml.replace(b'r="2"', b'r="999999999"'))
    with pytest.raises(SheetCorrupt):
        read_all(path)


def test_a_csv_with_a_nul_byte_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(b"name,phone\n" + b"a,1\n" * 10 + b"b\x00,2\n")
    with pytest.raises(SheetFormatUnsupported):
        open_sheet(path, "nul.csv")


def test_an_unclosed_quote_is_reported_near_its_line(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "q.csv", 'name,note\na,"never closed\n' + "b,x\n" * 40_000)
    with pytest.raises(SheetRowTooLarge) as caught:
        read_all(path)
    assert "引号" in caught.value.message("zh-CN")


def test_an_overlong_csv_line_is_refused(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "long.csv", "name\n" + "a" * 5000 + "\n")
    with pytest.raises(SheetRowTooLarge) as caught:
        read_all(path, SheetLimits(max_line_chars=1000))
    assert caught.value.params == {"line": 2}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=2000), zipped=st.booleans())
def test_any_bytes_are_read_or_refused_with_a_siyu_error(
    tmp_path: Path, content: bytes, zipped: bool
) -> None:
    path = tmp_path / "fuzz"
    path.write_bytes((b"PK\x03\x04" if zipped else b"") + content)
    try:
        with open_sheet(path, "fuzz.csv") as reader:
            for number, row in reader:
                assert number > reader.header_row
                assert all(isinstance(value, str) for value in row.values())
    except SiyuError:
        pass


# --- limits per row ------------------------------------------------------------------------


def test_rows_past_the_limits_are_reported_and_the_rest_go_on(tmp_path: Path) -> None:
    path = tmp_path / "limits.xlsx"
    write_xlsx(
        path,
        ["name", "note"],
        [["a", "ok"], ["b", "x" * 11, "y" * 11], ["c", "ok", "", "", "too wide"], ["d", "ok"]],
    )
    problems: list[Problem] = []
    limits = SheetLimits(max_columns=4, max_cell_chars=10)
    with open_sheet(
        path, "limits.xlsx", limits=limits, on_problem=lambda *p: problems.append(p)
    ) as r:
        rows = list(r)
        assert r.skipped_rows == 2
    assert [number for number, _ in rows] == [2, 5]
    (row, column, value, problem), (row2, column2, value2, problem2) = problems
    assert (row, column, value) == (3, "note", "x" * 11)  # the cell past the header is ignored
    assert isinstance(problem, CellTooLong)
    assert problem.message("zh-CN") == "单元格内容超过 10 个字符"
    assert (row2, column2, value2) == (4, "E", "")
    assert isinstance(problem2, RowTooWide)
    assert problem2.message("en") == "The row has 5 columns, more than the limit of 4"


def test_a_header_wider_than_the_limit_is_refused(tmp_path: Path) -> None:
    path = make_csv(tmp_path / "wide.csv", ",".join(f"c{i}" for i in range(201)) + "\n")
    with pytest.raises(SheetTooManyColumns) as caught:
        open_sheet(path, "wide.csv")
    assert caught.value.params == {"count": 201, "limit": 200}
