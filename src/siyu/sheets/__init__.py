"""Spreadsheets in and out: streamed .xlsx and CSV for imports, exports and reject reports.

Reading keeps memory flat whatever the row count (openpyxl's read-only mode, the csv module);
writing streams too (openpyxl's write-only mode). Every text written is kept from running as a
formula in Excel, and every upload is bounded by :class:`SheetLimits`.
"""

from siyu.sheets import importing
from siyu.sheets.cells import cell_text, looks_like_formula
from siyu.sheets.errors import (
    CellTooLong,
    ColumnNotInSheet,
    FieldMappedTwice,
    RequiredFieldUnmapped,
    RowTooWide,
    SheetCorrupt,
    SheetDuplicateColumn,
    SheetEmpty,
    SheetEncodingUnknown,
    SheetFormatUnsupported,
    SheetRowTooLarge,
    SheetTooLarge,
    SheetTooManyColumns,
    UnknownField,
)
from siyu.sheets.mapping import ColumnMap, normalise_name, suggest_mapping
from siyu.sheets.reader import ProblemSink, SheetReader, open_sheet
from siyu.sheets.rejects import Reject, RejectReport
from siyu.sheets.source import SheetFormat, SheetLimits
from siyu.sheets.writer import write_csv, write_xlsx

__all__ = [
    "CellTooLong",
    "ColumnMap",
    "ColumnNotInSheet",
    "FieldMappedTwice",
    "ProblemSink",
    "Reject",
    "RejectReport",
    "RequiredFieldUnmapped",
    "RowTooWide",
    "SheetCorrupt",
    "SheetDuplicateColumn",
    "SheetEmpty",
    "SheetEncodingUnknown",
    "SheetFormat",
    "SheetFormatUnsupported",
    "SheetLimits",
    "SheetReader",
    "SheetRowTooLarge",
    "SheetTooLarge",
    "SheetTooManyColumns",
    "UnknownField",
    "cell_text",
    "importing",
    "looks_like_formula",
    "normalise_name",
    "open_sheet",
    "suggest_mapping",
    "write_csv",
    "write_xlsx",
]
