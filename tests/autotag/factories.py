"""Plain factory functions for keyword rules and their hits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.autotag.models import KeywordHit, KeywordRule
from siyu.customers.models import Customer
from siyu.db import utcnow
from siyu.tenants.models import Tenant
from tests.factories import make_customer


def make_keyword_rule(
    session: Session, tenant: Tenant, name: str = "亲子客户", keywords: tuple[str, ...] = ("宝宝",)
) -> KeywordRule:
    """A rule of the tenant that has hit one of its customers once."""
    customer = session.scalar(
        select(Customer).where(Customer.tenant_id == tenant.id).order_by(Customer.id).limit(1)
    ) or make_customer(session, tenant)
    rule = KeywordRule(tenant_id=tenant.id, name=name, keywords=list(keywords), tag_ids=[])
    session.add(rule)
    session.flush()
    session.add(
        KeywordHit(
            tenant_id=tenant.id,
            rule_id=rule.id,
            customer_id=customer.id,
            msgid=f"msg-{rule.id}",
            keyword=keywords[0],
            side="customer",
            excerpt=f"{name}：{keywords[0]}",
            at=utcnow(),
        )
    )
    session.flush()
    return rule
