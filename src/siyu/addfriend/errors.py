"""Why an add-friend list or task refuses a change: each says what to do instead."""

from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["add_friend_list"] = {"zh-CN": "拓客名单", "en": "Add-friend list"}
ENTITY_LABELS["add_friend_task"] = {"zh-CN": "加好友任务", "en": "Add-friend task"}


class ListStarted(SiyuError):
    code = "add_friend_list_started"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "名单已开始导入，文件、列映射和分配的员工不能再改；如需重来请取消后重新上传",
        "en": "The list has started: its file, mapping and staff can no longer change;"
        " cancel it and upload again to redo it",
    }


class ListClosed(SiyuError):
    code = "add_friend_list_closed"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "名单已取消或导入失败，不能再修改",
        "en": "The list was cancelled or failed to import; it can no longer change",
    }


class NoStaff(SiyuError):
    code = "add_friend_no_staff"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请至少选择一个在职的员工账号（或有在职员工的门店）来领取任务",
        "en": "Choose at least one staff account still on the staff (or a store that has one)"
        " to take the tasks",
    }


class UnknownStaff(SiyuError):
    code = "add_friend_unknown_staff"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "没有在职的企业微信成员「{userid}」：请检查账号，或先同步员工",
        "en": "There is no WeCom account “{userid}” on the staff: check it, or sync the staff",
    }


class TaskClosed(SiyuError):
    code = "add_friend_task_closed"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该任务已完成、已跳过或已取消，不能再标记",
        "en": "This task is done, skipped or cancelled; it can no longer be marked",
    }


class NotYourTask(SiyuError):
    code = "add_friend_not_your_task"
    status_code = 403
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这不是你所使用的员工账号的任务；请运营或管理员处理",
        "en": "This task belongs to a staff account you do not operate; ask an operator",
    }


class SkipNoteRequired(SiyuError):
    code = "add_friend_skip_note_required"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "选择「其他」时请写明原因",
        "en": "Say why when the reason is “other”",
    }
