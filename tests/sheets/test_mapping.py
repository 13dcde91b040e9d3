"""Column mapping: suggested from Chinese and English names, checked before an import runs."""

from __future__ import annotations

import pytest

from siyu.sheets import (
    ColumnMap,
    ColumnNotInSheet,
    FieldMappedTwice,
    RequiredFieldUnmapped,
    UnknownField,
    normalise_name,
    suggest_mapping,
)

FIELDS = {
    "phone": ["手机号", "手机", "电话", "手机号码", "mobile", "phone number"],
    "name": ["姓名", "名字", "客户名称"],
    "remark": ["备注", "note"],
}


@pytest.mark.parametrize(
    ("header", "normal"),
    [
        ("  Phone Number ", "phonenumber"),
        ("ＰＨＯＮＥ", "phone"),
        ("手机号*", "手机号"),
        ("手机号（必填）", "手机号"),
        ("姓 名：", "姓名"),
        ("【选填】备注", "备注"),
        ("mobile_phone", "mobilephone"),
    ],
)
def test_names_are_compared_without_width_case_spaces_or_template_marks(
    header: str, normal: str
) -> None:
    assert normalise_name(header) == normal


def test_chinese_and_english_headers_are_suggested() -> None:
    headers = ["序号", "客户名称", "Mobile", "备注（选填）", "标签"]
    assert suggest_mapping(headers, FIELDS) == {
        "客户名称": "name",
        "Mobile": "phone",
        "备注（选填）": "remark",
    }


def test_the_field_name_itself_matches() -> None:
    assert suggest_mapping(["PHONE", "Name"], FIELDS) == {"PHONE": "phone", "Name": "name"}


def test_each_field_takes_its_most_telling_column_once() -> None:
    # 手机号 is listed before 电话, so it wins; 电话 stays unmapped for the user to decide.
    headers = ["电话", "手机号", "姓名", "名字"]
    assert suggest_mapping(headers, FIELDS) == {"手机号": "phone", "姓名": "name"}


def test_a_column_feeds_at_most_one_field() -> None:
    fields = {"phone": ["联系方式"], "wechat": ["联系方式", "微信"]}
    assert suggest_mapping(["联系方式", "微信"], fields) == {"联系方式": "phone", "微信": "wechat"}


def test_a_column_map_turns_rows_into_fields() -> None:
    mapping = ColumnMap(
        {"手机号": "phone", "客户名称": "name"},
        headers=["客户名称", "手机号", "标签"],
        fields=FIELDS,
        required=["phone"],
    )
    assert mapping.apply({"客户名称": "张三", "手机号": "13800000000", "标签": "VIP"}) == {
        "phone": "13800000000",
        "name": "张三",
    }
    assert mapping.apply({}) == {"phone": "", "name": ""}
    assert mapping.column_for("phone") == "手机号"
    assert mapping.column_for("remark") is None
    assert mapping.fields == ["phone", "name"]


def test_a_column_map_names_what_is_wrong() -> None:
    headers = ["手机号", "电话", "姓名"]
    with pytest.raises(ColumnNotInSheet) as missing:
        ColumnMap({"手机": "phone"}, headers=headers, fields=FIELDS)
    assert missing.value.message("zh-CN") == "文件中没有名为「手机」的列"
    with pytest.raises(UnknownField):
        ColumnMap({"手机号": "wechat"}, headers=headers, fields=FIELDS)
    with pytest.raises(FieldMappedTwice) as twice:
        ColumnMap({"手机号": "phone", "电话": "phone"}, headers=headers, fields=FIELDS)
    assert "手机号、电话" in twice.value.message("zh-CN")
    with pytest.raises(RequiredFieldUnmapped) as required:
        ColumnMap({"姓名": "name"}, headers=headers, fields=FIELDS, required=["phone"])
    assert required.value.status_code == 422
    assert "phone" in required.value.message("en")
