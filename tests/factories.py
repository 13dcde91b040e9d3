"""Plain factory functions for the foundation's rows."""

from __future__ import annotations

import itertools

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.auth import service as auth
from siyu.auth.permissions import Permission, Role
from siyu.auth.principal import Principal, system_principal
from siyu.codes.models import Acquisition, ChannelCode, WelcomeSend
from siyu.customers import service as customer_service
from siyu.customers.models import ChurnAlert, Customer, CustomerImport, Follow
from siyu.db import utcnow
from siyu.segments.models import BehaviourMember, BehaviourRule, Segment
from siyu.staff.models import StaffAccount
from siyu.stores.models import Region, Store, StoreAssignment
from siyu.tags.models import CustomerTag, Tag, TagGroup
from siyu.tenants import repository as tenants
from siyu.tenants.models import Tenant
from siyu.transfers.models import Transfer, TransferItem
from siyu.users import service as users
from siyu.users.models import User
from siyu.users.schemas import UserCreate

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def make_tenant(session: Session, name: str = "测试品牌") -> Tenant:
    n = next(_seq)
    return tenants.create(session, name=f"{name} {n}", slug=f"t{n}")


def make_user(
    session: Session,
    tenant: Tenant,
    *,
    role: Role = Role.OWNER,
    display_name: str = "测试成员",
    password: str = PASSWORD,
) -> User:
    return users.create(
        session,
        system_principal(tenant.id),
        UserCreate(
            username=f"user{next(_seq)}", display_name=display_name, password=password, role=role
        ),
    )


def make_token(
    session: Session, tenant: Tenant, *, name: str = "integration", scopes: list[str] | None = None
) -> tuple[int, str]:
    api_token, plain = auth.create_token(
        session,
        system_principal(tenant.id),
        name=name,
        scopes=scopes or [Permission.DASHBOARD_READ.value],
    )
    return api_token.id, plain


def actor(user: User) -> Principal:
    return auth.principal_for_user(user, ip="127.0.0.1")


def make_customer(
    session: Session, tenant: Tenant, name: str = "测试客户", *, userid: str = "staff01"
) -> Customer:
    """A customer who is the friend of one staff account, with a phone, a tag and an alert."""
    now = utcnow()
    n = next(_seq)
    customer = Customer(
        tenant_id=tenant.id,
        external_userid=f"wmfactory{n:08d}",
        name=name,
        owner_userid=userid,
        first_added_at=now,
        notes=name,
    )
    session.add(customer)
    session.flush()
    session.add(
        Follow(
            tenant_id=tenant.id, customer_id=customer.id, userid=userid, remark=name, added_at=now
        )
    )
    customer_service.add_phone(session, tenant.id, customer.id, f"1390000{n:04d}", "manual")
    group = make_tag_group(session, tenant, f"{name}组{n}")
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name=f"{name}{n}", wecom_id=f"etfactory{n}")
    session.add(tag)
    session.flush()
    session.add(CustomerTag(tenant_id=tenant.id, customer_id=customer.id, tag_id=tag.id))
    session.add(
        ChurnAlert(
            tenant_id=tenant.id,
            customer_id=customer.id,
            userid=userid,
            kind="deleted_by_customer",
            at=now,
            note=name,
        )
    )
    session.flush()
    return customer


def make_tag_group(session: Session, tenant: Tenant, name: str = "测试标签组") -> TagGroup:
    group = TagGroup(tenant_id=tenant.id, name=name, wecom_id=f"etgroup{next(_seq)}")
    session.add(group)
    session.flush()
    return group


def make_import(session: Session, tenant: Tenant, filename: str = "名单.xlsx") -> CustomerImport:
    imp = CustomerImport(
        tenant_id=tenant.id,
        filename=filename,
        stored_path="/nonexistent/upload.xlsx",
        sha256="0" * 64,
        format="xlsx",
        headers=["手机号"],
        mapping={"手机号": "phone"},
    )
    session.add(imp)
    session.flush()
    return imp


def make_staff_account(
    session: Session, tenant: Tenant, userid: str = "staff01", name: str = "测试导购"
) -> StaffAccount:
    """A staff account as the staff sync mirrors it."""
    account = StaffAccount(
        tenant_id=tenant.id, userid=userid, name=name, department_ids=[1], synced_at=utcnow()
    )
    session.add(account)
    session.flush()
    return account


