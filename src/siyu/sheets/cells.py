"""Cell values in and out: what a read cell becomes as text, and what a written cell may hold."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

# Exports show times as the operations team sees them: China Standard Time.
EXPORT_TZ = ZoneInfo("Asia/Shanghai")

# Excel's own limit; a longer cell is cut by Excel or makes it refuse the file.
EXCEL_MAX_CELL_CHARS = 32_767

# Excel and other spreadsheet programs evaluate a cell typed or imported with one of these first
# characters as a formula (OWASP "CSV injection"); a tab or carriage return is stripped first
# by some of them, so the character after it counts.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A plain signed number ("-12.5", "+8613800000000") is a constant, never a formula.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def cell_text(value: object) -> str:
    """A read cell as the text an operator would see in Excel's formula bar.

    Whole numbers lose Excel's float form (a phone number stored as a number comes back as
    ``"13800000000"``), other numbers keep Excel's 15 significant digits without an exponent,
    dates are ISO ``YYYY-MM-DD`` (with `` HH:MM:SS`` when the time is not midnight) and text is
    stripped of surrounding spaces, including full-width ones.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return number_text(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign = "-" if seconds < 0 else ""
        hours, rest = divmod(abs(seconds), 3600)
        return f"{sign}{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return str(value).strip()


def number_text(value: float | Decimal) -> str:
    """A number with Excel's 15 significant digits, never in exponent form."""
    text = format(value, ".15g")
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    return "0" if text == "-0" else text


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet program could run ``text`` as a formula when it opens the file."""
    return text.startswith(_FORMULA_STARTS) and _PLAIN_NUMBER.fullmatch(text) is None


def neutralise_for_csv(text: str) -> str:
    """Prefix a formula-like value with an apostrophe, so Excel shows it as text."""
    return "'" + text if looks_like_formula(text) else text


def excel_safe_text(text: str) -> str:
    """Drop the control characters an .xlsx cannot hold and cut at Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text[:EXCEL_MAX_CELL_CHARS]


def plain_datetime(value: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Spreadsheets have no time zones: an aware time is shown in ``tz``, then made naive."""
    if value.tzinfo is None:
        return value
    return value.astimezone(tz).replace(tzinfo=None)


def display_width(text: str) -> int:
    """Columns a text takes in Excel's default font: CJK characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
