"""Variables in script texts, one syntax across Siyu: ``{customer_name}`` — a key in braces,
shown to operators by its Chinese label (客户昵称). Customer-scope values differ per customer;
sender-scope values are the same for everything one staff account sends (a mass message renders
only those)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Literal, TypedDict

Scope = Literal["customer", "sender"]


class Variable(TypedDict):
    zh: str
    en: str
    scope: Scope


VARIABLES: dict[str, Variable] = {
    "customer_name": {"zh": "客户昵称", "en": "Customer name", "scope": "customer"},
    "staff_name": {"zh": "员工姓名", "en": "Staff name", "scope": "sender"},
    "store_name": {"zh": "门店名称", "en": "Store name", "scope": "sender"},
    "today": {"zh": "今天日期", "en": "Today's date", "scope": "sender"},
}
SENDER = frozenset(k for k, v in VARIABLES.items() if v["scope"] == "sender")
CUSTOMER = frozenset(k for k, v in VARIABLES.items() if v["scope"] == "customer")

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,39})\}")


def names(text: str) -> list[str]:
    """The variables a text uses, each once, in order of first use."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def check(text: str) -> list[str]:
    """The variable names in a text that Siyu does not know (empty when all are known)."""
    return [name for name in names(text) if name not in VARIABLES]


def render(text: str, values: Mapping[str, str], *, only: Collection[str] | None = None) -> str:
    """Fill in the variables. An unknown variable or one without a value renders empty; it
    never raises. With ``only``, variables outside it are left as they are (a staff task's text
    is rendered for the sender first, for each customer later)."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if only is not None and name not in only:
            return match.group(0)
        return str(values.get(name) or "")

    return PLACEHOLDER.sub(fill, text)


def today_label(day: object) -> str:
    """How ``{today}`` reads: 11月24日."""
    month, date = getattr(day, "month", 0), getattr(day, "day", 0)
    return f"{month}月{date}日"
