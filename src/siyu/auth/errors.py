from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale


class InvalidCredentials(SiyuError):
    code = "invalid_credentials"
    status_code = 401
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "用户名或密码错误",
        "en": "Wrong username or password",
    }


class TooManyAttempts(SiyuError):
    code = "too_many_attempts"
    status_code = 429
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "登录失败次数过多，请 {minutes} 分钟后再试",
        "en": "Too many failed sign-ins; try again in {minutes} minutes",
    }


class UnknownScope(SiyuError):
    code = "unknown_scope"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "未知或不可授予的令牌权限：{scopes}",
        "en": "Unknown or non-grantable token scopes: {scopes}",
    }


ENTITY_LABELS["api_token"] = {"zh-CN": "API 令牌", "en": "API token"}
