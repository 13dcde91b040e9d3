"""What a file format hands the reader: its rows as text, a size estimate and a way to close."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

SheetFormat = Literal["xlsx", "csv"]


@dataclass(frozen=True, slots=True)
class SheetLimits:
    """Bounds on an uploaded file, so that a hostile or broken one costs little.

    ``max_columns`` and ``max_cell_chars`` are checked per row (the row is reported, the rest
    goes on). The others are checked on the file: ``max_unpacked_bytes`` is what all parts of an
    .xlsx unpack to together; ``max_in_memory_part_bytes`` bounds each part that is read whole
    rather than streamed (shared strings, styles, the workbook itself); ``max_line_chars`` bounds
    one physical line of a CSV.
    """

    max_columns: int = 200
    max_cell_chars: int = 32_767
    max_unpacked_bytes: int = 1 << 30
    max_in_memory_part_bytes: int = 256 << 20
    max_line_chars: int = 1 << 20


@dataclass(slots=True)
class RowSource:
    """Rows from row 1 on, in order, each a list of cell texts without trailing empty cells.

    A missing row is an empty list, so that counting gives the row number Excel shows.
    """

    format: SheetFormat
    rows: Iterator[list[str]]
    close: Callable[[], None]
    size_hint: int | None = None
    encoding: str | None = None
    delimiter: str | None = None


def trim(cells: list[str]) -> list[str]:
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    if end < len(cells):
        del cells[end:]
    return cells
