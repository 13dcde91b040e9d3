"""WeCom error codes as typed exceptions whose messages say what to do.

Each maps one ``errcode`` (or a family) to a message in zh-CN and English that names the fix: which
IP to trust, which permission to grant and where in WeCom's admin console, which limit stopped us.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from siyu.errors import SiyuError
from siyu.i18n import Locale

_IP_IN_ERRMSG = re.compile(r"from ip:\s*([^\s,]+)")
ADMIN_CONSOLE = "https://work.weixin.qq.com/wework_admin/frame"


class WeComError(SiyuError):
    """WeCom answered a non-zero ``errcode``. ``detail`` carries the code, WeCom's text and the
    endpoint, so logs and the console can show both our explanation and WeCom's own words."""

    code: ClassVar[str] = "wecom_error"
    status_code: ClassVar[int] = 502
    errcodes: ClassVar[frozenset[int]] = frozenset()
    retryable: ClassVar[bool] = False
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信返回错误 {errcode}（{endpoint}）：{errmsg}",
        "en": "WeCom returned error {errcode} ({endpoint}): {errmsg}",
    }

    def __init__(self, errcode: int, errmsg: str, endpoint: str, **params: Any) -> None:
        self.errcode = errcode
        self.errmsg = errmsg
        self.endpoint = endpoint
        detail = {"errcode": errcode, "errmsg": errmsg, "endpoint": endpoint}
        super().__init__(detail, errcode=errcode, errmsg=errmsg, endpoint=endpoint, **params)


class InvalidSecret(WeComError):
    code = "wecom_invalid_secret"
    errcodes = frozenset({40001, 40091})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "Secret 不正确（错误码 {errcode}）：请到企业微信管理后台复制正确的 Secret——客户联系 Secret 在"
        "「客户与上下游 → 客户联系 → 客户 → API」，自建应用 Secret 在「应用管理 → 自建 → 该应用」。",
        "en": "The secret is wrong (errcode {errcode}): copy it again from WeCom's admin console — the "
        "customer-contact secret under Customers & Partners → Customer Contact → Customers → API, "
        "a self-built app's secret under App Management → Self-built → the app.",
    }


class InvalidCorpId(WeComError):
    code = "wecom_invalid_corp_id"
    errcodes = frozenset({40013})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业 ID（CorpID）不正确：在管理后台「我的企业 → 企业信息」最下方可以找到以 ww 开头的企业 ID。",
        "en": "The corp id is wrong: find it (starting with ww) at the bottom of My Company → "
        "Company Info in WeCom's admin console.",
    }


class TokenInvalid(WeComError):
    code = "wecom_token_invalid"
    errcodes = frozenset({40014, 41001, 42001})
    retryable = True
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "access_token 无效或已过期（错误码 {errcode}），重新获取后仍失败：请检查是否有其他系统在用同一 Secret 频繁刷新。",
        "en": "The access_token is invalid or expired (errcode {errcode}) even after a refresh: check "
        "whether another system refreshes tokens with the same secret.",
    }


class UntrustedIp(WeComError):
    code = "wecom_untrusted_ip"
    errcodes = frozenset({60020, 301042})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信拒绝了来自 IP {ip} 的调用：请在管理后台「应用管理 → 自建 → 该应用 → 企业可信IP」中加入 {ip}。",
        "en": "WeCom refused calls from IP {ip}: add {ip} under App Management → Self-built → "
        "the app → Trusted IPs in WeCom's admin console.",
    }

    def __init__(self, errcode: int, errmsg: str, endpoint: str, **params: Any) -> None:
        found = _IP_IN_ERRMSG.search(errmsg)
        super().__init__(errcode, errmsg, endpoint, ip=found.group(1) if found else "(unknown)")


class MissingPermission(WeComError):
    code = "wecom_missing_permission"
    errcodes = frozenset({48002, 48009, 84074, 301002, 610004})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该应用没有调用 {endpoint} 的权限（错误码 {errcode}）：客户联系接口请使用客户联系 Secret，或在"
        "「客户与上下游 → 客户联系 → 客户 → API → 可调用接口的应用」中加入本应用，并确认成员在应用可见范围内。",
        "en": "The app may not call {endpoint} (errcode {errcode}): use the customer-contact secret, or "
        "add the app under Customer Contact → Customers → API → Apps that can call the API, and make "
        "sure the members are in the app's visible range.",
    }


class OutOfScope(WeComError):
    code = "wecom_out_of_scope"
    errcodes = frozenset({60011, 81013, 50002})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "成员或部门不在应用的可见范围内（错误码 {errcode}）：在「应用管理 → 该应用 → 可见范围」中加入他们。",
        "en": "The member or department is outside the app's visible range (errcode {errcode}): add "
        "them under App Management → the app → Visible range.",
    }


