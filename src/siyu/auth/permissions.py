"""Roles and what each may do. One table, enforced by one dependency (:mod:`siyu.auth.deps`)."""

from __future__ import annotations

from enum import StrEnum

from siyu.i18n import Locale


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    OPERATOR = "operator"
    SHOP_MANAGER = "shop_manager"
    STAFF = "staff"


ROLE_LABELS: dict[Role, dict[Locale, str]] = {
    Role.OWNER: {"zh-CN": "所有者", "en": "Owner"},
    Role.ADMIN: {"zh-CN": "管理员", "en": "Admin"},
    Role.OPERATOR: {"zh-CN": "运营", "en": "Operator"},
    Role.SHOP_MANAGER: {"zh-CN": "店长", "en": "Shop manager"},
    Role.STAFF: {"zh-CN": "导购", "en": "Staff"},
}


class Permission(StrEnum):
    DASHBOARD_READ = "dashboard:read"
    AUDIT_READ = "audit:read"
    USERS_READ = "users:read"
    USERS_MANAGE = "users:manage"
    TOKENS_MANAGE = "tokens:manage"
    WECOM_MANAGE = "wecom:manage"
    STAFF_READ = "staff:read"
    STAFF_SYNC = "staff:sync"
    # Record who operates a staff account from when (rotation).
    STAFF_ROTATE = "staff:rotate"
    STORES_READ = "stores:read"
    STORES_MANAGE = "stores:manage"
    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_EDIT = "customers:edit"
    CUSTOMERS_SYNC = "customers:sync"
    # Phone numbers in full (everyone else sees 138****0000).
    CUSTOMERS_PHONES = "customers:phones"
    CUSTOMERS_EXPORT = "customers:export"
    # Personal-data requests: export everything about a person, erase them.
    CUSTOMERS_PRIVACY = "customers:privacy"
    # Move customers from one staff account to another (在职继承 / 离职继承).
    CUSTOMERS_TRANSFER = "customers:transfer"
    TAGS_MANAGE = "tags:manage"
    # Channel codes (渠道活码), welcome messages and channel results.
    CODES_READ = "codes:read"
    CODES_MANAGE = "codes:manage"
    # Auto-tagging (自动打标签): keyword rules, their hits, and the chat archive they read.
    AUTOTAG_READ = "autotag:read"
    AUTOTAG_MANAGE = "autotag:manage"
    GROUPS_READ = "groups:read"
    # Sync groups from WeCom; create, edit and delete group codes and group welcome templates.
    GROUPS_MANAGE = "groups:manage"
    # Add-friend lists (拓客名单): see them and their tasks; upload, start, reassign, cancel;
    # work the tasks of the staff accounts one operates (the phone numbers shown in full).
    ADD_FRIEND_READ = "add_friend:read"
    ADD_FRIEND_MANAGE = "add_friend:manage"
    ADD_FRIEND_WORK = "add_friend:work"
    # Segments (人群): count and preview rules, see saved segments and their members; save,
    # change and delete segments, rebuild the audience index.
    SEGMENTS_READ = "segments:read"
    SEGMENTS_MANAGE = "segments:manage"
    # Moments (朋友圈): see the calendar, posts and their results; compose, schedule, cancel
    # posts and set the posting hours and the ad rule.
    MOMENTS_READ = "moments:read"
    MOMENTS_MANAGE = "moments:manage"
    # Broadcasts (群发): see broadcasts and their results; compose, schedule, cancel and remind,
    # and set the tenant's quiet hours and frequency cap.
    BROADCASTS_READ = "broadcasts:read"
    BROADCASTS_MANAGE = "broadcasts:manage"
    # The material library (素材库): see and pick materials; upload, edit and archive them.
    MATERIALS_READ = "materials:read"
    MATERIALS_MANAGE = "materials:manage"
    # The script library (话术库) and sequences (多步话术): read scripts and staff tasks, mark
    # tasks done; write scripts, categories and sequences, start and stop runs.
    SCRIPTS_READ = "scripts:read"
    SCRIPTS_MANAGE = "scripts:manage"


