"""One error type for every domain: a stable code, its HTTP status and a message per language.

Domain code raises these; the API layer turns them into ``{"code", "message", "detail"}`` in the
caller's language and lists each route's codes in OpenAPI. Domain code never imports the API.
"""

from __future__ import annotations

from typing import Any, ClassVar

from siyu.i18n import Locale, pick


class SiyuError(Exception):
    code: ClassVar[str] = "error"
    status_code: ClassVar[int] = 400
    messages: ClassVar[dict[Locale, str]] = {"zh-CN": "请求无法完成", "en": "Request failed"}

    def __init__(self, detail: Any = None, **params: Any) -> None:
        self.detail = detail
        self.params = params
        super().__init__(self.message("en"))

    def message(self, locale: Locale) -> str:
        return pick(self.messages, locale).format(**self.params)


# What each entity is called in messages; each domain adds its own.
ENTITY_LABELS: dict[str, dict[Locale, str]] = {
    "resource": {"zh-CN": "资源", "en": "Resource"},
}


class NotFound(SiyuError):
    code = "not_found"
    status_code = 404
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "{entity}不存在或无权访问",
        "en": "{entity} not found",
    }

    def __init__(self, entity: str = "resource", detail: Any = None) -> None:
        self.entity = entity
        super().__init__(detail)

    def message(self, locale: Locale) -> str:
        label = ENTITY_LABELS.get(self.entity, {"zh-CN": self.entity, "en": self.entity})
        return pick(self.messages, locale).format(entity=pick(label, locale))


class Conflict(SiyuError):
    code = "conflict"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "与现有数据冲突：{reason}",
        "en": "Conflicts with existing data: {reason}",
    }


class InvalidInput(SiyuError):
    code = "invalid_input"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "输入有误：{reason}",
        "en": "Invalid input: {reason}",
    }


class NotAuthenticated(SiyuError):
    code = "not_authenticated"
    status_code = 401
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请先登录",
        "en": "Please sign in first",
    }


class SessionExpired(SiyuError):
    code = "session_expired"
    status_code = 401
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "登录已过期，请重新登录",
        "en": "Your session has expired, please sign in again",
    }


class InvalidToken(SiyuError):
    code = "invalid_token"
    status_code = 401
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "API 令牌无效或已被撤销",
        "en": "The API token is invalid or has been revoked",
    }


class PermissionDenied(SiyuError):
    code = "permission_denied"
    status_code = 403
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "没有权限：需要 {permission}",
        "en": "Permission denied: {permission} is required",
    }


class CsrfFailed(SiyuError):
    code = "csrf_failed"
    status_code = 403
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "安全校验失败（缺少或错误的 X-CSRF-Token），请刷新页面后重试",
        "en": "Security check failed (missing or wrong X-CSRF-Token); reload the page and retry",
    }


class ValidationFailed(SiyuError):
    code = "validation_error"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "字段校验失败：{summary}",
        "en": "Validation failed: {summary}",
    }


class MalformedJson(SiyuError):
    code = "malformed_json"
    status_code = 400
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请求体不是合法的 JSON（第 {position} 个字符附近）：{reason}",
        "en": "The request body is not valid JSON (near character {position}): {reason}",
    }


class BodyTooLarge(SiyuError):
    code = "body_too_large"
    status_code = 413
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请求体过大，上限为 {limit} 字节",
        "en": "The request body is too large; the limit is {limit} bytes",
    }


class RouteNotFound(SiyuError):
    code = "route_not_found"
    status_code = 404
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "接口不存在：{method} {path}",
        "en": "No such endpoint: {method} {path}",
    }


class MethodNotAllowed(SiyuError):
    code = "method_not_allowed"
    status_code = 405
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该接口不支持 {method} 请求",
        "en": "{method} is not allowed on this endpoint",
    }


class InternalError(SiyuError):
    code = "internal_error"
    status_code = 500
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "服务器内部错误，已记录日志（请求编号 {request_id}）",
        "en": "Internal server error, logged (request id {request_id})",
    }
