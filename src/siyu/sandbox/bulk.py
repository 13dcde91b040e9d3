"""Bulk seeding for benchmarks: a corp with thousands of staff and a million customers.

Rows go in with chunked executemany inserts (SQLAlchemy Core, straight to the driver), in one
transaction, not through the API one customer at a time: a million customers and their follows
load in under 20 seconds on SQLite. Everything but the tag ids is drawn from ``seed``, so the
same call gives the same corp: staff ``s00001``… in department 1, customers with Chinese names
(some WeChat nicknames), WeCom-shaped external userids, friendships spread over the past two
years, some with a remark, a contact-way state or corp tags. No callbacks are sent: this is the
corp's history, not news.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import time
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import accumulate
from typing import Any, TypeVar

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from siyu.db import Database
from siyu.sandbox.api.tags import add_tags
from siyu.sandbox.core import Clock, WeComError
from siyu.sandbox.state import Corp, Department, ExternalContact, Follow, SandboxBase, User

T = TypeVar("T")
CHUNK = 10_000
TWO_YEARS = 2 * 365 * 24 * 3600
BULK_USERID = re.compile(r"s\d{5,}")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤"
)
# Common surnames are much more common: the first of the list weigh most.
SURNAME_WEIGHTS = tuple(accumulate(1.0 / (rank + 8) for rank in range(len(SURNAMES))))
GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林建国峰志文博晨阳轩然"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀燕玲婷雪慧莹倩琳晶颖欣怡佳悦梦琪雨萱涵诗思月婉晓璐瑶"
GIVEN_ANY = "子一嘉文晓欣佳安可雨"
# WeChat nicknames, put together from parts so that no one nickname is everywhere.
NICK_HEADS = ("", "", "", "小", "大", "阿", "A.", "🍀", "Miss ", "老")
NICK_WORDS = (
    "鱼儿",
    "阳光",
    "Amy",
    "Lily",
    "Kevin",
    "Jason",
    "糖糖",
    "豆豆",
    "一路向北",
    "太阳",
    "静待花开",
    "木子",
    "Coco",
    "喵喵",
    "橙子",
    "晴天",
    "米粒",
    "Grace",
    "桃子",
    "风铃",
    "Tony",
    "向日葵",
)
NICK_TAILS = ("", "", "", "", "妈", "爸", "~", "🌸", "_", "2019", "88", "ovo")
POSITIONS = ("导购", "导购", "导购", "店长", "客服", "顾问", "运营")
CUSTOMER_CORPS = (
    ("顺丰速运", "采购"),
    ("星巴克", "店长"),
    ("招商银行", "客户经理"),
    ("美团", "运营"),
)
# WeCom add_way: 0 unknown, 1 QR code, 2 phone number, 3 shared card, 4 group chat,
# 5 phone contacts, 6 WeChat contacts, 16 acquisition link, 201 shared by a member,
# 202 assigned by the admin.
ADD_WAYS = (1, 2, 3, 4, 0, 5, 6, 16, 201, 202)
ADD_WAY_WEIGHTS = tuple(accumulate((45, 10, 8, 12, 3, 4, 5, 5, 3, 5)))
CUSTOMER_ADDS = frozenset({1, 3, 16})  # the customer asked: oper_userid is the customer
STATES = ("store_xuhui", "store_chaoyang", "parcel_card", "moments_ad", "live_0618", "poster_11")
REMARK_ENDINGS = ("", "姐", "哥", "-VIP", "(老客)", "-已购", "·门店")
DESCRIPTIONS = ("爱喝美式", "周末到店", "对价格敏感", "复购意向高", "三月生日", "要发票")
TAG_GROUPS = (
    ("会员等级", ("普通会员", "银卡会员", "金卡会员", "黑钻会员")),
    ("兴趣偏好", ("咖啡", "茶饮", "甜品", "轻食", "烘焙")),
    ("到店频次", ("高频", "中频", "低频", "沉睡")),
)


@dataclass(frozen=True)
class BulkSeeded:
    corp_id: str
    staff: int
    customers: int
    seed: int
    first_userid: str
    last_userid: str
    tag_ids: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def staff_userid(number: int, staff: int) -> str:
    """``s00001``…: five digits, more when there are more staff."""
    return f"s{number:0{max(5, len(str(staff)))}d}"


def external_userid(corp_id: str, seed: int, index: int) -> str:
    """``wm`` and 30 url-safe characters, as WeCom's look; the same for the same arguments."""
    digest = hashlib.blake2b(f"{corp_id}:{seed}:{index}".encode(), digest_size=24).digest()
    return "wm" + base64.urlsafe_b64encode(digest).decode()[:30]


