from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["region"] = {"zh-CN": "区域", "en": "Region"}
ENTITY_LABELS["store"] = {"zh-CN": "门店", "en": "Store"}
ENTITY_LABELS["staff_account"] = {"zh-CN": "员工账号", "en": "Staff account"}


class RegionNameTaken(SiyuError):
    code = "region_name_taken"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "区域名称「{name}」已被使用，请换一个",
        "en": "The region name “{name}” is already taken; choose another",
    }


class StoreNameTaken(SiyuError):
    code = "store_name_taken"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "门店名称「{name}」已被使用，请换一个",
        "en": "The store name “{name}” is already taken; choose another",
    }


class StoreCodeTaken(SiyuError):
    code = "store_code_taken"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "门店编码「{code}」已被门店「{other}」使用",
        "en": "The store code “{code}” is already used by the store “{other}”",
    }


class RegionInUse(SiyuError):
    code = "region_in_use"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "区域「{name}」下还有 {stores} 家门店，不能删除；请先把这些门店移到其他区域",
        "en": "The region “{name}” still holds {stores} store(s) and cannot be deleted; "
        "move them to another region first",
    }


class StoreInUse(SiyuError):
    code = "store_in_use"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "门店「{name}」仍有 {staff} 个员工账号、{managers} 位店长、{customers} 位客户，"
        "不能删除；可将门店状态改为「已关闭」",
        "en": "The store “{name}” still has {staff} staff account(s), {managers} shop "
        "manager(s) and {customers} customer(s) and cannot be deleted; mark it closed instead",
    }


class IncompleteLocation(SiyuError):
    code = "incomplete_location"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "经度和纬度需同时填写或同时清空",
        "en": "Latitude and longitude go together: give both or neither",
    }


class NotShopManager(SiyuError):
    code = "not_shop_manager"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "只有角色为「店长」的成员才能负责门店：{names}",
        "en": "Only members with the shop manager role can look after stores: {names}",
    }


class RotationOutOfOrder(SiyuError):
    code = "rotation_out_of_order"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "轮换开始时间不能早于当前这一轮的开始时间（{since}）",
        "en": "A rotation cannot start before the current period began ({since})",
    }