def make_store(session: Session, tenant: Tenant, name: str = "测试门店") -> Store:
    """A store in a region of its own, with a staff account working for it."""
    n = next(_seq)
    region = Region(tenant_id=tenant.id, name=f"{name}区域{n}")
    session.add(region)
    session.flush()
    store = Store(tenant_id=tenant.id, region_id=region.id, name=name, code=f"S{n:04d}", city=name)
    session.add(store)
    session.flush()
    account = make_staff_account(session, tenant, f"storestaff{n}", name)
    session.add(
        StoreAssignment(tenant_id=tenant.id, store_id=store.id, staff_account_id=account.id)
    )
    session.flush()
    return store


def make_transfer(session: Session, tenant: Tenant, message: str = "转接测试") -> Transfer:
    """An active transfer of one customer of the tenant (made when it has none), waiting."""
    customer = session.scalar(
        select(Customer).where(Customer.tenant_id == tenant.id).order_by(Customer.id).limit(1)
    ) or make_customer(session, tenant)
    transfer = Transfer(
        tenant_id=tenant.id,
        kind="active",
        handover_userid=customer.owner_userid or "staff01",
        takeover_userid="staff02",
        message=message,
        state="waiting",
        created_by_label=message,
    )
    session.add(transfer)
    session.flush()
    session.add(
        TransferItem(
            tenant_id=tenant.id,
            transfer_id=transfer.id,
            customer_id=customer.id,
            external_userid=customer.external_userid or "",
            status="waiting",
            requested_at=utcnow(),
        )
    )
    session.flush()
    return transfer


def make_channel_code(session: Session, tenant: Tenant, name: str = "门店收银台") -> ChannelCode:
    """A live channel code of the tenant that has brought in one customer and greeted them."""
    customer = session.scalar(
        select(Customer).where(Customer.tenant_id == tenant.id).order_by(Customer.id).limit(1)
    ) or make_customer(session, tenant)
    code = ChannelCode(
        tenant_id=tenant.id,
        name=name,
        state=f"sy{tenant.id:010d}",
        status="live",
        config_id=f"cfg{tenant.id}",
        qr_url=f"https://wework.qpic.cn/wwpic/{tenant.id}/0",
        qr_content=f"https://work.weixin.qq.com/ca/{name}",
        routing="round_robin",
        members=[{"userid": "staff01", "weight": 1}],
        roster=["staff01"],
        welcome={"enabled": True, "text": name},
        landing={"title": name},
        pushed_version=1,
    )
    session.add(code)
    session.flush()
    added = utcnow()
    session.add(
        Acquisition(
            tenant_id=tenant.id,
            code_id=code.id,
            customer_id=customer.id,
            userid="staff01",
            state=code.state,
            added_at=added,
            day=added.date(),
        )
    )
    session.add(
        WelcomeSend(
            tenant_id=tenant.id,
            code_id=code.id,
            customer_id=customer.id,
            userid="staff01",
            external_userid=customer.external_userid or "",
            welcome_key=f"code-{tenant.id}",
            welcome_code=f"code-{tenant.id}",
            status="sent",
            added_at=added,
            content={"text": {"content": name}},
        )
    )
    session.flush()
    return code


def make_segment(session: Session, tenant: Tenant, name: str = "上海的好友") -> Segment:
    """A saved segment of the tenant: its friends in Shanghai."""
    segment = Segment(
        tenant_id=tenant.id,
        name=name,
        description=name,
        rule={
            "and": [
                {"field": "follow", "op": "eq", "value": "friend"},
                {"field": "city", "op": "eq", "value": "上海"},
            ]
        },
    )
    session.add(segment)
    session.flush()
    return segment


def make_behaviour_rule(session: Session, tenant: Tenant, name: str = "上海好友") -> BehaviourRule:
    """A behaviour rule of the tenant that tagged its first customer."""
    tag = session.scalar(select(Tag).where(Tag.tenant_id == tenant.id).limit(1))
    assert tag is not None
    rule = BehaviourRule(
        tenant_id=tenant.id,
        name=name,
        description=name,
        rule={"field": "city", "op": "eq", "value": "上海"},
        tag_ids=[tag.id],
    )
    session.add(rule)
    session.flush()
    customer = session.scalar(select(Customer).where(Customer.tenant_id == tenant.id).limit(1))
    assert customer is not None
    session.add(BehaviourMember(tenant_id=tenant.id, rule_id=rule.id, customer_id=customer.id))
    session.flush()
    return rule
