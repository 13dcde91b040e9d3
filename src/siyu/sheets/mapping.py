"""Which column of the file feeds which field: suggested from the names, confirmed by the user."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence

from siyu.sheets.errors import (
    ColumnNotInSheet,
    FieldMappedTwice,
    RequiredFieldUnmapped,
    UnknownField,
)

# Marks templates add to a column name: "手机号*", "手机号（必填）", "Phone [required]", "姓名：".
_DECORATION = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|[\s*:_\-./]")


def normalise_name(name: str) -> str:
    """A column name reduced for matching: width, case, spaces and template marks ignored."""
    return _DECORATION.sub("", unicodedata.normalize("NFKC", name).casefold())


def suggest_mapping(headers: Sequence[str], fields: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Guess ``{column name: field}`` from each field's name and aliases.

    ``fields`` lists, per field, the names a column for it usually has, most telling first
    (``{"phone": ["手机号", "手机", "电话", "mobile"]}``). Names match when equal after
    :func:`normalise_name`. Fields are served in order, each by its first alias found among the
    columns not yet taken, so a field gets at most one column and a column feeds at most one
    field. A suggestion only: the user confirms it, and it becomes a :class:`ColumnMap`.
    """
    by_name: dict[str, str] = {}
    for header in headers:
        key = normalise_name(header)
        if key:
            by_name.setdefault(key, header)
    mapping: dict[str, str] = {}
    for field, aliases in fields.items():
        for alias in (field, *aliases):
            found = by_name.get(normalise_name(alias))
            if found is not None and found not in mapping:
                mapping[found] = field
                break
    return mapping


class ColumnMap:
    """A confirmed ``{column name: field}`` mapping, checked against the file and the fields.

    Columns left out of the mapping are not imported.
    """

    def __init__(
        self,
        columns: Mapping[str, str],
        *,
        headers: Iterable[str],
        fields: Collection[str],
        required: Iterable[str] = (),
    ) -> None:
        known = set(headers)
        fed_by: dict[str, list[str]] = {}
        for header, field in columns.items():
            if header not in known:
                raise ColumnNotInSheet(column=header)
            if field not in fields:
                raise UnknownField(field=field)
            fed_by.setdefault(field, []).append(header)
        for field, feeding in fed_by.items():
            if len(feeding) > 1:
                raise FieldMappedTwice(field=field, columns="、".join(feeding))
        for field in required:
            if field not in fed_by:
                raise RequiredFieldUnmapped(field=field)
        self.columns: dict[str, str] = dict(columns)
        self._column_of = {field: feeding[0] for field, feeding in fed_by.items()}

    @property
    def fields(self) -> list[str]:
        return list(self._column_of)

    def column_for(self, field: str) -> str | None:
        """The column that feeds ``field``: what a rejected row's report names."""
        return self._column_of.get(field)

    def apply(self, row: Mapping[str, str]) -> dict[str, str]:
        """``{field: text}`` from a row as the reader yields it."""
        return {field: row.get(header, "") for header, field in self.columns.items()}
