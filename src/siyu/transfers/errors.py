"""Why a transfer cannot be started: each a 422 that names the account or customers at fault."""

from __future__ import annotations

from typing import ClassVar

from siyu.errors import ENTITY_LABELS, SiyuError
from siyu.i18n import Locale

ENTITY_LABELS["transfer"] = {"zh-CN": "转接", "en": "Transfer"}


class TransferRefused(SiyuError):
    status_code = 422


class SameStaff(TransferRefused):
    code = "transfer_same_staff"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "原跟进成员和接替成员不能是同一人（{userid}）",
        "en": "The handover and takeover accounts must differ (both are {userid})",
    }


class UnknownStaff(TransferRefused):
    code = "transfer_unknown_staff"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "没有企业微信成员「{userid}」：请检查账号，或先同步员工",
        "en": "There is no WeCom account “{userid}”: check it, or sync the staff first",
    }


class TakeoverLeft(TransferRefused):
    code = "transfer_takeover_left"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "接替成员「{userid}」已离职，不能接收客户",
        "en": "The takeover account “{userid}” has left and cannot receive customers",
    }


class TakeoverNoContact(TransferRefused):
    code = "transfer_takeover_no_contact"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "接替成员「{userid}」未开通客户联系，不能接收客户："
        "请在管理后台「客户联系 → 权限配置」中为其开通",
        "en": "The takeover account “{userid}” does not have customer contact enabled: enable it "
        "under Customer Contact → Permissions in WeCom's admin console",
    }


class HandoverNotLeft(TransferRefused):
    code = "transfer_handover_not_left"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "「{userid}」仍在职，离职继承只适用于已离职的成员：请改用在职继承",
        "en": "“{userid}” is still on the staff; resigned inheritance is only for accounts that "
        "have left: use an active transfer",
    }


class HandoverLeft(TransferRefused):
    code = "transfer_handover_left"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "「{userid}」已离职，在职继承不可用：请改用离职继承",
        "en": "“{userid}” has left; active transfers are not possible: use resigned inheritance",
    }


class MessageNotForResigned(TransferRefused):
    code = "transfer_message_not_allowed"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "离职继承不向客户发送转接消息，请去掉 message",
        "en": "Resigned inheritance sends the customer no message; leave message out",
    }


class NoCustomers(TransferRefused):
    code = "transfer_no_customers"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "「{userid}」当前没有可转接的客户",
        "en": "“{userid}” has no customers to transfer",
    }


class NotHandoverCustomers(TransferRefused):
    code = "transfer_not_handover_customers"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "这些客户不是「{userid}」当前的好友，不能转接：{ids}",
        "en": "These customers are not current friends of “{userid}” and cannot be transferred: "
        "{ids}",
    }


class NotConnected(TransferRefused):
    code = "transfer_not_connected"
    messages: ClassVar[dict[Locale, str]] = {
        "zh-CN": "尚未连接企业微信，无法转接客户",
        "en": "Not connected to WeCom; customers cannot be transferred",
    }
