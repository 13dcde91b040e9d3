from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["channel_code"] = {"zh-CN": "渠道活码", "en": "Channel code"}


class UnknownMembers(SiyuError):
    code = "code_unknown_members"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些成员不在员工列表中或已离职：{userids}。请先同步员工，或换成在职成员",
        "en": "These members are not known staff or have left: {userids}. Sync staff first, or "
        "choose current members",
    }


class UnknownTags(SiyuError):
    code = "code_unknown_tags"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些标签不存在或正在删除：{tag_ids}",
        "en": "These tags do not exist or are being deleted: {tag_ids}",
    }


class CodeDeleted(SiyuError):
    code = "code_deleted"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该渠道活码已删除，不能再修改",
        "en": "This channel code has been deleted and cannot be changed",
    }


class CodeNotLive(SiyuError):
    code = "code_not_live"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信还没有生成该活码的二维码（状态：{status}）。{hint}",
        "en": "WeCom has not made this code's QR yet (status: {status}). {hint}",
    }


class NotConnected(SiyuError):
    code = "code_not_connected"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "尚未连接企业微信，无法生成渠道活码。请先在「企业微信」页面完成连接",
        "en": "Siyu is not connected to WeCom yet, so it cannot make channel codes. Connect it on "
        "the WeCom page first",
    }


class UnknownStore(SiyuError):
    code = "code_unknown_store"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "门店不存在或已关闭：{store_id}",
        "en": "The store does not exist or is closed: {store_id}",
    }
