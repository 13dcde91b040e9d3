"""The two evaluators must agree: random customers and random rules, the SQL query's members
and the bitmap index's members compared as sets — for an index built from scratch and for one
kept fresh change by change."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete
from sqlalchemy.orm import Session

from siyu.chats.models import CustomerChatStats
from siyu.customers.models import ACTIVE, ERASED, LOST, Customer
from siyu.groups.models import DISMISSED, Group, GroupMember
from siyu.segments import facts
from siyu.segments import sql as segment_sql
from siyu.segments.rules import FIELDS, Rule, parse
from siyu.segments.sql import Context
from siyu.stores.models import Region, Store
from siyu.tags.models import CustomerTag, Tag
from siyu.tenants.models import Tenant
from tests.factories import make_tag_group, make_tenant

CITIES = ["上海", "北京", "杭州", ""]
LEVELS = ["", "金卡", "银卡"]
CHANNELS = ["", "门店", "朋友圈"]
OWNERS = ["", "zhangsan", "lisi"]
BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
_numbers = itertools.count()
LINKS = {"tags", "groups", "left", "chat"}


@dataclass
class World:
    tenant: Tenant
    tags: list[int]
    stores: list[int]
    regions: dict[int, frozenset[int]]
    groups: list[int]  # the last one is dismissed


@pytest.fixture
def world(session: Session) -> World:
    tenant = make_tenant(session)
    group = make_tag_group(session, tenant)
    tags = []
    for name in ["亲子", "团餐", "过敏", "会员", "吃辣"]:
        tag = Tag(tenant_id=tenant.id, group_id=group.id, name=name)
        session.add(tag)
        session.flush()
        tags.append(tag.id)
    regions: dict[int, frozenset[int]] = {}
    stores = []
    for region_name, store_names in [("华东", ["徐汇店", "静安店"]), ("华北", ["朝阳店"])]:
        region = Region(tenant_id=tenant.id, name=region_name)
        session.add(region)
        session.flush()
        ids = []
        for name in store_names:
            store = Store(tenant_id=tenant.id, region_id=region.id, name=name)
            session.add(store)
            session.flush()
            ids.append(store.id)
        regions[region.id] = frozenset(ids)
        stores += ids
    groups = []
    for i, status in enumerate(["active", "active", DISMISSED]):
        row = Group(tenant_id=tenant.id, chat_id=f"wrchat{i}", name=f"群{i}", status=status)
        session.add(row)
        session.flush()
        groups.append(row.id)
    return World(tenant, tags, stores, regions, groups)


moments = st.one_of(
    st.none(),
    st.integers(min_value=-400 * 24, max_value=400 * 24).map(
        lambda h: BASE + dt.timedelta(hours=h, minutes=30)
    ),
)
birthdays = st.one_of(
    st.none(), st.dates(min_value=dt.date(1960, 1, 1), max_value=dt.date(2010, 12, 31))
)


def customer_rows(w: World) -> st.SearchStrategy[list[dict[str, Any]]]:
    row = st.fixed_dictionaries(
        {
            "status": st.sampled_from([ACTIVE, ACTIVE, LOST, ERASED]),
            "city": st.sampled_from(CITIES),
            "member_level": st.sampled_from(LEVELS),
            "source_channel": st.sampled_from(CHANNELS),
            "owner_userid": st.sampled_from([*OWNERS, None]),
            "gender": st.integers(0, 2),
            "store_id": st.sampled_from([None, *w.stores]),
            "first_added_at": moments,
            "birthday": birthdays,
            "tags": st.sets(st.sampled_from(w.tags), max_size=4),
            "groups": st.sets(st.sampled_from(w.groups), max_size=3),
            "left": st.booleans(),
            "chat": st.one_of(st.none(), st.tuples(moments, st.integers(0, 120))),
        }
    )
    return st.lists(row, min_size=0, max_size=25)


def rules(w: World) -> st.SearchStrategy[dict[str, Any]]:
    def cond(field: str, op: str) -> st.SearchStrategy[dict[str, Any]]:
        value: st.SearchStrategy[Any]
        if op in {"empty", "this_week", "this_month", "exists"}:
            return st.just({"field": field, "op": op})
        if field == "tags":
            value = st.lists(st.sampled_from(w.tags), min_size=1, max_size=3)
        elif field in {"city", "level", "channel", "owner"}:
            pool = {"city": CITIES, "level": LEVELS, "channel": CHANNELS, "owner": OWNERS}[field]
            words = [p for p in pool if p] + ["没有的值"]
            value = (
                st.sampled_from(words)
                if op == "eq"
                else st.lists(st.sampled_from(words), min_size=1)
            )
        elif field == "gender":
            value = st.integers(0, 2) if op == "eq" else st.lists(st.integers(0, 2), min_size=1)
        elif field in {"store", "region"}:
            pool = w.stores if field == "store" else sorted(w.regions)
            value = (
                st.sampled_from(pool) if op == "eq" else st.lists(st.sampled_from(pool), min_size=1)
            )
        elif field == "group":
            value = st.lists(st.sampled_from(w.groups), min_size=1, max_size=2)
        elif op == "gte":
            value = st.integers(1, 100)
        elif op == "lte":
            value = st.integers(0, 99)
        elif op in {"within_days", "before_days", "next_days"}:
            value = st.integers(1, 500)
        elif op == "between":
            value = st.tuples(
                st.dates(dt.date(2025, 1, 1), dt.date(2027, 6, 1)), st.integers(0, 400)
            ).map(
                lambda p: {
                    "from": p[0].isoformat(),
                    "to": (p[0] + dt.timedelta(days=p[1])).isoformat(),
                }
            )
        else:  # follow
            value = st.sampled_from(["friend", "deleted"])
        return value.map(lambda v: {"field": field, "op": op, "value": v})

    leaves = st.one_of(*(cond(f, op) for f, ops in FIELDS.items() for op in ops))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"and": xs}),
            st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"or": xs}),
            inner.map(lambda x: {"not": x}),
        ),
        max_leaves=6,
    )


def insert_customers(session: Session, w: World, rows: list[dict[str, Any]]) -> list[int]:
    ids = []
    for data in rows:
        i = next(_numbers)
        fields = {k: v for k, v in data.items() if k not in LINKS}
        customer = Customer(
            tenant_id=w.tenant.id, external_userid=f"wmagree{i:06d}", name=f"客户{i}", **fields
        )
        session.add(customer)
        session.flush()
        ids.append(customer.id)
        set_links(session, w, customer.id, data)
    session.flush()
    return ids


def set_links(session: Session, w: World, cid: int, data: dict[str, Any]) -> None:
    session.execute(delete(CustomerTag).where(CustomerTag.customer_id == cid))
    session.execute(delete(CustomerChatStats).where(CustomerChatStats.customer_id == cid))
    if data.get("chat") is not None:
        last, count = data["chat"]
        session.add(
            CustomerChatStats(
                tenant_id=w.tenant.id,
                customer_id=cid,
                last_inbound_at=last,
                inbound_count=count,
                outbound_count=0,
            )
        )
    session.execute(delete(GroupMember).where(GroupMember.customer_id == cid))
    for tag in data["tags"]:
        session.add(CustomerTag(tenant_id=w.tenant.id, customer_id=cid, tag_id=tag))
    for group in data["groups"]:
        session.add(
            GroupMember(
                tenant_id=w.tenant.id,
                group_id=group,
                userid=f"wmagree{cid}",
                customer_id=cid,
                joined_at=BASE,
                left_at=BASE if data["left"] else None,
            )
        )
    session.flush()


def sql_members(session: Session, w: World, rule: Rule, ctx: Context) -> set[int]:
    return set(session.scalars(segment_sql.members(w.tenant.id, rule, ctx)))


days = st.dates(dt.date(2025, 1, 1), dt.date(2027, 6, 30))
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def test_sql_and_bitmap_agree_on_a_built_index(session: Session, world: World) -> None:
    @SETTINGS
    @given(
        data=customer_rows(world), raw=st.lists(rules(world), min_size=1, max_size=4), today=days
    )
    def check(data: list[dict[str, Any]], raw: list[dict[str, Any]], today: dt.date) -> None:
        savepoint = session.begin_nested()
        try:
            insert_customers(session, world, data)
            index = facts.build(session, world.tenant.id)
            ctx = Context(today, world.regions)
            for item in raw:
                rule = parse(item)
                assert set(index.evaluate(rule, ctx)) == sql_members(session, world, rule, ctx), (
                    item
                )
                assert index.count(rule, ctx) == segment_sql.count(
                    session, world.tenant.id, rule, ctx
                )
        finally:
            savepoint.rollback()

    check()


def test_sql_and_bitmap_agree_after_incremental_changes(session: Session, world: World) -> None:
    @SETTINGS
    @given(
        before=customer_rows(world),
        after=customer_rows(world),
        raw=st.lists(rules(world), min_size=1, max_size=3),
        today=days,
    )
    def check(
        before: list[dict[str, Any]],
        after: list[dict[str, Any]],
        raw: list[dict[str, Any]],
        today: dt.date,
    ) -> None:
        savepoint = session.begin_nested()
        try:
            ids = insert_customers(session, world, before)
            index = facts.build(session, world.tenant.id)
            # Change the first customers into the "after" ones; the rest of "after" are new.
            changed = []
            for cid, data in zip(ids, after, strict=False):
                customer = session.get(Customer, cid)
                assert customer is not None
                for key, value in data.items():
                    if key not in LINKS:
                        setattr(customer, key, value)
                set_links(session, world, cid, data)
                changed.append(cid)
            changed += insert_customers(session, world, after[len(ids) :])
            session.flush()
            index.put(facts.facts_of(session, world.tenant.id, changed))
            ctx = Context(today, world.regions)
            for item in raw:
                rule = parse(item)
                assert set(index.evaluate(rule, ctx)) == sql_members(session, world, rule, ctx), (
                    item
                )
        finally:
            savepoint.rollback()

    check()


def test_the_copy_build_equals_the_row_build(session: Session, world: World) -> None:
    """On PostgreSQL the index is built with binary COPY; it must hold the same bitmaps as the
    one built from rows."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("binary COPY is PostgreSQL's")
    rows = [
        {
            "status": [ACTIVE, LOST, ERASED][i % 3],
            "city": CITIES[i % 4],
            "member_level": LEVELS[i % 3],
            "source_channel": CHANNELS[i % 3],
            "owner_userid": [*OWNERS, None][i % 4],
            "gender": i % 3,
            "store_id": [None, *world.stores][i % 4],
            "first_added_at": None if i % 7 == 0 else BASE + dt.timedelta(hours=13 * i),
            "birthday": None if i % 5 == 0 else dt.date(1990, 1 + i % 12, 1 + i % 28),
            "tags": set(world.tags[: i % 4]),
            "groups": set(world.groups[: i % 3]),
            "left": i % 2 == 0,
            "chat": None if i % 3 == 0 else (BASE + dt.timedelta(hours=7 * i), i % 5),
        }
        for i in range(60)
    ]
    insert_customers(session, world, rows)
    by_copy = facts.build_by_copy(session, world.tenant.id)
    by_rows = facts.build_by_rows(session, world.tenant.id)
    for name in ("universe", "friends", "lost", "birth_any"):
        assert list(getattr(by_copy, name)) == list(getattr(by_rows, name)), name
    for dates in ("added", "chatted"):
        assert list(getattr(by_copy, dates).any) == list(getattr(by_rows, dates).any), dates
    families = ["gender", "store", "birth_days", "tags", "groups", "chat_counts"]
    families += ["added.days", "added.months", "chatted.days", "chatted.months"]
    for name in families:
        mine = {k: list(v) for k, v in _attr(by_copy, name).items() if v}
        theirs = {k: list(v) for k, v in _attr(by_rows, name).items() if v}
        assert mine == theirs, name
    for name, family in by_copy.text.items():
        assert {k: list(v) for k, v in family.items()} == {
            k: list(v) for k, v in by_rows.text[name].items()
        }, name


def _attr(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj
