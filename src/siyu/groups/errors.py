from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["group"] = {"zh-CN": "客户群", "en": "Customer group"}
ENTITY_LABELS["group_code"] = {"zh-CN": "群活码", "en": "Group code"}
ENTITY_LABELS["group_welcome"] = {"zh-CN": "入群欢迎语", "en": "Group welcome"}


class GroupUnusable(SiyuError):
    code = "group_unusable"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "客户群「{name}」{reason}，不能放进群活码",
        "en": "The group “{name}” {reason} and cannot be listed in a group code",
    }


class StateTaken(SiyuError):
    code = "group_code_state_taken"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "渠道参数 state「{state}」已被另一个群活码使用，请换一个",
        "en": "The state “{state}” is used by another group code; choose another",
    }


class CodeNotReady(SiyuError):
    code = "group_code_not_ready"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该群活码还没有在企业微信创建成功（{status}），请删除后重新创建",
        "en": "This group code was not created in WeCom ({status}); delete it and create it again",
    }


class WelcomeInUse(SiyuError):
    code = "group_welcome_in_use"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该欢迎语仍被 {count} 个群活码引用，请先在群活码中取消引用",
        "en": "{count} group code(s) still refer to this welcome; detach it from them first",
    }
