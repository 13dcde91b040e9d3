"""The script library's errors: stable codes with their HTTP status."""

from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["script"] = {"zh-CN": "话术", "en": "Script"}
ENTITY_LABELS["script_category"] = {"zh-CN": "话术分类", "en": "Script category"}
ENTITY_LABELS["sequence"] = {"zh-CN": "多步话术", "en": "Sequence"}
ENTITY_LABELS["sequence_run"] = {"zh-CN": "多步话术执行", "en": "Sequence run"}
ENTITY_LABELS["script_task"] = {"zh-CN": "员工任务", "en": "Staff task"}


class UnknownVariables(SiyuError):
    code = "script_unknown_variables"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "文本里有不认识的变量：{names}（可用：{known}）",
        "en": "The text uses unknown variables: {names} (known: {known})",
    }


class UnknownCategory(SiyuError):
    code = "script_unknown_category"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "话术分类不存在：{category_id}",
        "en": "No such script category: {category_id}",
    }


class CategoryTooDeep(SiyuError):
    code = "script_category_too_deep"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "话术分类最多两级",
        "en": "Script categories go two levels deep at most",
    }


class CategoryNotEmpty(SiyuError):
    code = "script_category_not_empty"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "分类下还有 {scripts} 条话术、{children} 个子分类，请先移走或删除",
        "en": "The category still holds {scripts} scripts and {children} subcategories",
    }


class DuplicateCategory(SiyuError):
    code = "script_category_duplicate"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "同一级已有同名分类：{name}",
        "en": "A category named {name} already exists at this level",
    }


class BadSteps(SiyuError):
    code = "sequence_bad_steps"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "步骤有误：{reason_zh}",
        "en": "The steps are wrong: {reason_en}",
    }


class BadAudience(SiyuError):
    code = "sequence_run_bad_audience"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "执行对象有误：{reason_zh}",
        "en": "The audience is wrong: {reason_en}",
    }


class RunNotActive(SiyuError):
    code = "sequence_run_not_active"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该执行已{state_zh}",
        "en": "The run is already {state}",
    }


class UnknownTaskCustomers(SiyuError):
    code = "script_task_unknown_customers"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些客户不在该任务里：{ids}",
        "en": "These customers are not in the task: {ids}",
    }