_EVERYTHING = frozenset(Permission)

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _EVERYTHING,
    Role.ADMIN: _EVERYTHING,
    Role.OPERATOR: frozenset(
        {
            Permission.DASHBOARD_READ,
            Permission.USERS_READ,
            Permission.STAFF_READ,
            Permission.STAFF_ROTATE,
            Permission.STORES_READ,
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_EDIT,
            Permission.CUSTOMERS_SYNC,
            Permission.CUSTOMERS_EXPORT,
            Permission.CUSTOMERS_TRANSFER,
            Permission.TAGS_MANAGE,
            Permission.CODES_READ,
            Permission.CODES_MANAGE,
            Permission.AUTOTAG_READ,
            Permission.AUTOTAG_MANAGE,
            Permission.GROUPS_READ,
            Permission.GROUPS_MANAGE,
            Permission.ADD_FRIEND_READ,
            Permission.ADD_FRIEND_MANAGE,
            Permission.ADD_FRIEND_WORK,
            Permission.SEGMENTS_READ,
            Permission.SEGMENTS_MANAGE,
            Permission.MOMENTS_READ,
            Permission.MOMENTS_MANAGE,
            Permission.BROADCASTS_READ,
            Permission.BROADCASTS_MANAGE,
            Permission.MATERIALS_READ,
            Permission.MATERIALS_MANAGE,
            Permission.SCRIPTS_READ,
            Permission.SCRIPTS_MANAGE,
        }
    ),
    # Shop managers and staff see the dashboard of what their scope holds; a shop manager's
    # stores and customers are limited to the stores they look after (siyu.stores.service).
    Role.SHOP_MANAGER: frozenset(
        {
            Permission.DASHBOARD_READ,
            Permission.USERS_READ,
            Permission.STAFF_READ,
            Permission.STORES_READ,
            Permission.CUSTOMERS_READ,
            Permission.CUSTOMERS_EDIT,
            Permission.CODES_READ,
            Permission.AUTOTAG_READ,
            # The lists' progress and tasks of their stores' staff accounts.
            Permission.ADD_FRIEND_READ,
            Permission.ADD_FRIEND_WORK,
            Permission.MATERIALS_READ,
            Permission.SCRIPTS_READ,
        }
    ),
    Role.STAFF: frozenset(
        {
            Permission.DASHBOARD_READ,
            Permission.ADD_FRIEND_WORK,
            Permission.MATERIALS_READ,
            Permission.SCRIPTS_READ,
        }
    ),
}

# What an integrator's API token may be granted: reading and pushing data, never administration.
TOKEN_SCOPES: dict[Permission, dict[Locale, str]] = {
    Permission.DASHBOARD_READ: {"zh-CN": "读取数据概览", "en": "Read the dashboard"},
    Permission.AUDIT_READ: {"zh-CN": "读取操作日志", "en": "Read the audit log"},
    Permission.USERS_READ: {"zh-CN": "读取成员账号", "en": "Read members"},
    Permission.STAFF_READ: {"zh-CN": "读取员工与部门", "en": "Read staff and departments"},
    Permission.STORES_READ: {"zh-CN": "读取区域与门店", "en": "Read regions and stores"},
    Permission.CUSTOMERS_READ: {
        "zh-CN": "读取客户（手机号脱敏）",
        "en": "Read customers (masked phones)",
    },
    Permission.CUSTOMERS_EDIT: {
        "zh-CN": "修改客户资料与标签",
        "en": "Edit customers and their tags",
    },
    Permission.CODES_READ: {
        "zh-CN": "读取渠道活码与渠道效果",
        "en": "Read channel codes and their results",
    },
    Permission.AUTOTAG_READ: {
        "zh-CN": "读取关键词规则、命中记录与会话存档状态",
        "en": "Read keyword rules, their hits and the chat archive's status",
    },
    Permission.GROUPS_READ: {
        "zh-CN": "读取客户群、群成员与群活码",
        "en": "Read customer groups, their members and group codes",
    },
    Permission.SEGMENTS_READ: {
        "zh-CN": "读取人群与人数",
        "en": "Read segments and count them",
    },
    Permission.MOMENTS_READ: {
        "zh-CN": "读取朋友圈日历、内容与发表结果",
        "en": "Read the Moments calendar, posts and their results",
    },
    Permission.BROADCASTS_READ: {
        "zh-CN": "读取群发与发送结果",
        "en": "Read broadcasts and their results",
    },
    Permission.MATERIALS_READ: {
        "zh-CN": "读取素材库（图片、视频、文件、链接、小程序）",
        "en": "Read the material library (images, videos, files, links, mini-programs)",
    },
    Permission.SCRIPTS_READ: {
        "zh-CN": "读取话术库、多步话术与员工任务",
        "en": "Read scripts, sequences and staff tasks",
    },
}

# Roles that may be given by someone holding users:manage; only an owner makes owners.
ASSIGNABLE_BY: dict[Role, frozenset[Role]] = {
    Role.OWNER: frozenset(Role),
    Role.ADMIN: frozenset(Role) - {Role.OWNER},
}
