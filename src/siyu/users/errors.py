from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale


class UsernameTaken(SiyuError):
    code = "username_taken"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "用户名 {username} 已被使用",
        "en": "The username {username} is already taken",
    }


class RoleNotAssignable(SiyuError):
    code = "role_not_assignable"
    status_code = 403
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "你不能授予或修改「{role}」角色",
        "en": "You may not grant or change the role {role}",
    }


class LastOwner(SiyuError):
    code = "last_owner"
    status_code = 409
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "不能停用或降级唯一的所有者，请先指定另一位所有者",
        "en": "The only owner cannot be disabled or demoted; make someone else owner first",
    }


ENTITY_LABELS["user"] = {"zh-CN": "成员账号", "en": "Member"}
