"""The rows an import left out and why, handed back to the user as a spreadsheet to fix."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

from siyu.errors import SiyuError
from siyu.i18n import DEFAULT_LOCALE, Locale, pick
from siyu.sheets.writer import write_xlsx

_HEADERS: dict[Locale, list[str]] = {
    "zh-CN": ["行号", "列", "值", "原因"],
    "en": ["Row", "Column", "Value", "Reason"],
}
_SHEET_TITLE: dict[Locale, str] = {"zh-CN": "未导入的行", "en": "Rejected rows"}
_OMITTED: dict[Locale, str] = {
    "zh-CN": "另有 {count} 个问题未列出（只列出前 {limit} 个）：请修正以上问题后重新导入",
    "en": "{count} more problems are not listed (only the first {limit} are):"
    " fix the ones above and import again",
}


class Reject(NamedTuple):
    row_number: int
    column: str
    value: str
    reason: str


class RejectReport:
    """Problems found while importing, in row order, each ``(row, column, value, reason)``.

    Reasons are written in ``locale``: a :class:`siyu.errors.SiyuError` is rendered in it when
    added, a plain string is taken as already written in it. Only the first ``max_stored``
    problems are kept (beyond them only counted) and each value is cut to ``max_value_chars``,
    so that a file where every row is wrong still costs bounded memory.
    """

    def __init__(
        self,
        locale: Locale = DEFAULT_LOCALE,
        *,
        max_stored: int = 100_000,
        max_value_chars: int = 500,
    ) -> None:
        self.locale: Locale = locale
        self.max_stored = max_stored
        self.max_value_chars = max_value_chars
        self.count = 0
        self.rows = 0
        self._last_row: int | None = None
        self._stored: list[Reject] = []

    def add(self, row_number: int, column: str, value: str, reason: str | SiyuError) -> None:
        """Record one problem. Fits a reader's ``on_problem``; add problems in row order."""
        self.count += 1
        if row_number != self._last_row:
            self.rows += 1
            self._last_row = row_number
        if len(self._stored) >= self.max_stored:
            return
        if len(value) > self.max_value_chars:
            value = value[: self.max_value_chars - 1] + "…"
        text = reason.message(self.locale) if isinstance(reason, SiyuError) else reason
        self._stored.append(Reject(row_number, column, value, text))

    @property
    def omitted(self) -> int:
        """Problems counted but not kept."""
        return self.count - len(self._stored)

    def __len__(self) -> int:
        return self.count

    def __bool__(self) -> bool:
        return self.count > 0

    def __iter__(self) -> Iterator[Reject]:
        return iter(self._stored)

    def write_xlsx(self, target: Path | IO[bytes]) -> None:
        """The report as an .xlsx, headers in the report's language, a note if any were cut."""
        write_xlsx(
            target,
            _HEADERS[self.locale] if self.locale in _HEADERS else _HEADERS[DEFAULT_LOCALE],
            self._lines(),
            sheet_title=pick(_SHEET_TITLE, self.locale),
            tz=dt.UTC,
        )

    def _lines(self) -> Iterator[tuple[object, ...]]:
        yield from self._stored
        if self.omitted:
            note = pick(_OMITTED, self.locale).format(count=self.omitted, limit=self.max_stored)
            yield (None, "", "", note)
