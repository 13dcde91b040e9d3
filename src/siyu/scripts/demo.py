"""The demo tenant's script library: four categories of the scripts a shop team uses, and a
7-day promotion sequence started three days ago for the newest friends, so its staff have tasks
(some done) to show."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.customers.models import ACTIVE, Customer, CustomerSyncRun
from siyu.jobs import NotYet
from siyu.materials.models import Material
from siyu.scripts import repository, sequences, service, staff_tasks
from siyu.scripts.models import Script, ScriptTask, SequenceRun
from siyu.scripts.models import Sequence as ScriptSequence
from siyu.scripts.schemas import CategoryIn, RunIn, ScriptIn, SequenceIn, StepIn

DEMO_JOB = "scripts.demo"
PROMOTION = "双十一 7 天促销"

# category -> (title, body, keywords)
SCRIPTS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "开场白": (
        (
            "新好友问候",
            "{customer_name}您好，我是{store_name}的{staff_name}，以后有穿搭问题随时找我～",
            "问候 新好友",
        ),
        (
            "门店到店后",
            "{customer_name}，今天谢谢您来店里！您试的那件我帮您留意尺码，有货第一时间告诉您",
            "到店 感谢",
        ),
        ("老客回访", "{customer_name}好久不见～最近店里到了秋冬新品，有空来试试？", "回访 老客"),
        ("节日问候", "{customer_name}，节日快乐！{today}起到店有小礼物，等您来拿", "节日 问候"),
        (
            "生日祝福",
            "{customer_name}生日快乐🎂！生日当月到店消费享 9 折，再送一份小礼物",
            "生日 祝福",
        ),
    ),
    "产品介绍": (
        (
            "羊毛大衣卖点",
            "这款大衣是 90% 羊毛，双面呢工艺，轻而保暖，版型偏宽松，建议按平时尺码选",
            "大衣 羊毛 尺码",
        ),
        ("针织衫搭配", "针织衫可以单穿也能内搭，配阔腿裤通勤、配半裙约会都好看", "针织 搭配"),
        (
            "尺码建议",
            "{customer_name}，方便告诉我您的身高体重吗？我帮您推荐最合适的尺码",
            "尺码 身高 体重",
        ),
        ("面料说明", "这批面料做过防起球处理，日常手洗或干洗都可以，避免暴晒", "面料 洗护"),
        (
            "新品到店",
            "{customer_name}，您关注的新品今天到店了，{store_name}有现货，要帮您留一件吗？",
            "新品 到店 留货",
        ),
    ),
    "活动促销": (
        (
            "双十一预告",
            "{customer_name}，双十一满 300 减 50，会员再享 95 折，活动页面发您了",
            "双十一 满减 预告",
        ),
        ("会员日提醒", "每月 18 日会员日积分双倍，{customer_name}记得来哦", "会员日 积分"),
        (
            "新客券",
            "{customer_name}，送您一张 10 元新客券，下单自动抵扣，7 天内有效",
            "新客 优惠券",
        ),
        ("限时提醒", "活动今晚 24 点结束，{customer_name}看中的款式要抓紧啦", "限时 截止"),
        (
            "拼单福利",
            "和朋友一起下单满 2 件再减 30，{customer_name}可以叫上闺蜜一起～",
            "拼单 满减",
        ),
    ),
    "售后": (
        (
            "退换货说明",
            "{customer_name}，7 天内吊牌完好可无理由退换，门店和线上都可以办理",
            "退货 换货 7天",
        ),
        ("物流查询", "{customer_name}，我帮您查一下物流，稍等一下哦", "物流 快递"),
        (
            "保养提醒",
            "大衣穿了一季，建议干洗后用宽肩衣架挂起来收纳，{staff_name}提醒您～",
            "保养 收纳",
        ),
        (
            "质量问题致歉",
            "非常抱歉给您带来不便！{customer_name}拍张照片给我，我马上为您处理",
            "质量 致歉",
        ),
        ("满意度回访", "{customer_name}，衣服穿着还合适吗？有任何问题都可以找我", "回访 满意度"),
    ),
}


def _materials(session: Session, tenant_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Material.title, Material.id).where(Material.tenant_id == tenant_id)
    )
    return {str(title): int(mid) for title, mid in rows}


def seed_library(session: Session, tenant_id: int) -> None:
    """Categories, scripts and the promotion sequence; idempotent."""
    if session.scalar(select(Script.id).where(Script.tenant_id == tenant_id).limit(1)):
        return
    materials = _materials(session, tenant_id)
    first: dict[str, int] = {}
    for position, (name, scripts) in enumerate(SCRIPTS.items()):
        category = service.create_category(session, tenant_id, CategoryIn(name=name))
        category.position = position
        for title, body, keywords in scripts:
            attach = [
                materials[t] for t in ("双十一主海报",) if title == "双十一预告" and t in materials
            ]
            script = service.create_script(
                session,
                tenant_id,
                ScriptIn(
                    title=title,
                    body=body,
                    category_id=category.id,
                    keywords=keywords,
                    material_ids=attach,
                ),
            )
            first.setdefault(title, script.id)
    link = materials.get("双十一会场 · 满300减50")
    steps = [
        StepIn(day=1, script_id=first["双十一预告"]),
        StepIn(day=2, script_id=first["新品到店"]),
        StepIn(day=3, text="{customer_name}，今天是会员日，积分双倍，满 300 减 50 还在继续"),
        StepIn(day=4, script_id=first["新客券"]),
        StepIn(
            day=5,
            text="{customer_name}，双十一会场已开，点开就能下单",
            material_ids=[link] if link else [],
        ),
        StepIn(day=6, script_id=first["拼单福利"]),
        StepIn(day=7, script_id=first["限时提醒"]),
    ]
    sequences.create(
        session,
        tenant_id,
        SequenceIn(name=PROMOTION, description="双十一前一周，每天一条", steps=steps),
    )


def seed_run(session: Session, tenant_id: int, today: dt.date | None = None) -> None:
    """The promotion started three days ago for the newest friends with an owner; day 1's
    tasks done, day 2's half done. Idempotent."""
    promotion = session.scalar(
        select(ScriptSequence).where(
            ScriptSequence.tenant_id == tenant_id, ScriptSequence.name == PROMOTION
        )
    )
    if promotion is None or session.scalar(
        select(SequenceRun.id).where(SequenceRun.sequence_id == promotion.id).limit(1)
    ):
        return
    last_sync = session.scalar(
        select(CustomerSyncRun.state)
        .where(CustomerSyncRun.tenant_id == tenant_id)
        .order_by(CustomerSyncRun.id.desc())
        .limit(1)
    )
    if last_sync in (None, "running"):
        raise NotYet("waiting for the customer sync")
    chosen = list(
        session.scalars(
            select(Customer.id)
            .where(
                Customer.tenant_id == tenant_id,
                Customer.status == ACTIVE,
                Customer.owner_userid.is_not(None),
            )
            .order_by(Customer.first_added_at.desc(), Customer.id.desc())
            .limit(40)
        )
    )
    if not chosen:
        return
    today = today or sequences.today()
    run = sequences.start(session, tenant_id, promotion, RunIn(customer_ids=chosen))
    run.start_date = today - dt.timedelta(days=3)
    staff_tasks.make_tasks(session, run, today)
    for task in session.scalars(
        select(ScriptTask).where(ScriptTask.run_id == run.id, ScriptTask.day <= 2)
    ):
        if task.day == 1:
            staff_tasks.mark_done(session, task, None)
        else:
            items = repository.task_items(session, task.id)
            half = [item.customer_id for item, _name in items[: len(items) // 2]]
            if half:
                staff_tasks.mark_done(session, task, half)
