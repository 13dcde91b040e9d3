"""The demo tenant's channel codes: on the channels its customers came by, made once the staff,
customer and store syncs have run, with a default welcome for everyone else."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.codes import friends, service
from siyu.codes.models import (
    ChannelCode,
)
from siyu.codes.schemas import CodeIn, Welcome
from siyu.customers.models import CustomerSyncRun
from siyu.jobs import Job, NotYet, job
from siyu.staff.models import StaffAccount
from siyu.stores.models import Store
from siyu.tags.models import Tag

DEMO_JOB = "codes.demo"
DEMO_WELCOME = (
    "{客户昵称}您好，我是{员工姓名}～感谢关注！回复「烤串」领取¥1烤串券，到店出示即可使用。"
)
# The demo corp's channels (states its customers carry), as codes a brand would run them.
DEMO_CODES: tuple[dict[str, Any], ...] = (
    {
        "state": "store_xuhui",
        "store": "上海徐汇店",
        "body": {
            "name": "徐汇店收银台",
            "folder": "门店",
            "routing": "weighted",
            "members": [
                {"userid": "wangfang", "weight": 3, "daily_cap": 80},
                {"userid": "zhangqiang", "weight": 1, "daily_cap": 30},
                {"userid": "liwen", "backup": True},
            ],
            "tag_names": ["门店", "新客"],
            "remark_template": "徐汇·{客户昵称}",
            "welcome": {
                "enabled": True,
                "text": DEMO_WELCOME,
                "attachments": [
                    {
                        "msgtype": "link",
                        "link": {
                            "title": "¥1 烤串券",
                            "url": "https://example.com/coupon/skewer",
                            "desc": "到店出示即可使用",
                        },
                    }
                ],
                "variants": [
                    {
                        "start": "21:00",
                        "end": "08:00",
                        "text": "{客户昵称}晚上好～我是{员工姓名}，明天到店找我领¥1烤串券哦",
                    }
                ],
            },
            "landing": {"title": "扫码领¥1烤串", "description": "徐汇店专属顾问，一对一服务"},
        },
    },
    {
        "state": "store_chaoyang",
        "store": "北京朝阳店",
        "body": {
            "name": "朝阳店门口海报",
            "folder": "门店",
            "routing": "round_robin",
            "members": [
                {
                    "userid": "chenjie",
                    "hours": [{"days": [1, 2, 3, 4, 5, 6, 7], "start": "09:00", "end": "22:00"}],
                }
            ],
            "fallback_userids": ["liwen"],
            "tag_names": ["门店"],
            "welcome": {"enabled": True, "text": DEMO_WELCOME},
            "landing": {"title": "朝阳店会员福利", "description": "加我领¥1烤串券"},
        },
    },
    {
        "state": "parcel_card",
        "body": {
            "name": "快递包裹卡片",
            "folder": "电商",
            "routing": "round_robin",
            "members": [{"userid": "wangfang"}, {"userid": "chenjie"}],
            "tag_names": ["快递卡片"],
            "welcome": {
                "enabled": True,
                "text": "{客户昵称}您好，包裹收到了吗？我是您的专属顾问{员工姓名}，晒单返¥5哦",
            },
            "landing": {"title": "晒单返¥5", "description": "扫码添加专属顾问"},
        },
    },
    {
        "state": "moments_ad",
        "body": {
            "name": "朋友圈广告",
            "folder": "广告",
            "routing": "single",
            "members": [{"userid": "liwen"}],
            "tag_names": ["朋友圈广告", "潜在"],
            "nearest_store": True,
            "welcome": {
                "enabled": True,
                "text": "{客户昵称}您好！免费试吃装已为您预留，回复地址即可",
            },
            "landing": {"title": "免费试吃装", "description": "添加顾问，免费领取"},
        },
    },
)


@job(DEMO_JOB, max_attempts=12)
def demo_codes(session: Session, job_row: Job) -> None:
    """The demo brand's channel codes, on the channels its customers came by, with a default
    welcome for everyone else: made once the staff and customer syncs have run."""
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
    if session.scalar(select(ChannelCode.id).where(ChannelCode.tenant_id == tenant_id)):
        return
    stores = dict(
        session.execute(select(Store.name, Store.id).where(Store.tenant_id == tenant_id)).all()
    )
    if not stores:
        raise NotYet("waiting for the demo's stores")
    tag_ids = dict(
        session.execute(select(Tag.name, Tag.id).where(Tag.tenant_id == tenant_id)).all()
    )
    for demo in DEMO_CODES:
        body = dict(demo["body"])
        body["tag_ids"] = [tag_ids[n] for n in body.pop("tag_names") if n in tag_ids]
        if demo.get("store") in stores:
            body["store_id"] = stores[demo["store"]]
        service.create_code(
            session, tenant_id, CodeIn.model_validate(body), created_by=None, state=demo["state"]
        )
    friends.set_default_welcome(
        session,
        tenant_id,
        Welcome(enabled=True, text="{客户昵称}您好，我是{员工姓名}，有任何问题随时找我～"),
    )
