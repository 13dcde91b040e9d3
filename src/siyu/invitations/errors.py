from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["invitation"] = {"zh-CN": "拉群邀请", "en": "Group invitation"}


class UnknownCode(SiyuError):
    code = "invitation_unknown_code"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群活码不存在或已删除",
        "en": "The group code does not exist or was deleted",
    }


class CodeNotLive(SiyuError):
    code = "invitation_code_not_live"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群活码还不能使用（{status}）：请选择已在企业微信创建成功的群活码",
        "en": "The group code cannot be used yet ({status}): choose one WeCom has created",
    }


class EmptyText(SiyuError):
    code = "invitation_empty_text"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请填写邀请语",
        "en": "Write the invitation text",
    }
