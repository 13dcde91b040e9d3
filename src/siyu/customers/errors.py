from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["customer"] = {"zh-CN": "客户", "en": "Customer"}
ENTITY_LABELS["churn_alert"] = {"zh-CN": "流失提醒", "en": "Churn alert"}


class CustomerErased(SiyuError):
    code = "customer_erased"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该客户的个人信息已按要求删除，不能再修改",
        "en": "This customer's personal data was erased on request; it cannot be edited",
    }


class BadPhoneNumber(SiyuError):
    code = "bad_phone"
    status_code = 422
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "「{phone}」不是有效的手机号",
        "en": "“{phone}” is not a valid phone number",
    }


class ImportStarted(SiyuError):
    code = "import_started"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "该导入已经开始，不能再修改；如需重新导入请重新上传文件",
        "en": "This import has started and can no longer change; upload the file again to redo it",
    }


ENTITY_LABELS["customer_import"] = {"zh-CN": "导入任务", "en": "Import"}
