"""What can go wrong with an uploaded spreadsheet, in words an operations team can act on.

File-level errors are raised: the file cannot be imported at all. Row-level ones
(:class:`CellTooLong`, :class:`RowTooWide`) are never raised; the reader hands them to its
``on_problem`` callback, usually :meth:`siyu.sheets.RejectReport.add`, and goes on.
"""

from __future__ import annotations

from typing import ClassVar

from siyu.errors import SiyuError
from siyu.i18n import Locale


class SheetFormatUnsupported(SiyuError):
    code = "sheet_format_unsupported"
    status_code = 415
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "无法识别文件「{filename}」的格式：请上传 .xlsx 或 .csv 文件"
        "（旧版 .xls 或加密的 Excel 文件请先在 Excel 中另存为不加密的 .xlsx）",
        "en": "The format of “{filename}” is not supported: upload an .xlsx or .csv file"
        " (save old .xls or password-protected workbooks as an unprotected .xlsx in Excel first)",
    }


class SheetCorrupt(SiyuError):
    code = "sheet_corrupt"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "文件「{filename}」已损坏或无法读取：请在 Excel 中打开并重新保存后再上传",
        "en": "“{filename}” is damaged or unreadable: open it in Excel, save it again and retry",
    }


class SheetEncodingUnknown(SiyuError):
    code = "sheet_encoding_unknown"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "无法识别文件「{filename}」的文字编码："
        "请另存为 UTF-8 或 GBK 编码的 CSV，或直接上传 .xlsx",
        "en": "The text encoding of “{filename}” is not recognised:"
        " save it as a UTF-8 or GBK CSV, or upload an .xlsx",
    }


class SheetTooLarge(SiyuError):
    code = "sheet_too_large"
    status_code = 413
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "文件「{filename}」解压后超过 {limit_mb} MB 上限：请拆分成多个文件后分批导入",
        "en": "“{filename}” unpacks to more than {limit_mb} MB: split it into smaller files",
    }


class SheetEmpty(SiyuError):
    code = "sheet_empty"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "文件「{filename}」中没有内容：第一个非空行应为表头（列名）",
        "en": "“{filename}” has no content: its first non-empty row should hold the column names",
    }


class SheetTooManyColumns(SiyuError):
    code = "sheet_too_many_columns"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "表头有 {count} 列，超过 {limit} 列上限：请删除不需要导入的列",
        "en": "The header row has {count} columns, more than the limit of {limit}:"
        " delete the columns you do not import",
    }


class SheetDuplicateColumn(SiyuError):
    code = "sheet_duplicate_column"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "表头中的列名「{column}」出现了不止一次：请改成不同的名字后重新上传",
        "en": "The column name “{column}” appears more than once in the header row:"
        " rename one of them and upload again",
    }


class SheetRowTooLarge(SiyuError):
    code = "sheet_row_too_large"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": '第 {line} 行附近的内容过长，通常是某个单元格的英文引号（"）没有成对：'
        "请检查该行后重新保存",
        "en": 'The content near line {line} is too long, usually because a double quote (")'
        " in a cell is not closed: check that line and save again",
    }


# Row-level problems: reported per row, the import goes on.


class CellTooLong(SiyuError):
    code = "sheet_cell_too_long"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "单元格内容超过 {limit} 个字符",
        "en": "The cell holds more than {limit} characters",
    }


class RowTooWide(SiyuError):
    code = "sheet_row_too_wide"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该行有 {count} 列，超过 {limit} 列上限",
        "en": "The row has {count} columns, more than the limit of {limit}",
    }


# Column mapping: the user's choice of which column feeds which field.


class ColumnNotInSheet(SiyuError):
    code = "sheet_column_not_found"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "文件中没有名为「{column}」的列",
        "en": "The file has no column named “{column}”",
    }


class UnknownField(SiyuError):
    code = "sheet_unknown_field"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "无法导入到字段「{field}」：没有这个字段",
        "en": "Cannot import into “{field}”: there is no such field",
    }


class FieldMappedTwice(SiyuError):
    code = "sheet_field_mapped_twice"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "字段「{field}」对应了多列（{columns}）：每个字段只能选一列",
        "en": "The field “{field}” is fed by several columns ({columns}): choose one",
    }


class RequiredFieldUnmapped(SiyuError):
    code = "sheet_required_field_unmapped"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "必填字段「{field}」没有对应的列：请在列对应关系中选择",
        "en": "The required field “{field}” has no column: choose one in the column mapping",
    }