class NotAFriend(WeComError):
    code = "wecom_not_a_friend"
    status_code = 409
    errcodes = frozenset({84061})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该客户已不是这位成员的好友（错误码 84061），无法对其操作。",
        "en": "This customer is no longer a friend of the member (errcode 84061); nothing was done.",
    }


class RateLimited(WeComError):
    code = "wecom_rate_limited"
    status_code = 429
    errcodes = frozenset({45009, 45033})
    retryable = True
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "触发企业微信频率限制（错误码 {errcode}，{limit}）：已放慢重试仍未恢复，稍后会自动继续。",
        "en": "WeCom's rate limit was hit (errcode {errcode}, {limit}); slowing down did not clear it, "
        "the work resumes later by itself.",
    }

    def __init__(self, errcode: int, errmsg: str, endpoint: str, **params: Any) -> None:
        limit = (
            "同一资源并发调用过多 / too many concurrent calls on one resource"
            if errcode == 45033
            else "单个接口每分钟 1 万次、每小时 15 万次 / 10,000 per minute, 150,000 per hour per API"
        )
        super().__init__(errcode, errmsg, endpoint, limit=limit)


class SystemBusy(WeComError):
    code = "wecom_system_busy"
    status_code = 503
    errcodes = frozenset({-1})
    retryable = True
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信系统繁忙（错误码 -1），多次重试后仍失败，稍后会再试。",
        "en": "WeCom is busy (errcode -1) and retries did not help; it will be tried again later.",
    }


class WelcomeCodeExpired(WeComError):
    code = "wecom_welcome_code_expired"
    status_code = 409
    errcodes = frozenset({41050, 41049})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "欢迎语发送窗口已过（错误码 {errcode}）：企业微信只允许在加好友后 20 秒内用一次 welcome_code 发送欢迎语。",
        "en": "The welcome window has passed (errcode {errcode}): WeCom accepts a welcome_code once, "
        "within 20 seconds of the new friend.",
    }


class WelcomeAlreadySent(WeComError):
    code = "wecom_welcome_already_used"
    status_code = 409
    errcodes = frozenset({41051})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该 welcome_code 已被使用，或客户已与成员开始聊天（错误码 41051），不会再发欢迎语。",
        "en": "The welcome_code was already used, or the customer has started chatting (errcode "
        "41051); no second welcome is sent.",
    }


class LimitReached(WeComError):
    code = "wecom_limit_reached"
    status_code = 409
    errcodes = frozenset({40126, 41041, 41045, 40099, 41055, 40128})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "已达到企业微信的数量上限（错误码 {errcode}）：{errmsg}",
        "en": "A WeCom volume limit was reached (errcode {errcode}): {errmsg}",
    }


class GoneInWeCom(WeComError):
    code = "wecom_gone"
    status_code = 409
    errcodes = frozenset({49008, 90501, 41044})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信中已不存在（错误码 {errcode}）：群已解散、不是客户群，或活码已被删除。{errmsg}",
        "en": "It no longer exists in WeCom (errcode {errcode}): the group was dismissed, is not a "
        "customer group, or the code was deleted. {errmsg}",
    }


class InvalidArgument(WeComError):
    code = "wecom_invalid_argument"
    status_code = 400
    errcodes = frozenset({40003, 40058, 40063, 40068, 40096, 41035, 41056, 60111, 41048, 41063})
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信认为参数有误（错误码 {errcode}，{endpoint}）：{errmsg}",
        "en": "WeCom rejected an argument (errcode {errcode}, {endpoint}): {errmsg}",
    }


_BY_CODE: dict[int, type[WeComError]] = {
    errcode: error
    for error in (
        InvalidSecret,
        InvalidCorpId,
        TokenInvalid,
        UntrustedIp,
        MissingPermission,
        OutOfScope,
        NotAFriend,
        RateLimited,
        SystemBusy,
        WelcomeCodeExpired,
        WelcomeAlreadySent,
        LimitReached,
        GoneInWeCom,
        InvalidArgument,
    )
    for errcode in error.errcodes
}


def error_for(errcode: int, errmsg: str, endpoint: str) -> WeComError:
    return _BY_CODE.get(errcode, WeComError)(errcode, errmsg, endpoint)


class WeComUnavailable(SiyuError):
    code = "wecom_unavailable"
    status_code = 503
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "无法连接企业微信（{endpoint}）：{reason}。请检查服务器的网络与 DNS。",
        "en": "Could not reach WeCom ({endpoint}): {reason}. Check the server's network and DNS.",
    }


class UnexpectedResponse(SiyuError):
    code = "wecom_unexpected_response"
    status_code = 502
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "企业微信接口 {endpoint} 返回了无法识别的内容：{problem}",
        "en": "WeCom's {endpoint} answered in an unexpected shape: {problem}",
    }
