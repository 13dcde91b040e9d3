"""Rows of a CSV, streamed, in whichever encoding and delimiter the file was saved with.

Excel on a Chinese Windows saves "CSV" in GBK (read here as GB18030, its superset) and
"CSV UTF-8" with a byte order mark; "Unicode text" is tab-separated UTF-16. Other tools write
plain UTF-8, and European settings use semicolons.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from siyu.sheets.errors import (
    SheetEncodingUnknown,
    SheetFormatUnsupported,
    SheetRowTooLarge,
)
from siyu.sheets.source import RowSource, SheetLimits, trim

_CHUNK = 1 << 20
_SAMPLE = 64 << 10
_DELIMITERS = (",", "\t", ";")
# Control characters a text file does not hold; more than a few means a binary file.
_CONTROL = frozenset(chr(c) for c in range(32)) - {"\t", "\n", "\r", "\f", "\x1a"}


def open_csv(path: Path, filename: str, limits: SheetLimits) -> RowSource:
    encoding = detect_encoding(path, filename)
    handle = path.open(encoding=encoding, newline="")
    try:
        sample = handle.read(_SAMPLE)
        if _looks_binary(sample) or sample.lstrip().startswith("<"):
            # An HTML or XML page saved under a spreadsheet's name, or a binary file.
            raise SheetFormatUnsupported(filename=filename)
        delimiter = sniff_delimiter(sample)
        handle.seek(0)
        reader = csv.reader(_lines(handle, limits.max_line_chars), delimiter=delimiter)
    except BaseException:
        handle.close()
        raise
    return RowSource(
        format="csv",
        rows=_records(reader),
        close=handle.close,
        size_hint=_size_hint(path),
        encoding=encoding,
        delimiter=delimiter,
    )


def detect_encoding(path: Path, filename: str) -> str:
    """The first of UTF-8 and GB18030 that decodes the whole file, or the one its BOM names.

    The whole file is decoded once, a chunk at a time: a file whose first rows are ASCII may
    still hold GBK further down.
    """
    with path.open("rb") as file:
        head = file.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ("utf-16",)
    else:
        candidates = ("utf-8", "gb18030")
    for encoding in candidates:
        if _decodes(path, encoding, filename):
            return encoding
    raise SheetEncodingUnknown(filename=filename)


def _decodes(path: Path, encoding: str, filename: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    wide = encoding == "utf-16"
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            if not wide and b"\x00" in chunk:
                raise SheetFormatUnsupported(filename=filename)
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
            if wide and "\x00" in text:
                raise SheetFormatUnsupported(filename=filename)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _looks_binary(sample: str) -> bool:
    controls = sum(1 for ch in sample if ch in _CONTROL)
    return controls > max(8, len(sample) // 100)


def sniff_delimiter(sample: str) -> str:
    """Comma, tab or semicolon: whichever the first lines hold most of outside quotes."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    for line in lines[:10]:
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in counts:
                counts[ch] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties keep the comma, listed first
    return best if counts[best] else ","


def _lines(handle: TextIO, limit: int) -> Iterator[str]:
    number = 0
    while line := handle.readline(limit + 1):
        number += 1
        if len(line) > limit:
            raise SheetRowTooLarge(line=number)
        yield line


def _records(reader: Iterator[list[str]]) -> Iterator[list[str]]:
    try:
        for record in reader:
            yield trim([cell.strip() for cell in record])
    except csv.Error as exc:
        # The csv module's own bound on one cell (128K characters) was passed: an unclosed
        # quote has swallowed the lines after it.
        raise SheetRowTooLarge(line=getattr(reader, "line_num", 0)) from exc


def _size_hint(path: Path) -> int | None:
    """Rows in the file, estimated from the lines in its first 64 KB."""
    size = path.stat().st_size
    with path.open("rb") as file:
        sample = file.read(_SAMPLE)
    lines = sample.count(b"\n")
    if not lines:
        return None
    if len(sample) >= size:
        return lines + (0 if sample.endswith(b"\n") else 1)
    return round(size * lines / len(sample))
