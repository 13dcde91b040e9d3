from __future__ import annotations

from typing import Any, ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale, pick
from siyu.segments.rules import RuleError

ENTITY_LABELS["segment"] = {"zh-CN": "人群", "en": "Segment"}
ENTITY_LABELS["behaviour_rule"] = {"zh-CN": "行为标签规则", "en": "Behaviour rule"}

# Why a rule cannot be read, for the operator (the path says where).
REASONS: dict[str, dict[Locale, str]] = {
    "too_deep": {"zh-CN": "条件嵌套超过 {limit} 层", "en": "nested more than {limit} levels"},
    "too_many_clauses": {
        "zh-CN": "条件超过 {limit} 个",
        "en": "more than {limit} conditions",
    },
    "not_an_object": {"zh-CN": "应为一个条件或条件组", "en": "should be a condition or a group"},
    "mixed_keys": {
        "zh-CN": "and / or / not 不能与其他键混用",
        "en": "and / or / not cannot be mixed with other keys",
    },
    "empty_list": {"zh-CN": "至少需要一项", "en": "needs at least one item"},
    "unknown_key": {"zh-CN": "不认识的键", "en": "unknown key"},
    "unknown_field": {"zh-CN": "不认识的字段", "en": "unknown field"},
    "unknown_op": {"zh-CN": "该字段不支持此比较方式", "en": "this field has no such operator"},
    "no_value_expected": {"zh-CN": "此比较方式不需要值", "en": "this operator takes no value"},
    "too_many_values": {"zh-CN": "最多 {limit} 个值", "en": "at most {limit} values"},
    "not_an_id": {"zh-CN": "应为编号", "en": "should be an id"},
    "not_text": {"zh-CN": "应为非空文字", "en": "should be non-empty text"},
    "too_long": {"zh-CN": "不能超过 {limit} 个字", "en": "at most {limit} characters"},
    "bad_gender": {
        "zh-CN": "性别应为 0（未知）、1（男）或 2（女）",
        "en": "gender is 0 (unknown), 1 (male) or 2 (female)",
    },
    "bad_days": {"zh-CN": "天数应在 1 到 {limit} 之间", "en": "days must be 1 to {limit}"},
    "bad_number": {"zh-CN": "应为 {low} 到 {high} 的整数", "en": "a whole number {low} to {high}"},
    "bad_date": {"zh-CN": "日期格式应为 YYYY-MM-DD", "en": "dates are YYYY-MM-DD"},
    "bad_range": {"zh-CN": "日期范围应有 from 和 to", "en": "a date range has from and to"},
    "range_reversed": {"zh-CN": "结束日期早于开始日期", "en": "ends before it starts"},
    "bad_follow": {
        "zh-CN": "好友状态应为 friend 或 deleted",
        "en": "follow is friend or deleted",
    },
}


class BadRule(SiyuError):
    code = "segment_bad_rule"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "人群规则有误（{path}）：{reason}",
        "en": "The segment rule is wrong at {path}: {reason}",
    }

    def __init__(self, error: RuleError) -> None:
        self.error = error
        super().__init__(
            {"path": error.path, "reason": error.reason, **error.params},
            path=error.path,
            reason="",
        )

    def message(self, locale: Locale) -> str:
        texts = REASONS.get(self.error.reason)
        params: dict[str, Any] = dict(self.error.params)
        reason = pick(texts, locale).format(**params) if texts else self.error.reason
        return pick(self.messages, locale).format(path=self.error.path, reason=reason)


class UnknownReferences(SiyuError):
    code = "segment_unknown_references"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "规则里的这些{what_zh}不存在：{ids}",
        "en": "These {what_en} in the rule do not exist: {ids}",
    }


class DuplicateName(SiyuError):
    code = "segment_duplicate_name"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "已有同名人群：{name}",
        "en": "A segment named {name} already exists",
    }
