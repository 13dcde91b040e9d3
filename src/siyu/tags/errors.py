from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["tag"] = {"zh-CN": "标签", "en": "Tag"}
ENTITY_LABELS["tag_group"] = {"zh-CN": "标签组", "en": "Tag group"}
ENTITY_LABELS["tagging_run"] = {"zh-CN": "批量打标签任务", "en": "Bulk tagging"}


class DuplicateTagName(SiyuError):
    """WeCom, too, refuses two tags of one name in a group, or two groups of one name."""

    code = "duplicate_tag_name"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "名称「{name}」已被使用，请换一个",
        "en": "The name “{name}” is already taken; choose another",
    }
