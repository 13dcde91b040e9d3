"""The demo: with the sandbox's demo chats (``serve`` seeds them), the demo tenant's keyword rules
have tagged the customers who mentioned their keywords by the time the syncs are done."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.autotag.models import KeywordRule
from siyu.customers.models import Customer
from siyu.sandbox import msgaudit
from siyu.sandbox.runtime import Runtime
from siyu.tags.models import CustomerTag, Tag
from tests.conftest import RunJobs, World


def _tags_of(session: Session, name: str) -> set[str]:
    return set(
        session.scalars(
            select(Tag.name)
            .join(CustomerTag, CustomerTag.tag_id == Tag.id)
            .join(Customer, Customer.id == CustomerTag.customer_id)
            .where(Customer.name == name)
        )
    )


def test_the_demo_chats_are_tagged_by_the_demo_rules(
    world: World, run_jobs: RunJobs, session: Session
) -> None:
    runtime: Runtime = world.sandbox.app.state.runtime  # type: ignore[attr-defined]
    with runtime.database.transaction() as sandbox:
        assert msgaudit.seed_chats(sandbox, runtime.clock.ts()) == len(msgaudit.DEMO_CHATS)
    with runtime.database.transaction() as sandbox:
        assert msgaudit.seed_chats(sandbox, runtime.clock.ts()) == 0  # once
    run_jobs()

    rules = session.scalars(select(KeywordRule.name).order_by(KeywordRule.id))
    assert list(rules) == ["亲子客户", "团餐意向", "饮食禁忌"]
    assert {"亲子"} <= _tags_of(session, "刘晓燕")
    assert {"团餐"} <= _tags_of(session, "赵明")
    assert {"过敏"} <= _tags_of(session, "孙丽娟")
    assert {"团餐", "过敏"} <= _tags_of(session, "周建国")
    assert {"亲子"} <= _tags_of(session, "吴佳怡")
    assert not {"亲子", "团餐", "过敏"} & _tags_of(session, "郑浩")
