from __future__ import annotations

from typing import ClassVar

from siyu.errors import SiyuError
from siyu.i18n import Locale, pick

MISSING_LABELS: dict[str, dict[Locale, str]] = {
    "sdk_path": {
        "zh-CN": "企业微信会话存档 SDK（libWeWorkFinanceSdk_C.so）的路径，"
        "请安装后设置 SIYU_CHAT_ARCHIVE_SDK_PATH",
        "en": "the path of WeCom's Finance SDK (libWeWorkFinanceSdk_C.so): install it and set "
        "SIYU_CHAT_ARCHIVE_SDK_PATH",
    },
    "sdk_file": {
        "zh-CN": "SDK 文件 {path} 不存在",
        "en": "the SDK file {path} does not exist",
    },
    "secret": {
        "zh-CN": "会话存档 Secret（企业微信管理后台「管理工具-会话内容存档」）",
        "en": "the chat archive Secret (WeCom admin console, Management Tools › Chat Archive)",
    },
    "private_key": {
        "zh-CN": "与上传到企业微信的公钥配对的 RSA 私钥（按 publickey_ver）",
        "en": "the RSA private key matching the public key uploaded to WeCom (by publickey_ver)",
    },
}


class ArchiveNotConfigured(SiyuError):
    """The chat archive cannot be read: something it needs is not set; ``missing`` lists what
    (keys of :data:`MISSING_LABELS`)."""

    code = "chat_archive_not_configured"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "会话存档尚未配置完整，缺少：{missing}",
        "en": "The chat archive is not fully configured; missing: {missing}",
    }

    def message(self, locale: Locale) -> str:
        path = self.params.get("path", "")
        labels = [
            pick(MISSING_LABELS.get(m, {"zh-CN": m, "en": m}), locale).format(path=path)
            for m in self.params.get("missing", [])
        ]
        separator = "；" if locale == "zh-CN" else "; "
        return pick(self.messages, locale).format(missing=separator.join(labels))


class ArchiveFailed(SiyuError):
    """Reading the archive failed (the feed, the SDK or decryption); retried later."""

    code = "chat_archive_failed"
    status_code = 502
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "读取会话存档失败：{reason}",
        "en": "Reading the chat archive failed: {reason}",
    }


class ArchiveDisabled(SiyuError):
    code = "chat_archive_disabled"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "会话存档读取已停用，请先启用",
        "en": "Reading the chat archive is switched off; switch it on first",
    }
