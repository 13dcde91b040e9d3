"""Rows of an .xlsx, streamed from the first worksheet's XML in flat memory.

openpyxl reads the workbook's small parts (manifest, workbook, styles, shared strings) and
turns each cell into a value; the sheet itself is walked here rather than by openpyxl's
read-only worksheet, which keeps an emptied element per row (and a dict per row with a custom
height) for the life of the read, and scans a sheet without a declared size once more up front.
A million rows would cost around a hundred megabytes that way.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from defusedxml.ElementTree import iterparse
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHEET_MAIN_NS

from siyu.errors import SiyuError
from siyu.sheets.cells import cell_text
from siyu.sheets.errors import SheetCorrupt, SheetEmpty, SheetFormatUnsupported, SheetTooLarge
from siyu.sheets.source import RowSource, SheetLimits, trim

# Parts streamed row by row or never parsed; every other part is read into memory whole.
_STREAMED_PREFIXES = ("xl/worksheets/", "xl/media/")
# A real workbook has a few dozen parts; thousands only slow the parse down.
_MAX_PARTS = 10_000
# Excel's own bounds; a sheet past them was not written by a spreadsheet program.
_EXCEL_MAX_ROWS = 1_048_576
_EXCEL_MAX_COLUMNS = 16_384

_SHEET_DATA = f"{{{SHEET_MAIN_NS}}}sheetData"
_DIMENSION = f"{{{SHEET_MAIN_NS}}}dimension"
_ROW = f"{{{SHEET_MAIN_NS}}}row"
_CELL = f"{{{SHEET_MAIN_NS}}}c"


def check_archive(path: Path, filename: str, limits: SheetLimits) -> None:
    """Refuse a zip that is not a workbook or that would unpack to too much.

    The sizes checked are the ones the zip declares: Python's zip reader never unpacks more
    than a part declares (it stops there and fails the checksum), so a part cannot lie its way
    past this check.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SheetCorrupt(filename=filename) from exc
    if len(parts) > _MAX_PARTS:
        raise SheetCorrupt(filename=filename)
    if "xl/workbook.xml" not in {part.filename for part in parts}:
        raise SheetFormatUnsupported(filename=filename)  # a Word file, or any other zip
    if sum(part.file_size for part in parts) > limits.max_unpacked_bytes:
        raise SheetTooLarge(filename=filename, limit_mb=limits.max_unpacked_bytes >> 20)
    for part in parts:
        if part.filename.startswith(_STREAMED_PREFIXES):
            continue
        if part.file_size > limits.max_in_memory_part_bytes:
            raise SheetTooLarge(filename=filename, limit_mb=limits.max_in_memory_part_bytes >> 20)


def open_xlsx(path: Path, filename: str, limits: SheetLimits) -> RowSource:
    check_archive(path, filename, limits)
    # Given an open file rather than the path, openpyxl does not insist on an .xlsx name.
    handle = path.open("rb")
    try:
        reader, sheet_path = _read_workbook(handle, filename)
    except BaseException:
        handle.close()
        raise

    streams: list[IO[bytes]] = []

    def close() -> None:
        for stream in streams:
            stream.close()
        reader.archive.close()
        handle.close()

    try:
        size_hint = _declared_rows(reader.archive, sheet_path)
        streams.append(reader.archive.open(sheet_path))
        book: Any = reader.wb  # the date styles are private to openpyxl's workbook
        parser = WorkSheetParser(
            streams[0],
            reader.shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
    except Exception as exc:
        close()
        raise SheetCorrupt(filename=filename) from exc
    return RowSource(
        format="xlsx",
        rows=_guarded(_sheet_rows(parser), filename),
        close=close,
        size_hint=size_hint,
    )


def _read_workbook(handle: IO[bytes], filename: str) -> tuple[ExcelReader, str]:
    # openpyxl fails on a damaged workbook with whatever its parser meets (KeyError, TypeError,
    # an XML error, defusedxml's refusal of entity declarations...): all of them mean the file
    # is unreadable, none of them is a fault of ours.
    try:
        reader = ExcelReader(handle, read_only=True, data_only=True, keep_links=False)
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            for _sheet, rel in reader.parser.find_sheets():
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                    return reader, rel.target
        except BaseException:
            reader.archive.close()
            raise
    except Exception as exc:
        raise SheetCorrupt(filename=filename) from exc
    reader.archive.close()
    raise SheetEmpty(filename=filename)


def _declared_rows(archive: zipfile.ZipFile, sheet_path: str) -> int | None:
    """The row count the sheet declares before its data, if it does; a hint only."""
    with archive.open(sheet_path) as source:
        for _event, element in iterparse(source, events=("start",)):
            if element.tag == _DIMENSION:
                try:
                    rows = range_boundaries(element.get("ref", ""))[3]
                except ValueError:  # a wrong hint is no reason to refuse the file
                    return None
                return rows if rows and rows > 1 else None
            if element.tag == _SHEET_DATA:
                return None
    return None


def _sheet_rows(parser: WorkSheetParser) -> Iterator[list[str]]:
    """Rows from 1 on, gaps filled with empty rows; each element is dropped once read."""
    expected = 1
    index = 0
    cells: list[str] = []
    row: Any = None
    data: Any = None
    for event, element in iterparse(parser.source, events=("start", "end")):
        tag = element.tag
        if event == "start":
            if tag == _ROW:
                index = _row_index(element.get("r"), index)
                parser.row_counter, parser.col_counter = index, 0
                cells, row = [], element
            elif tag == _SHEET_DATA:
                data = element
        elif tag == _CELL and row is not None:
            _place(cells, parser.parse_cell(element))
            row.clear()  # drops this cell's element; the row's number was read at its start
        elif tag == _ROW:
            # Excel writes rows in order; a repeated or backward row is dropped, as openpyxl does.
            if index >= expected:
                while expected < index:
                    yield []
                    expected += 1
                yield trim(cells)
                expected += 1
            row = None
            if data is not None:
                data.clear()
        elif tag == _SHEET_DATA:
            return


def _place(cells: list[str], cell: dict[str, Any]) -> None:
    column = cell["column"]
    if not isinstance(column, int) or not 0 < column <= _EXCEL_MAX_COLUMNS:
        raise ValueError(f"column {column} out of range")
    text = cell_text(cell["value"])
    filled = len(cells)
    if column > filled:
        cells.extend([""] * (column - 1 - filled))
        cells.append(text)
    else:
        cells[column - 1] = text


def _row_index(declared: str | None, previous: int) -> int:
    index = previous + 1 if declared is None else int(float(declared))
    if not 0 < index <= _EXCEL_MAX_ROWS:
        raise ValueError(f"row {index} out of range")
    return index


def _guarded(rows: Iterator[list[str]], filename: str) -> Iterator[list[str]]:
    try:
        yield from rows
    except SiyuError:
        raise
    except Exception as exc:  # the sheet XML breaks off or is malformed part way
        raise SheetCorrupt(filename=filename) from exc
