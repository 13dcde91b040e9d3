"""One pass over an uploaded spreadsheet's rows, whatever its format, in flat memory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from openpyxl.utils import get_column_letter

from siyu.errors import SiyuError
from siyu.sheets.csv_rows import open_csv
from siyu.sheets.errors import (
    CellTooLong,
    RowTooWide,
    SheetCorrupt,
    SheetDuplicateColumn,
    SheetEmpty,
    SheetFormatUnsupported,
    SheetTooManyColumns,
)
from siyu.sheets.source import RowSource, SheetFormat, SheetLimits
from siyu.sheets.xlsx_rows import open_xlsx

# Called with (row number, column, value, problem) for each row left out; RejectReport.add fits.
ProblemSink = Callable[[int, str, str, SiyuError], None]

_ZIP_MAGIC = b"PK\x03\x04"
# Compound documents: Excel 97-2003 .xls, and any password-protected Office file.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def open_sheet(
    path: Path,
    filename: str,
    *,
    limits: SheetLimits | None = None,
    on_problem: ProblemSink | None = None,
) -> SheetReader:
    """Open an upload saved at ``path``; ``filename`` is the name the user gave it.

    The format is told by the content: a zip is an .xlsx (its first worksheet is read), an
    .xls or encrypted workbook is refused, anything else must be text and is read as CSV. The
    header row is read before this returns, so a file that cannot be imported fails here.
    """
    limits = limits or SheetLimits()
    try:
        with path.open("rb") as file:
            magic = file.read(8)
    except OSError as exc:
        raise SheetCorrupt(filename=filename) from exc
    if magic.startswith(_OLE_MAGIC):
        raise SheetFormatUnsupported(filename=filename)
    if magic.startswith(_ZIP_MAGIC):
        source = open_xlsx(path, filename, limits)
    elif filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        # Named as a workbook but not one; also catches the .xls that is really an HTML page.
        raise SheetFormatUnsupported(filename=filename)
    else:
        source = open_csv(path, filename, limits)
    try:
        return SheetReader(source, filename=filename, limits=limits, on_problem=on_problem)
    except BaseException:
        source.close()
        raise


class SheetReader:
    """The rows under a sheet's header row, as ``(row number, {column name: text})``.

    ``headers`` is the first non-empty row, each name stripped; a column with no name is left
    out of the rows. Row numbers are the ones Excel shows (the header is usually row 1, so data
    starts at 2). Rows with nothing under any named column are skipped; cells past the last
    named column are ignored and missing ones read as ``""``. A row that breaks a
    :class:`SheetLimits` bound is not yielded but reported to ``on_problem``.

    The rows can be iterated once. Close the reader (or use it as a context manager) to release
    the file.
    """

    def __init__(
        self,
        source: RowSource,
        *,
        filename: str,
        limits: SheetLimits,
        on_problem: ProblemSink | None = None,
    ) -> None:
        self.filename = filename
        self.format: SheetFormat = source.format
        self.encoding = source.encoding
        self.delimiter = source.delimiter
        self.limits = limits
        self.skipped_rows = 0
        self._source = source
        self._on_problem = on_problem
        self._header_row, self.headers = self._read_headers()
        self._columns = [(i, name) for i, name in enumerate(self.headers) if name]
        self._rows = self._data_rows()

    @property
    def header_row(self) -> int:
        return self._header_row

    def total_rows_hint(self) -> int | None:
        """About how many rows the file has, header included, for a progress bar; or None.

        Comparable to the row numbers yielded: ``row_number / hint`` is the share done.
        """
        return self._source.size_hint

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return self._rows

    def close(self) -> None:
        self._source.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _read_headers(self) -> tuple[int, list[str]]:
        for number, cells in enumerate(self._source.rows, start=1):
            if not cells:
                continue
            if len(cells) > self.limits.max_columns:
                raise SheetTooManyColumns(count=len(cells), limit=self.limits.max_columns)
            seen: set[str] = set()
            for name in cells:
                if name in seen:
                    raise SheetDuplicateColumn(column=name)
                if name:
                    seen.add(name)
            return number, cells
        raise SheetEmpty(filename=self.filename)

    def _data_rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        columns = self._columns
        width = len(self.headers)
        max_columns = self.limits.max_columns
        max_chars = self.limits.max_cell_chars
        for number, cells in enumerate(self._source.rows, start=self._header_row + 1):
            count = len(cells)
            if count < width:
                cells.extend([""] * (width - count))
            row = {name: cells[i] for i, name in columns}
            if not any(row.values()):
                continue
            if count > max_columns:
                self.skipped_rows += 1
                self._problem(
                    number, get_column_letter(count), "", RowTooWide(count=count, limit=max_columns)
                )
                continue
            too_long = [(name, value) for name, value in row.items() if len(value) > max_chars]
            if too_long:
                self.skipped_rows += 1
                for name, value in too_long:
                    self._problem(number, name, value, CellTooLong(limit=max_chars))
                continue
            yield number, row

    def _problem(self, number: int, column: str, value: str, problem: SiyuError) -> None:
        if self._on_problem is not None:
            self._on_problem(number, column, value, problem)
