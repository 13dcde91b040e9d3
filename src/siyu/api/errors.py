"""Every error leaves the API as ``{"code", "message", "detail"}``, in the caller's language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from siyu.errors import (
    InternalError,
    MalformedJson,
    MethodNotAllowed,
    RouteNotFound,
    SessionExpired,
    SiyuError,
    ValidationFailed,
)
from siyu.i18n import Locale, negotiate

log = logging.getLogger("siyu.api")


class ErrorBody(BaseModel):
    code: str
    message: str
    detail: Any = None


def request_locale(request: Request) -> Locale:
    locale: Locale | None = getattr(request.state, "locale", None)
    return locale or negotiate(request.headers.get("accept-language"))


def error_response(request: Request, error: SiyuError) -> JSONResponse:
    body = ErrorBody(
        code=error.code, message=error.message(request_locale(request)), detail=error.detail
    )
    response = JSONResponse(body.model_dump(), status_code=error.status_code)
    if isinstance(error, SessionExpired):
        from siyu.api.deps import SESSION_COOKIE

        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


_FIELD_REASONS: dict[str, dict[Locale, str]] = {
    "missing": {"zh-CN": "必填", "en": "is required"},
    "string_pattern_mismatch": {"zh-CN": "格式不正确", "en": "has the wrong format"},
    "string_too_short": {
        "zh-CN": "太短（至少 {min_length} 个字符）",
        "en": "is too short (at least {min_length} characters)",
    },
    "string_too_long": {
        "zh-CN": "太长（最多 {max_length} 个字符）",
        "en": "is too long (at most {max_length} characters)",
    },
    "string_type": {"zh-CN": "必须是文本", "en": "must be text"},
    "enum": {"zh-CN": "只能是 {expected}", "en": "must be one of {expected}"},
    "literal_error": {"zh-CN": "只能是 {expected}", "en": "must be one of {expected}"},
    "int_parsing": {"zh-CN": "必须是整数", "en": "must be an integer"},
    "int_type": {"zh-CN": "必须是整数", "en": "must be an integer"},
    "bool_parsing": {"zh-CN": "必须是 true 或 false", "en": "must be true or false"},
    "bool_type": {"zh-CN": "必须是 true 或 false", "en": "must be true or false"},
    "greater_than_equal": {"zh-CN": "必须不小于 {ge}", "en": "must be at least {ge}"},
    "less_than_equal": {"zh-CN": "必须不大于 {le}", "en": "must be at most {le}"},
    "extra_forbidden": {"zh-CN": "是不认识的字段", "en": "is not an accepted field"},
    "list_type": {"zh-CN": "必须是列表", "en": "must be a list"},
    "model_attributes_type": {"zh-CN": "必须是对象", "en": "must be an object"},
    "dict_type": {"zh-CN": "必须是对象", "en": "must be an object"},
    "too_long": {
        "zh-CN": "太多（最多 {max_length} 项）",
        "en": "has too many items (at most {max_length})",
    },
    "too_short": {
        "zh-CN": "太少（至少 {min_length} 项）",
        "en": "has too few items (at least {min_length})",
    },
    "keywords_empty": {"zh-CN": "至少填写一个关键词", "en": "needs at least one keyword"},
    "keyword_too_long": {
        "zh-CN": "关键词「{keyword}」超过 {max} 个字",
        "en": "has the keyword “{keyword}”, longer than {max} characters",
    },
}


def _reason(error: dict[str, Any], locale: Locale) -> str:
    texts = _FIELD_REASONS.get(error.get("type", ""))
    if texts is None:
        return str(error.get("msg", ""))
    try:
        return texts[locale].format(**error.get("ctx", {}))
    except (KeyError, IndexError):
        return str(error.get("msg", ""))


def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    for error in errors:
        if error.get("type") == "json_invalid":
            loc = error.get("loc", ())
            position = loc[1] if len(loc) > 1 else 0
            reason = str(error.get("ctx", {}).get("error", "invalid JSON"))
            return error_response(request, MalformedJson(position=position, reason=reason))
    locale = request_locale(request)
    fields = [
        {
            "field": ".".join(str(part) for part in error.get("loc", ())),
            "reason": _reason(error, locale),
            "type": error.get("type"),
        }
        for error in errors
    ]
    summary = "; ".join(f"{f['field']} {f['reason']}" for f in fields[:3])
    return error_response(request, ValidationFailed(detail=fields, summary=summary))


def install(app: FastAPI) -> None:
    async def on_siyu_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, SiyuError)
        return error_response(request, exc)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return _validation_error(request, exc)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404:
            return error_response(
                request, RouteNotFound(method=request.method, path=request.url.path)
            )
        if exc.status_code == 405:
            return error_response(request, MethodNotAllowed(method=request.method))
        body = ErrorBody(code=f"http_{exc.status_code}", message=str(exc.detail))
        return JSONResponse(body.model_dump(), status_code=exc.status_code, headers=exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", "-")
        log.exception(
            "unhandled error in %s %s (request %s)", request.method, request.url.path, request_id
        )
        return error_response(request, InternalError(request_id=request_id))

    app.add_exception_handler(SiyuError, on_siyu_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected)


def responses(*errors: type[SiyuError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` listing each error code a route can answer, by status."""
    by_status: dict[int, list[type[SiyuError]]] = {}
    for error in errors:
        by_status.setdefault(error.status_code, []).append(error)
    return {
        status: {
            "model": ErrorBody,
            "description": "; ".join(f"`{e.code}`: {e.messages['en']}" for e in group),
        }
        for status, group in sorted(by_status.items())
    }
