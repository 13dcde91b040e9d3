"""Moments' stable error codes."""

from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["moment_post"] = {"zh-CN": "朋友圈内容", "en": "Moments post"}


class EmptyPost(SiyuError):
    code = "moments_empty"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "朋友圈内容需要文字或附件",
        "en": "A Moments post needs text or attachments",
    }


class NoSenders(SiyuError):
    code = "moments_no_senders"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请选择发表的员工或部门，或选择全部员工",
        "en": "Choose the staff accounts or departments that post it, or all staff",
    }


class UnknownStaff(SiyuError):
    code = "moments_unknown_staff"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些员工账号不存在或已离职：{ids}",
        "en": "These staff accounts do not exist or have left: {ids}",
    }


class UnknownDepartments(SiyuError):
    code = "moments_unknown_departments"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些部门不存在：{ids}",
        "en": "These departments do not exist: {ids}",
    }


class UnknownTags(SiyuError):
    code = "moments_unknown_tags"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些标签不存在：{ids}",
        "en": "These tags do not exist: {ids}",
    }


class TagsNotInWeCom(SiyuError):
    code = "moments_tags_not_in_wecom"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些标签尚未同步到企业微信，稍后再试：{names}",
        "en": "These tags are not in WeCom yet; try again shortly: {names}",
    }


class TimeInPast(SiyuError):
    code = "moments_time_past"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "发表时间已过，请选择将来的时间或立即发表",
        "en": "That time has passed; choose a later time or post now",
    }


class TimeTooFar(SiyuError):
    code = "moments_time_too_far"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "发表时间最多可排到 {days} 天之后",
        "en": "Posts can be planned at most {days} days ahead",
    }


class NoTime(SiyuError):
    code = "moments_no_time"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "排期发表需要发表时间",
        "en": "A scheduled post needs a time",
    }


class BadRange(SiyuError):
    code = "moments_bad_range"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "日期范围有误：结束不能早于开始，且最多 {days} 天",
        "en": "Bad date range: it must not end before it starts and spans at most {days} days",
    }


class BadSlot(SiyuError):
    code = "moments_bad_slot"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "推荐时段应为 HH:MM（00:00–23:59），且不重复：{slot}",
        "en": "Suggested times are HH:MM (00:00–23:59), each once: {slot}",
    }


class NotEditable(SiyuError):
    code = "moments_not_editable"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该内容当前状态为 {state}，不能再修改",
        "en": "This post is {state} and can no longer be changed",
    }


class NotCancellable(SiyuError):
    code = "moments_not_cancellable"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该内容正在创建或已结束，现在不能取消",
        "en": "This post is being created or has ended; it cannot be cancelled now",
    }


class NotConnected(SiyuError):
    code = "moments_not_connected"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "尚未连接企业微信，无法同步朋友圈结果",
        "en": "WeCom is not connected; Moments results cannot be read",
    }
