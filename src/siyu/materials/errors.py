"""The material library's errors: stable codes with their HTTP status."""

from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["material"] = {"zh-CN": "素材", "en": "Material"}
ENTITY_LABELS["material_file"] = {"zh-CN": "素材文件", "en": "Material file"}


class MaterialsUnknown(SiyuError):
    code = "materials_unknown"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些素材不存在或已归档：{ids}",
        "en": "These materials do not exist or are archived: {ids}",
    }


class BadFileType(SiyuError):
    code = "material_bad_file_type"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "{kind_zh}只支持 {allowed} 格式，收到的文件不是",
        "en": "A {kind_en} must be {allowed}; the file received is not",
    }


class FileTooLarge(SiyuError):
    code = "material_file_too_large"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "文件过大：{kind_zh}不能超过 {limit_mb} MB（企业微信的上限）",
        "en": "The file is too large: a {kind_en} may be at most {limit_mb} MB (WeCom's limit)",
    }


class FileRequired(SiyuError):
    code = "material_file_required"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请上传文件（表单字段 file），文件不能为空",
        "en": "Upload the file (form field “file”); it must not be empty",
    }


class BadUrl(SiyuError):
    code = "material_bad_url"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "链接应以 http:// 或 https:// 开头并包含域名：{url}",
        "en": "A link must start with http:// or https:// and name a host: {url}",
    }


class BadAppid(SiyuError):
    code = "material_bad_appid"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "小程序 AppID 应为 wx 加 16 位十六进制字符：{appid}",
        "en": "A mini-program AppID is wx followed by 16 hex characters: {appid}",
    }


class BadCover(SiyuError):
    code = "material_bad_cover"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "封面应为素材库中的一张图片：{reason_zh}",
        "en": "The cover must be an image of the library: {reason_en}",
    }


class WrongKind(SiyuError):
    code = "material_wrong_kind"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "{field} 不适用于{kind_zh}素材",
        "en": "{field} does not apply to a {kind_en} material",
    }


class AttachmentsNotAllowed(SiyuError):
    code = "material_attachments_not_allowed"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "附件组合不被企业微信接受：{reason_zh}",
        "en": "WeCom does not accept these attachments: {reason_en}",
    }


class TitleTooLong(SiyuError):
    code = "material_title_too_long"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "{kind_zh}标题不能超过 {limit} 字节（约 {chars} 个汉字，企业微信的上限）",
        "en": "A {kind_en} title may be at most {limit} bytes (about {chars} Chinese characters)",
    }


class TitleRequired(SiyuError):
    code = "material_title_required"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "请填写标题",
        "en": "A title is required",
    }


class MaterialFileMissing(SiyuError):
    code = "material_file_missing"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "素材“{title}”的文件已不在存储中，请重新上传后再使用",
        "en": "The file of material “{title}” is no longer stored; upload it again to use it",
    }
