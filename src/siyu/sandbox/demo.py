"""The demo corp the sandbox seeds when absent; Siyu's demo tenant connects to it.

The names and secrets below are stable: Siyu's demo imports :data:`DEMO_CORP` to connect itself.
They are a public test double's credentials, never a real corp's.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from siyu.sandbox.state import (
    App,
    Corp,
    Department,
    ExternalContact,
    Follow,
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
