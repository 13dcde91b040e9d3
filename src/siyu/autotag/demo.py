"""The demo tenant's keyword rules, on the 兴趣偏好 tags of the sandbox's demo corp, and its chat
archive read from the sandbox: made once the staff and customer syncs have run, then pulled, so
the customers whose demo chats mention a keyword are tagged when a newcomer opens the console."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.autotag import keywords_service
from siyu.autotag.models import KeywordRule
from siyu.autotag.schemas import RuleIn
from siyu.chats import service as chats
from siyu.chats.models import SANDBOX
from siyu.customers.models import CustomerSyncRun
from siyu.jobs import Job, NotYet, job
from siyu.staff.models import StaffAccount
from siyu.tags.models import Tag

DEMO_JOB = "autotag.demo"
# (rule name, keywords, tag name)
DEMO_RULES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("亲子客户", ("宝宝", "孩子", "儿童餐", "宝宝椅"), "亲子"),
    ("团餐意向", ("团建", "包间", "年会", "订餐"), "团餐"),
    ("饮食禁忌", ("过敏", "不吃辣", "忌口"), "过敏"),
)


@job(DEMO_JOB, max_attempts=12)
def demo_rules(session: Session, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    if session.scalar(select(StaffAccount.id).where(StaffAccount.tenant_id == tenant_id)) is None:
        raise NotYet("waiting for the staff sync")
    running = session.scalar(
        select(CustomerSyncRun.id).where(
            CustomerSyncRun.tenant_id == tenant_id, CustomerSyncRun.state == "running"
        )
    )
    if running is not None:
        raise NotYet("waiting for the customer sync")
    if session.scalar(select(KeywordRule.id).where(KeywordRule.tenant_id == tenant_id)):
        return
    tags = dict(
        session.execute(
            select(Tag.name, Tag.id).where(Tag.tenant_id == tenant_id, Tag.deleting.is_(False))
        ).all()
    )
    # A sandbox without the demo crowd (the tests') has no 兴趣偏好 tags: no demo rules then.
    for name, keywords, tag in DEMO_RULES:
        if tag in tags:
            keywords_service.create_rule(
                session,
                tenant_id,
                RuleIn(name=name, keywords=list(keywords), tag_ids=[tags[tag]]),
                created_by=None,
            )
    chats.ensure(session, tenant_id, SANDBOX)
    chats.request_pull(session, tenant_id)
