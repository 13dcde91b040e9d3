"""Large files stream: memory stays flat however many rows are read or written.

Each test reads 100,000 rows under tracemalloc and checks two things: the peak stays far below
what holding the file would take, and what is allocated at the last row is no more than at
the ten-thousandth (a reader keeping even a hundred bytes per row would hold 9 MB more).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from siyu.sheets import open_sheet, write_csv, write_xlsx

ROWS = 100_000
HEADERS = ["姓名", "手机号"]


def customers() -> Iterator[tuple[object, ...]]:
    for i in range(ROWS):
        yield (f"客户{i}", 13800000000 + i)


def read_traced(path: Path) -> tuple[int, int, int, int]:
    """Rows read, last row number, growth in bytes from row 10,000 to the end, peak bytes."""
    tracemalloc.start()
    try:
        count = last = at_ten_thousand = 0
        with open_sheet(path, path.name) as reader:
            for number, row in reader:
                count, last = count + 1, number
                if count == 10_000:
                    at_ten_thousand = tracemalloc.get_traced_memory()[0]
                assert row["手机号"] == str(13800000000 + count - 1)
            growth = tracemalloc.get_traced_memory()[0] - at_ten_thousand
        return count, last, growth, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_large_xlsx_streams_out_and_back_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    assert write_xlsx(path, HEADERS, customers()) == ROWS
    count, last, growth, peak = read_traced(path)
    assert (count, last) == (ROWS, ROWS + 1)
    assert growth < 1 << 20
    assert peak < 20 << 20


def test_a_large_csv_streams_in_flat_memory(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, HEADERS, customers())
    count, last, growth, peak = read_traced(path)
    assert (count, last) == (ROWS, ROWS + 1)
    assert growth < 1 << 20
    assert peak < 20 << 20