def _unionid(external: str) -> str:
    digest = hashlib.blake2b(external.encode(), digest_size=21).digest()
    return "o" + base64.urlsafe_b64encode(digest).decode()[:27]


def _pick(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


def _weighted(rng: random.Random, items: Sequence[T], cum_weights: Sequence[float]) -> T:
    return items[bisect(cum_weights, rng.random() * cum_weights[-1])]


def chinese_name(rng: random.Random, gender: int) -> str:
    surname = _weighted(rng, SURNAMES, SURNAME_WEIGHTS)
    pool = GIVEN_MALE if gender == 1 else GIVEN_FEMALE if gender == 2 else GIVEN_ANY + GIVEN_MALE
    if rng.random() < 0.6:
        return surname + _pick(rng, GIVEN_ANY + pool) + _pick(rng, pool)
    return surname + _pick(rng, pool)


USER_COLUMNS = (
    "corp_id",
    "userid",
    "name",
    "departments",
    "position",
    "mobile",
    "gender",
    "email",
    "status",
    "customer_contact",
)
CONTACT_COLUMNS = (
    "corp_id",
    "external_userid",
    "name",
    "type",
    "gender",
    "avatar",
    "unionid",
    "corp_name",
    "corp_full_name",
    "position",
    "mobile",
)
FOLLOW_COLUMNS = (
    "corp_id",
    "userid",
    "external_userid",
    "remark",
    "description",
    "remark_corp_name",
    "remark_mobiles",
    "createtime",
    "add_way",
    "state",
    "oper_userid",
    "tag_ids",
)
Row = tuple[Any, ...]


def _staff_rows(corp_id: str, staff: int, seed: int) -> list[Row]:
    rng = random.Random(f"siyu-bulk-staff:{corp_id}:{seed}")  # noqa: S311 - test data
    rows = []
    for number in range(1, staff + 1):
        gender = 1 if rng.random() < 0.5 else 2
        rows.append(
            (
                corp_id,
                staff_userid(number, staff),
                chinese_name(rng, gender),
                "[1]",  # departments, as the JSON column stores it
                _pick(rng, POSITIONS),
                f"139{number:08d}",
                str(gender),
                "",
                1,
                True,
            )
        )
    return rows


def _customer_rows(
    corp_id: str,
    seed: int,
    start: int,
    stop: int,
    *,
    rng: random.Random,
    userids: list[str],
    tag_ids: list[str],
    customers: int,
    now: int,
) -> tuple[list[Row], list[Row]]:
    """Customers ``start``…``stop - 1`` and each one's follow, drawn from ``rng`` in order."""
    contacts: list[Row] = []
    follows: list[Row] = []
    step = TWO_YEARS / max(customers, 1)
    began = now - TWO_YEARS
    staff = len(userids)
    for index in range(start, stop):
        external = external_userid(corp_id, seed, index)
        draw = rng.random()
        gender = 0 if draw < 0.08 else 1 if draw < 0.52 else 2
        if rng.random() < 0.12:
            name = _pick(rng, NICK_HEADS) + _pick(rng, NICK_WORDS) + _pick(rng, NICK_TAILS)
        else:
            name = chinese_name(rng, gender)
        kind, corp_name, position = 1, "", ""
        if rng.random() < 0.03:  # a WeCom user of another corp
            kind = 2
            corp_name, position = _pick(rng, CUSTOMER_CORPS)
        contacts.append(
            (
                corp_id,
                external,
                name,
                kind,
                gender,
                f"https://wework.qpic.cn/wwhead/sandbox/{index % 1000}",
                _unionid(external) if rng.random() < 0.6 else "",
                corp_name,
                corp_name + "有限公司" if corp_name else "",
                position,
                "",
            )
        )
        # A few staff have many more customers than most, as in a real corp.
        userid = userids[int(staff * rng.random() ** 1.3)]
        add_way = _weighted(rng, ADD_WAYS, ADD_WAY_WEIGHTS)
        state = _pick(rng, STATES) if add_way in (1, 16) and rng.random() < 0.6 else ""
        remark = description = ""
        mobiles = "[]"
        if rng.random() < 0.2:
            remark = (name + _pick(rng, REMARK_ENDINGS))[:20]
            if rng.random() < 0.25:
                description = _pick(rng, DESCRIPTIONS)
            if rng.random() < 0.25:
                mobiles = f'["1{_pick(rng, "3578")}{int(rng.random() * 10**9):09d}"]'
        tags = "[]"
        if tag_ids and rng.random() < 0.4:
            tags = json.dumps(rng.sample(tag_ids, _pick(rng, (1, 1, 2, 3))))
        follows.append(
            (
                corp_id,
                userid,
                external,
                remark,
                description,
                corp_name if remark else "",
                mobiles,
                # Later customers were added later: createtime grows with the row id.
                int(began + (index + rng.random()) * step),
                add_way,
                state,
                external if add_way in CUSTOMER_ADDS else userid,
                tags,
            )
        )
    return contacts, follows


def _inserter(
    connection: Connection, table: type[SandboxBase], columns: tuple[str, ...]
) -> Callable[[list[Row]], None]:
    """An executemany of ready rows straight to the driver: the statement compiled once for the
    dialect, no per-row type processing (JSON columns come already encoded)."""
    compiled = insert(table).compile(dialect=connection.dialect, column_keys=list(columns))
    sql = str(compiled)
    if compiled.positional:
        order = [columns.index(name) for name in compiled.positiontup or ()]

        def run(rows: list[Row]) -> None:
            if order != list(range(len(columns))):
                rows = [tuple(row[i] for i in order) for row in rows]
            connection.exec_driver_sql(sql, rows)

    else:

        def run(rows: list[Row]) -> None:
            connection.exec_driver_sql(sql, [dict(zip(columns, row, strict=True)) for row in rows])

    return run


def _chunks(total: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, size):
        yield start, min(start + size, total)


def _refuse_twice(session: Session, corp_id: str) -> None:
    for userid in session.scalars(
        select(User.userid).where(User.corp_id == corp_id, User.userid.like("s%"))
    ):
        if BULK_USERID.fullmatch(userid):
            raise WeComError(
                40058,
                f"corp {corp_id} already has bulk-seeded staff ({userid}); "
                "seed another corp or a fresh sandbox database",
            )


def seed_bulk(
    database: Database,
    corp_id: str,
    staff: int = 5000,
    customers: int = 1_000_000,
    seed: int = 1,
    *,
    now: int | None = None,
    chunk: int = CHUNK,
) -> BulkSeeded:
    """Load ``staff`` members and ``customers`` customers (one follow each) into an existing
    corp, in one transaction. Refuses (40058) a corp already bulk-seeded; 40013 for no corp."""
    if staff < 1 or customers < 0:
        raise WeComError(40058, "staff must be at least 1 and customers at least 0")
    started = time.monotonic()
    with database.transaction() as session:
        corp = session.get(Corp, corp_id)
        if corp is None:
            raise WeComError(40013, f"invalid corpid: {corp_id} (create the corp first)")
        _refuse_twice(session, corp_id)
        if now is None:
            clock = Clock()
            clock.load(session)
            now = clock.ts()
        if not session.scalar(
            select(Department.id).where(Department.corp_id == corp_id, Department.dept_id == 1)
        ):
            session.add(Department(corp_id=corp_id, dept_id=1, name=corp.name, order=100000000))
        tag_ids: list[str] = []
        for group_order, (group_name, names) in enumerate(TAG_GROUPS):
            added = add_tags(
                session,
                corp_id,
                now - TWO_YEARS,
                [(name, len(names) - i) for i, name in enumerate(names)],
                group_name=group_name,
                group_order=len(TAG_GROUPS) - group_order,
            )
            tag_ids += [t.tag_id for t in added.tags]
        connection = session.connection()
        if connection.dialect.name == "sqlite":
            # Index pages stay in memory while a million random external userids go in. (The
            # pooled connection keeps this ceiling afterwards; SQLite allocates on use.)
            connection.exec_driver_sql("PRAGMA cache_size = -262144")
        insert_users = _inserter(connection, User, USER_COLUMNS)
        insert_contacts = _inserter(connection, ExternalContact, CONTACT_COLUMNS)
        insert_follows = _inserter(connection, Follow, FOLLOW_COLUMNS)
        staff_rows = _staff_rows(corp_id, staff, seed)
        for start, stop in _chunks(len(staff_rows), chunk):
            insert_users(staff_rows[start:stop])
        userids = [row[1] for row in staff_rows]
        rng = random.Random(f"siyu-bulk-customers:{corp_id}:{seed}")  # noqa: S311 - test data
        for start, stop in _chunks(customers, chunk):
            contacts, follows = _customer_rows(
                corp_id,
                seed,
                start,
                stop,
                rng=rng,
                userids=userids,
                tag_ids=tag_ids,
                customers=customers,
                now=now,
            )
            insert_contacts(contacts)
            insert_follows(follows)
    return BulkSeeded(
        corp_id=corp_id,
        staff=staff,
        customers=customers,
        seed=seed,
        first_userid=userids[0],
        last_userid=userids[-1],
        tag_ids=tag_ids,
        seconds=round(time.monotonic() - started, 3),
    )
