"""Spreadsheets out, streamed: .xlsx through openpyxl's write-only mode, and CSV for Excel.

Both writers keep exported data from running as formulas when the file is opened (CSV or
formula injection: a customer naming themselves ``=HYPERLINK(...)``). In .xlsx such a text is
stored as text and marked with Excel's quote prefix, so it shows unchanged and stays text when
edited; CSV has no cell types, so the text gets a leading apostrophe, as OWASP advises. Plain
signed numbers ("-12.5", "+8613800000000") are constants and left alone.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from siyu.sheets.cells import (
    EXPORT_TZ,
    cell_text,
    display_width,
    excel_safe_text,
    looks_like_formula,
    neutralise_for_csv,
    number_text,
    plain_datetime,
)

# Column widths come from the header and the first rows; the rest stream through unseen.
_WIDTH_SAMPLE_ROWS = 100
_MIN_WIDTH, _MAX_WIDTH = 8, 60
# Excel keeps 15 significant digits: a longer whole number (an ID card number) is kept as text.
_EXACT_INT = 10**15
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\\/?*\[\]:]")


def write_xlsx(
    target: Path | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    sheet_title: str = "Sheet1",
    tz: dt.tzinfo = EXPORT_TZ,
) -> int:
    """Write one sheet, header row bold and frozen, and return the number of data rows.

    Values keep their type (text, numbers, dates), except that whole numbers of more than 15
    digits become text, as Excel would round them; aware datetimes are shown in ``tz``.
    Text that looks like a formula is neutralised (see the module's docstring).
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_sheet_title(sheet_title))
    try:
        count = _fill(sheet, headers, rows, tz)
        workbook.save(target)
    except BaseException:
        _discard(sheet)
        raise
    return count


def _fill(
    sheet: Any, headers: Sequence[str], rows: Iterable[Sequence[object]], tz: dt.tzinfo
) -> int:
    rows = iter(rows)
    head = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    for index, width in enumerate(_column_widths(headers, head), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for header in headers:
        cell = _xlsx_cell(sheet, header, tz)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(sheet, value=cell)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    count = 0
    for row in chain(head, rows):
        sheet.append([_xlsx_cell(sheet, value, tz) for value in row])
        count += 1
    return count


def _discard(sheet: Any) -> None:
    """Remove the file openpyxl streams rows into, which it would keep until the process ends."""
    writer = getattr(sheet, "_writer", None)
    if writer is None:
        return
    # Finish the row stream first: left to the garbage collector, it would write to a closed file.
    rows = getattr(sheet, "_rows", None)
    if rows is not None:
        rows.close()
    writer.close()
    with suppress(OSError, ValueError):
        writer.cleanup()


def write_csv(
    target: Path | IO[bytes],
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    tz: dt.tzinfo = EXPORT_TZ,
) -> int:
    """Write UTF-8 CSV with a byte order mark (so Excel reads Chinese right); return data rows.

    Dates are ISO, aware datetimes shown in ``tz``; formula-like text is neutralised (see the
    module's docstring).
    """
    with ExitStack() as stack:
        if isinstance(target, Path):
            binary: IO[bytes] = stack.enter_context(target.open("wb"))
        else:
            binary = target
        binary.write(codecs.BOM_UTF8)
        text = codecs.getwriter("utf-8")(binary)
        writer = csv.writer(text)
        writer.writerow([_csv_text(header, tz) for header in headers])
        count = 0
        for row in rows:
            writer.writerow([_csv_text(value, tz) for value in row])
            count += 1
        text.flush()
    return count


def _sheet_title(title: str) -> str:
    return _SHEET_TITLE_FORBIDDEN.sub("_", title)[:31] or "Sheet1"


def _column_widths(headers: Sequence[str], rows: list[Sequence[object]]) -> Iterator[int]:
    for index, header in enumerate(headers):
        widest = display_width(header)
        for row in rows:
            if index < len(row) and row[index] is not None:
                widest = max(widest, display_width(cell_text(row[index])))
        yield min(max(widest + 2, _MIN_WIDTH), _MAX_WIDTH)


def _xlsx_cell(sheet: Any, value: object, tz: dt.tzinfo) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, float | Decimal):
        return value if math.isfinite(value) else str(value)  # Excel has no NaN or infinity
    if isinstance(value, int):
        return value if abs(value) < _EXACT_INT else str(value)
    if isinstance(value, dt.datetime):
        return plain_datetime(value, tz)
    if isinstance(value, dt.date):
        return value
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None)
    text = excel_safe_text(value if isinstance(value, str) else str(value))
    if not looks_like_formula(text):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would take a leading "=" for a formula
    cell.quotePrefix = True
    return cell


def _csv_text(value: object, tz: dt.tzinfo) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | Decimal):
        return number_text(value)
    if isinstance(value, dt.datetime):
        return plain_datetime(value, tz).isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return neutralise_for_csv(value if isinstance(value, str) else str(value))
