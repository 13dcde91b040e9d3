"""Why a customer of a transfer was refused or failed: stable codes, WeCom's answers mapped onto
them, and a sentence per language that says what happened and what can be done."""

from __future__ import annotations

from siyu.i18n import Locale, pick

CUSTOMER_REFUSED = "customer_refused"
TAKEOVER_LIMIT = "takeover_limit"
TOO_FREQUENT = "too_frequent"
IN_PROGRESS = "in_progress"
NOT_FOLLOWER = "not_follower"
SAME_STAFF = "same_staff"
NOT_RESIGNED = "not_resigned"
NO_RECORD = "no_record"
NOT_CONNECTED = "not_connected"
WECOM_ERROR = "wecom_error"

# WeCom's per-customer errcodes of transfer_customer / resigned/transfer_customer.
BY_ERRCODE: dict[int, str] = {
    40128: TOO_FREQUENT,
    40129: IN_PROGRESS,
    40100: IN_PROGRESS,
    40130: SAME_STAFF,
    40131: NOT_FOLLOWER,
    40097: NOT_RESIGNED,
    40099: TAKEOVER_LIMIT,
}

# transfer_fail's FailReason.
BY_FAIL_REASON: dict[str, str] = {
    "customer_refused": CUSTOMER_REFUSED,
    "customer_limit_exceed": TAKEOVER_LIMIT,
}

# WeCom allows each customer at most this many transfers within this many days.
LIMIT_TRANSFERS, LIMIT_DAYS = 2, 90

TEXTS: dict[str, dict[Locale, str]] = {
    CUSTOMER_REFUSED: {
        "zh-CN": "客户拒绝了转接（客户在 24 小时内可以拒绝），仍由原成员跟进。",
        "en": "The customer refused the transfer (customers may refuse within 24 hours); the "
        "original account keeps them.",
    },
    TAKEOVER_LIMIT: {
        "zh-CN": "接替成员的客户数已达企业微信上限，无法再接收客户："
        "请先为其清理客户，或换一位接替成员。",
        "en": "The takeover account has reached WeCom's limit on customers and can take no more: "
        "free some up, or choose another takeover account.",
    },
    TOO_FREQUENT: {
        "zh-CN": "该客户 90 天内已被转接 2 次："
        "企业微信规定每位客户 90 天内最多转接 2 次，请稍后再试。",
        "en": "This customer has been transferred twice within 90 days: WeCom allows at most 2 "
        "transfers per customer in 90 days; try again later.",
    },
    IN_PROGRESS: {
        "zh-CN": "该客户正在另一次转接中，需等其结束后再转接。",
        "en": "This customer is already being transferred; wait for that transfer to finish.",
    },
    NOT_FOLLOWER: {
        "zh-CN": "原跟进成员已不是该客户的好友，无需转接。",
        "en": "The handover account is no longer the customer's friend; there is nothing to move.",
    },
    SAME_STAFF: {
        "zh-CN": "原跟进成员与接替成员是同一人。",
        "en": "The handover and takeover accounts are the same.",
    },
    NOT_RESIGNED: {
        "zh-CN": "原跟进成员尚未在企业微信中离职，离职继承不可用：请改用在职继承。",
        "en": "The handover account has not left the corp in WeCom, so resigned inheritance does "
        "not apply: use an active transfer.",
    },
    NO_RECORD: {
        "zh-CN": "企业微信没有这次转接的记录，客户未被转接：可以重新发起。",
        "en": "WeCom holds no record of this transfer and the customer was not moved; start it "
        "again.",
    },
    NOT_CONNECTED: {
        "zh-CN": "尚未连接企业微信，无法转接。",
        "en": "Not connected to WeCom; nothing could be transferred.",
    },
    WECOM_ERROR: {
        "zh-CN": "企业微信拒绝了转接（错误码 {errcode}）：{errmsg}",
        "en": "WeCom refused the transfer (errcode {errcode}): {errmsg}",
    },
}


def for_errcode(errcode: int) -> str:
    return BY_ERRCODE.get(errcode, WECOM_ERROR)


def text(reason: str, locale: Locale, *, errcode: int | None = None, errmsg: str = "") -> str:
    if not reason:
        return ""
    texts = TEXTS.get(reason, TEXTS[WECOM_ERROR])
    return pick(texts, locale).format(
        errcode=errcode if errcode is not None else "-", errmsg=errmsg
    )
