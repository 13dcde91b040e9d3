from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["keyword_rule"] = {"zh-CN": "关键词规则", "en": "Keyword rule"}


class UnknownTags(SiyuError):
    code = "keyword_unknown_tags"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些标签不存在或正在删除：{tag_ids}",
        "en": "These tags do not exist or are being deleted: {tag_ids}",
    }
