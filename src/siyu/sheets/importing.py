"""The parts every spreadsheet import shares, whatever it makes of a row: keeping the upload,
reading its header row, checking rows in chunks, previewing them, and the rejected-rows report.

An import supplies a *check*: ``check(row number, {field: text})`` answers the row as it will be
applied, or the problems that reject it. Customers (:mod:`siyu.customers.imports`) and add-friend
lists (:mod:`siyu.addfriend.imports`) are two such imports; their database tables differ, the
flow does not: upload → suggested mapping → preview with each row's problems → start → chunks
applied one transaction each, resumable after the last chunk stored → rejected rows as .xlsx.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

from siyu.errors import SiyuError
from siyu.i18n import Locale
from siyu.sheets.mapping import ColumnMap
from siyu.sheets.reader import SheetReader, open_sheet
from siyu.sheets.writer import write_xlsx

CHUNK_ROWS = 1000
PREVIEW_ROWS = 20

R = TypeVar("R")


@dataclass
class Problem:
    """One bad cell (or a whole row, with an empty ``column``) and why."""

    row: int
    column: str
    value: str
    reason: str


# ``check(row number, {field: text})`` → (the row as it will be applied, or None; its problems).
Check = Callable[[int, dict[str, str]], tuple[R | None, list[Problem]]]


@dataclass
class Chunk(Generic[R]):
    rows: list[R]
    # The checks' problems and the sheet's own (a row too wide, a cell too long), in row order.
    problems: list[Problem]
    # Sheet rows the chunk read, bad ones among them; the last one's number (to resume after).
    read: int
    last_row: int

    @property
    def rejected(self) -> int:
        return len({p.row for p in self.problems})


def upload_dir(var_dir: Path, tenant_id: int) -> Path:
    path = var_dir / "uploads" / str(tenant_id)
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(stream: IO[bytes], filename: str, var_dir: Path, tenant_id: int) -> Path:
    """Save an uploaded file under the tenant's upload folder with a name of its own."""
    suffix = Path(filename).suffix.lower()[:8]
    stored = upload_dir(var_dir, tenant_id) / f"{uuid.uuid4().hex}{suffix}"
    with stored.open("wb") as out:
        while block := stream.read(1 << 20):
            out.write(block)
    return stored


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class SheetInfo:
    headers: list[str]
    rows_hint: int | None  # data rows, the header row left out; None when the file cannot tell
    format: str
    size: int
    sha256: str


def inspect(stored: Path, filename: str) -> SheetInfo:
    """Read an upload's header row (refusing what is not a sheet) and what it says of its size."""
    with open_sheet(stored, filename) as reader:
        headers = list(reader.headers)
        hint = reader.total_rows_hint()  # counts the sheet's rows, the header row among them
        if hint is not None:
            hint = max(hint - reader.header_row, 0)
        sheet_format = str(reader.format)
    return SheetInfo(headers, hint, sheet_format[:10], stored.stat().st_size, file_sha256(stored))


def preview(
    path: Path, filename: str, columns: ColumnMap, check: Check[Any], limit: int = PREVIEW_ROWS
) -> list[dict[str, Any]]:
    """The first rows as they would be imported, each with its problems."""
    shown: list[dict[str, Any]] = []
    with open_sheet(path, filename) as reader:
        for number, raw in reader:
            values = columns.apply(raw)
            _, problems = check(number, values)
            shown.append(
                {
                    "row": number,
                    "values": values,
                    "problems": [{"column": p.column, "reason": p.reason} for p in problems],
                }
            )
            if len(shown) >= limit:
                break
    return shown


def read_chunks(
    reader: SheetReader,
    columns: ColumnMap,
    check: Check[R],
    *,
    after_row: int = 0,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[tuple[list[R], list[Problem], int]]:
    """Checked rows in chunks: (valid rows, problems, last sheet row number of the chunk)."""
    rows: list[R] = []
    problems: list[Problem] = []
    read = 0
    last = after_row
    for number, raw in reader:
        if number <= after_row:
            continue
        last = number
        row, found = check(number, columns.apply(raw))
        if row is not None:
            rows.append(row)
        problems += found
        read += 1
        if read >= chunk_rows:
            yield rows, problems, last
            rows, problems, read = [], [], 0
    if read or rows or problems:
        yield rows, problems, last


def chunks(
    path: Path,
    filename: str,
    columns: ColumnMap,
    check: Check[R],
    locale: Locale,
    *,
    after_row: int = 0,
    chunk_rows: int = CHUNK_ROWS,
) -> Iterator[Chunk[R]]:
    """The rows after ``after_row`` checked, chunk by chunk, with the rows the sheet itself
    refused (too wide, a cell too long) among the problems. Apply each chunk in one transaction
    that also stores its ``last_row``: a restarted import resumes after it."""
    sheet_problems: list[Problem] = []

    def on_problem(row: int, column: str, value: str, error: SiyuError) -> None:
        sheet_problems.append(Problem(row, column, value, error.message(locale)))

    with open_sheet(path, filename, on_problem=on_problem) as reader:
        for rows, problems, last in read_chunks(
            reader, columns, check, after_row=after_row, chunk_rows=chunk_rows
        ):
            found = problems + sheet_problems
            read = len(rows) + len({p.row for p in problems})
            sheet_problems.clear()
            yield Chunk(rows, found, read, last)


REPORT_HEADERS: dict[Locale, list[str]] = {
    "zh-CN": ["行号", "列", "值", "原因"],
    "en": ["Row", "Column", "Value", "Reason"],
}


def write_report(target: Path, problems: Iterable[tuple[Any, ...]], locale: Locale) -> int:
    """Rejected cells ``(row, column, value, reason)`` as .xlsx, streamed; returns the count."""
    title = "被拒绝的行" if locale == "zh-CN" else "Rejected rows"
    return write_xlsx(target, REPORT_HEADERS[locale], problems, sheet_title=title)


def reject_rows(
    tenant_id: int, owner: dict[str, int], problems: Iterable[Problem]
) -> list[dict[str, Any]]:
    """Problems as rows of a rejects table, ``owner`` naming the import (``{"import_id": 7}``);
    values cut to the columns' sizes."""
    return [
        {
            "tenant_id": tenant_id,
            **owner,
            "row": p.row,
            "column": p.column[:200],
            "value": p.value[:500],
            "reason": p.reason[:300],
        }
        for p in problems
    ]
