from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["broadcast"] = {"zh-CN": "群发", "en": "Broadcast"}


class BadAudience(SiyuError):
    code = "broadcast_bad_audience"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群发对象有误：{reason}",
        "en": "The audience is wrong: {reason}",
    }


class EmptyMessage(SiyuError):
    code = "broadcast_empty"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群发内容为空：请填写文字或选择素材",
        "en": "Nothing to send: write a text or choose materials",
    }


class BadTime(SiyuError):
    code = "broadcast_bad_time"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "发送时间有误：{reason}",
        "en": "The send time is wrong: {reason}",
    }


class UnknownVariables(SiyuError):
    code = "broadcast_unknown_variables"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群发不支持这些变量：{names}（群发只能用发送人相关的变量）",
        "en": "Broadcasts cannot use these variables: {names} (only the sender's)",
    }


class NotEditable(SiyuError):
    code = "broadcast_not_editable"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群发已在发送，不能再修改（当前状态：{state}）",
        "en": "The broadcast is already being sent and cannot change (now: {state})",
    }


class NothingToRemind(SiyuError):
    code = "broadcast_nothing_to_remind"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "只有已发出、等待员工确认的群发可以提醒（当前状态：{state}）",
        "en": "Only a broadcast sent and waiting for its staff can be reminded (now: {state})",
    }


class RemindLimit(SiyuError):
    code = "broadcast_remind_limit"
    status_code = 429
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信限制每条群发 24 小时内最多提醒 3 次",
        "en": "WeCom allows at most 3 reminders per broadcast in 24 hours",
    }


class WrongAudienceKind(SiyuError):
    code = "broadcast_wrong_audience_kind"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "群发到客户群须选择客户群；群发到客户须选择客户",
        "en": "A broadcast to groups needs groups; a broadcast to customers needs customers",
    }


class UnknownGroups(SiyuError):
    code = "broadcast_unknown_groups"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些客户群不存在：{ids}",
        "en": "These groups do not exist: {ids}",
    }
