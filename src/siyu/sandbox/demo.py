"""The demo corp the sandbox seeds when absent; Siyu's demo tenant connects to it.

The names and secrets below are stable: Siyu's demo imports :data:`DEMO_CORP` to connect itself.
They are a public test double's credentials, never a real corp's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox.state import (
    App,
    Corp,
    Department,
    ExternalContact,
    Follow,
    GroupChat,
    GroupMember,
    Tag,
    TagGroup,
    User,
)


@dataclass(frozen=True)
class DemoDepartment:
    id: int
    name: str
    name_en: str
    parentid: int
    order: int


@dataclass(frozen=True)
class DemoStaff:
    userid: str
    name: str
    departments: tuple[int, ...]
    position: str
    mobile: str
    gender: str  # WeCom: "1" male, "2" female
    email: str


@dataclass(frozen=True)
class DemoCustomer:
    external_userid: str
    name: str
    gender: int  # 0 unknown, 1 male, 2 female
    # (userid, remark, days before seeding, add_way, state)
    follows: tuple[tuple[str, str, int, int, str], ...]


@dataclass(frozen=True)
class DemoCorp:
    corp_id: str
    corp_name: str
    contact_secret: str
    agent_id: int
    app_secret: str
    callback_token: str
    encoding_aes_key: str
    departments: tuple[DemoDepartment, ...]
    staff: tuple[DemoStaff, ...]
    customers: tuple[DemoCustomer, ...]
    # (group name, group id, ((tag name, tag id), ...))
    tag_groups: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]


DEMO_CORP = DemoCorp(
    corp_id="ww5iyudemo000001",
    corp_name="私域示范品牌",
    contact_secret="SiyuDemoContactSecret0000000000000000000001",  # noqa: S106 - sandbox only
    agent_id=1000002,
    app_secret="SiyuDemoAppSecret00000000000000000000000002",  # noqa: S106 - sandbox only
    callback_token="SiyuDemoCallbackToken01",  # noqa: S106 - sandbox only
    encoding_aes_key="SiyuDemoEncodingAesKey000000000000000000001",
    departments=(
        DemoDepartment(1, "私域示范品牌", "Demo Brand", 0, 100000000),
        DemoDepartment(2, "总部", "Head Office", 1, 99999000),
        DemoDepartment(3, "上海徐汇店", "Shanghai Xuhui Store", 1, 99998000),
        DemoDepartment(4, "北京朝阳店", "Beijing Chaoyang Store", 1, 99997000),
    ),
    staff=(
        DemoStaff("liwen", "李雯", (2,), "运营经理", "13800000001", "2", "liwen@example.com"),
        DemoStaff("zhangqiang", "张强", (3,), "店长", "13800000002", "1", "zq@example.com"),
        DemoStaff("wangfang", "王芳", (3,), "导购", "13800000003", "2", "wangfang@example.com"),
        DemoStaff("chenjie", "陈杰", (4,), "导购", "13800000004", "1", "chenjie@example.com"),
    ),
    customers=(
        DemoCustomer(
            "wmSiyuDemoCust0001AAAAAAAAAAAA",
            "刘晓燕",
            2,
            (("wangfang", "刘姐·老客", 120, 1, "store_xuhui"),),
        ),
        DemoCustomer(
            "wmSiyuDemoCust0002AAAAAAAAAAAA",
            "赵明",
            1,
            (("wangfang", "", 45, 1, "parcel_card"), ("zhangqiang", "赵先生", 44, 2, "")),
        ),
        DemoCustomer(
            "wmSiyuDemoCust0003AAAAAAAAAAAA", "孙丽娟", 2, (("chenjie", "", 30, 1, "moments_ad"),)
        ),
        DemoCustomer(
            "wmSiyuDemoCust0004AAAAAAAAAAAA", "周建国", 1, (("chenjie", "周总", 12, 2, ""),)
        ),
        DemoCustomer(
            "wmSiyuDemoCust0005AAAAAAAAAAAA", "吴佳怡", 2, (("wangfang", "", 3, 1, "store_xuhui"),)
        ),
        DemoCustomer("wmSiyuDemoCust0006AAAAAAAAAAAA", "郑浩", 0, (("liwen", "", 1, 1, ""),)),
    ),
    tag_groups=(
        (
            "客户等级",
            "etSiyuDemoGroupLevelAAAA",
            (
                ("潜在", "etSiyuDemoTagProspectAAAA"),
                ("新客", "etSiyuDemoTagNewAAAA"),
                ("复购", "etSiyuDemoTagRepeatAAAA"),
            ),
        ),
        (
            "来源渠道",
            "etSiyuDemoGroupChannelAAAA",
            (
                ("门店", "etSiyuDemoTagStoreAAAA"),
                ("快递卡片", "etSiyuDemoTagParcelAAAA"),
                ("朋友圈广告", "etSiyuDemoTagMomentsAdAAAA"),
            ),
        ),
    ),
)


def seed(session: Session, now: int, corp: DemoCorp = DEMO_CORP) -> bool:
    """Create the demo corp unless it exists; returns whether anything was written."""
    if session.get(Corp, corp.corp_id) is not None:
        return False
    session.add(
        Corp(
            corp_id=corp.corp_id,
            name=corp.corp_name,
            callback_token=corp.callback_token,
            encoding_aes_key=corp.encoding_aes_key,
        )
    )
    session.flush()
    session.add_all(
        [
            App(
                corp_id=corp.corp_id,
                name="客户联系",
                secret=corp.contact_secret,
                customer_contact=True,
                trusted_ips=[],
            ),
            App(
                corp_id=corp.corp_id,
                name="私域助手",
                secret=corp.app_secret,
                agent_id=corp.agent_id,
                customer_contact=True,
                trusted_ips=[],
            ),
        ]
    )
    for dept in corp.departments:
        leaders = [
            s.userid for s in corp.staff if s.position == "店长" and dept.id in s.departments
        ]
        session.add(
            Department(
                corp_id=corp.corp_id,
                dept_id=dept.id,
                name=dept.name,
                name_en=dept.name_en,
                parentid=dept.parentid,
                order=dept.order,
                leaders=leaders,
            )
        )
    for staff in corp.staff:
        session.add(
            User(
                corp_id=corp.corp_id,
                userid=staff.userid,
                name=staff.name,
                departments=list(staff.departments),
                position=staff.position,
                mobile=staff.mobile,
                gender=staff.gender,
                email=staff.email,
            )
        )
    for group_order, (group_name, group_id, tags) in enumerate(corp.tag_groups):
        session.add(
            TagGroup(
                corp_id=corp.corp_id,
                group_id=group_id,
                name=group_name,
                order=len(corp.tag_groups) - group_order,
                create_time=now - 200 * 86400,
            )
        )
        for tag_order, (tag_name, tag_id) in enumerate(tags):
            session.add(
                Tag(
                    corp_id=corp.corp_id,
                    tag_id=tag_id,
                    group_id=group_id,
                    name=tag_name,
                    order=len(tags) - tag_order,
                    create_time=now - 200 * 86400,
                )
            )
    channel_tags = {
        "store_xuhui": "etSiyuDemoTagStoreAAAA",
        "parcel_card": "etSiyuDemoTagParcelAAAA",
    }
    channel_tags["moments_ad"] = "etSiyuDemoTagMomentsAdAAAA"
    for customer in corp.customers:
        session.add(
            ExternalContact(
                corp_id=corp.corp_id,
                external_userid=customer.external_userid,
                name=customer.name,
                gender=customer.gender,
                avatar=f"https://wework.qpic.cn/wwhead/{customer.external_userid}/0",
            )
        )
        for userid, remark, days, add_way, state in customer.follows:
            tag_ids = [channel_tags[state]] if state in channel_tags else []
            tag_ids.append("etSiyuDemoTagRepeatAAAA" if days > 60 else "etSiyuDemoTagNewAAAA")
            session.add(
                Follow(
                    corp_id=corp.corp_id,
                    userid=userid,
                    external_userid=customer.external_userid,
                    remark=remark,
                    createtime=now - days * 86400,
                    add_way=add_way,
                    state=state,
                    tag_ids=tag_ids,
                )
            )
    session.flush()
    return True


# The demo's crowd: a few thousand customers of the demo staff, as a brand of that size has them,
# so the console of ``make run`` shows lists, filters and charts with something in them.
CROWD_STATES = (
    ("store_xuhui", 30, ("wangfang", "zhangqiang")),
    ("store_chaoyang", 22, ("chenjie",)),
    ("parcel_card", 20, ("wangfang", "chenjie")),
    ("moments_ad", 12, ("liwen",)),
    ("", 16, ("liwen", "wangfang", "zhangqiang", "chenjie")),
)
CROWD_REMARKS = ("老客", "宝妈", "上班族", "学生", "附近小区", "团购", "VIP", "")


def seed_crowd(session: Session, now: int, size: int, corp: DemoCorp = DEMO_CORP) -> int:
    """Add ``size`` customers to the demo corp (once; deterministic). Returns how many."""
    from siyu.sandbox.bulk import chinese_name

    marker = f"wmSiyuDemoCrowd{0:06d}"
    if size <= 0 or session.scalar(
        select(ExternalContact.id).where(ExternalContact.external_userid == marker)
    ):
        return 0
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    weights = [w for _, w, _ in CROWD_STATES]
    for index in range(size):
        external = f"wmSiyuDemoCrowd{index:06d}"
        gender = rng.choice((1, 2, 2, 0))
        name = chinese_name(rng, gender)
        session.add(
            ExternalContact(
                corp_id=corp.corp_id,
                external_userid=external,
                name=name,
                gender=gender,
                avatar=f"https://wework.qpic.cn/wwhead/{external}/0",
            )
        )
        state, _, staff = rng.choices(CROWD_STATES, weights)[0]
        # Most came over the past year; one in eight in the past week (the codes' charts).
        days = rng.randrange(8) if rng.random() < 0.125 else int(rng.triangular(0, 365, 20))
        owners = [rng.choice(staff)]
        if rng.random() < 0.08:  # some are friends of two staff
            owners.append(rng.choice([s.userid for s in corp.staff if s.userid != owners[0]]))
        for position, userid in enumerate(owners):
            tag_ids = {
                "store_xuhui": ["etSiyuDemoTagStoreAAAA"],
                "store_chaoyang": ["etSiyuDemoTagStoreAAAA"],
                "parcel_card": ["etSiyuDemoTagParcelAAAA"],
                "moments_ad": ["etSiyuDemoTagMomentsAdAAAA"],
            }.get(state, [])
            tag_ids.append(
                "etSiyuDemoTagRepeatAAAA"
                if days > 60
                else rng.choice(("etSiyuDemoTagNewAAAA", "etSiyuDemoTagProspectAAAA"))
            )
            mobiles = (
                [f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"] if rng.random() < 0.35 else []
            )
            session.add(
                Follow(
                    corp_id=corp.corp_id,
                    userid=userid,
                    external_userid=external,
                    remark=f"{name}·{rng.choice(CROWD_REMARKS)}".rstrip("·")
                    if rng.random() < 0.4
                    else "",
                    createtime=now - days * 86400 - rng.randrange(86400) + position * 3600,
                    add_way=1 if state else rng.choice((2, 3, 16)),
                    state=state if position == 0 else "",
                    tag_ids=tag_ids,
                    remark_mobiles=mobiles,
                )
            )
    session.flush()
    return size


# The demo corp's customer groups: (chat id, name, owner, staff, named customers, crowd size,
# days old). Some members joined by the group code whose state is DEMO_GROUP_STATE: Siyu's demo
# group code uses that state, so its joins show from the first sync.
DEMO_GROUP_STATE = "siyu_demo_group"
DEMO_GROUPS = (
    (
        "wrSiyuDemoGroup0001AAAAAAAAAAA",
        "徐汇店老客福利群",
        "wangfang",
        ("zhangqiang",),
        (0, 1, 4),
        186,
        90,
    ),
    ("wrSiyuDemoGroup0002AAAAAAAAAAA", "徐汇店新客群2", "wangfang", (), (4, 5), 64, 20),
    ("wrSiyuDemoGroup0003AAAAAAAAAAA", "朝阳店会员群", "chenjie", (), (2, 3), 41, 45),
    ("wrSiyuDemoGroup0004AAAAAAAAAAA", "品牌粉丝交流群", "liwen", ("wangfang",), (1, 5), 12, 7),
)


def seed_groups(session: Session, now: int, corp: DemoCorp = DEMO_CORP) -> int:
    """Give the demo corp its customer groups (once). Crowd members come from the customers the
    corp already has beyond the named ones, so a sandbox without a crowd gets small groups."""
    from siyu.sandbox.simulate_groups import _member_version

    if session.scalar(select(GroupChat.id).where(GroupChat.chat_id == DEMO_GROUPS[0][0])):
        return 0
    if session.get(Corp, corp.corp_id) is None:
        return 0
    rng = random.Random(2027)  # noqa: S311 - demo data, not security
    crowd = list(
        session.execute(
            select(ExternalContact.external_userid, ExternalContact.name)
            .where(
                ExternalContact.corp_id == corp.corp_id,
                ExternalContact.external_userid.like("wmSiyuDemoCrowd%"),
            )
            .order_by(ExternalContact.id)
            .limit(400)
        ).all()
    )
    rng.shuffle(crowd)
    for chat_id, name, owner, staff, named, crowd_size, days in DEMO_GROUPS:
        created = now - days * 86400
        session.add(
            GroupChat(
                corp_id=corp.corp_id,
                chat_id=chat_id,
                name=name,
                owner=owner,
                create_time=created,
                notice=f"欢迎加入{name}，每周三上新，群内专享福利。",
            )
        )
        for userid in (owner, *staff):
            session.add(
                GroupMember(
                    chat_id=chat_id,
                    userid=userid,
                    type=1,
                    join_time=created,
                    join_scene=1,
                    invitor="" if userid == owner else owner,
                )
            )
        people = [
            (corp.customers[i].external_userid, corp.customers[i].name) for i in named
        ] + crowd[:crowd_size]
        crowd = crowd[crowd_size:]
        for index, (external_userid, person) in enumerate(people):
            by_code = index % 3 != 0  # two in three came by the group code
            session.add(
                GroupMember(
                    chat_id=chat_id,
                    userid=external_userid,
                    type=2,
                    join_time=created + rng.randrange(max(1, days * 86400)),
                    join_scene=3 if by_code else 1,
                    invitor="" if by_code else owner,
                    name=person,
                    state=DEMO_GROUP_STATE if by_code else "",
                )
            )
        session.flush()
        group = session.scalar(select(GroupChat).where(GroupChat.chat_id == chat_id))
        assert group is not None
        group.member_version = _member_version(session, chat_id)
    return len(DEMO_GROUPS)
