"""Plain factory functions for the groups domain's rows."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from siyu.db import utcnow
from siyu.groups.models import (
    CODE_ACTIVE,
    Group,
    GroupCode,
    GroupCodeGroup,
    GroupMember,
    GroupWelcome,
)
from siyu.tenants.models import Tenant

_seq = itertools.count(1)


def make_group(session: Session, tenant: Tenant, name: str = "测试群", members: int = 2) -> Group:
    """A group read from WeCom with an owner and ``members - 1`` customers."""
    n = next(_seq)
    now = utcnow()
    group = Group(
        tenant_id=tenant.id,
        chat_id=f"wrfactory{n:08d}",
        name=name,
        owner_userid="staff01",
        notice=name,
        created_at=now,
        read_at=now,
        member_count=members,
        customer_count=members - 1,
    )
    session.add(group)
    session.flush()
    session.add(
        GroupMember(
            tenant_id=tenant.id,
            group_id=group.id,
            userid="staff01",
            member_type="staff",
            name=name,
            joined_at=now,
        )
    )
    for i in range(members - 1):
        session.add(
            GroupMember(
                tenant_id=tenant.id,
                group_id=group.id,
                userid=f"wmgroupfactory{n}_{i}",
                member_type="customer",
                name=name,
                joined_at=now,
                join_scene=3,
                state=f"gc{n}",
            )
        )
    session.flush()
    return group


def make_welcome(session: Session, tenant: Tenant, text: str = "欢迎 %NICKNAME%") -> GroupWelcome:
    welcome = GroupWelcome(
        tenant_id=tenant.id, name=text[:60], text=text, template_id=f"msgfactory{next(_seq)}"
    )
    session.add(welcome)
    session.flush()
    return welcome


def make_group_code(session: Session, tenant: Tenant, name: str = "测试群活码") -> GroupCode:
    """An active group code listing a new group, with a welcome."""
    group = make_group(session, tenant, name)
    welcome = make_welcome(session, tenant, name)
    n = next(_seq)
    code = GroupCode(
        tenant_id=tenant.id,
        name=name[:60],
        state=f"gcfactory{n}",
        config_id=f"cfgfactory{n}",
        qr_code=f"https://sandbox.test/sandbox/qr/cfgfactory{n}",
        auto_create=True,
        room_base_name=name[:40],
        welcome_id=welcome.id,
        status=CODE_ACTIVE,
    )
    session.add(code)
    session.flush()
    session.add(GroupCodeGroup(tenant_id=tenant.id, code_id=code.id, group_id=group.id))
    session.flush()
    return code
