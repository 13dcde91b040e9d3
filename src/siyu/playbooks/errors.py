from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["playbook"] = {"zh-CN": "群日历", "en": "Group playbook"}


class DuplicateName(SiyuError):
    code = "playbook_duplicate_name"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "已有同名群日历：{name}",
        "en": "A group playbook named {name} already exists",
    }


class EmptyPost(SiyuError):
    code = "playbook_empty_post"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "第 {n} 条内容为空：请填写文字或选择素材",
        "en": "Post {n} is empty: write a text or choose materials",
    }


class DuplicateSlot(SiyuError):
    code = "playbook_duplicate_slot"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "{at} 已有一条内容，同一时间只能发一条",
        "en": "There is already a post at {at}; one post per time",
    }
