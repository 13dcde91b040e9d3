"""The demo tenant's material library: posters and product pictures (drawn here, no network),
links to the brand's pages with covers, the mall's mini-program card and a price list PDF —
made by the same service an upload goes through."""

from __future__ import annotations

import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.materials import samples, service
from siyu.materials.models import Material
from siyu.materials.schemas import LinkIn, MiniprogramIn

# (title, category, keywords, colour, label, jpeg)
IMAGES: tuple[tuple[str, str, str, str, str, bool], ...] = (
    ("双十一主海报", "活动海报", "双十一 大促 满减", "#e4393c", "11.11 SALE", False),
    ("会员日海报", "活动海报", "会员日 积分 双倍", "#8e44ad", "MEMBER DAY", False),
    ("秋冬新品 · 羊毛大衣", "新品", "秋冬 新品 大衣", "#a0522d", "NEW IN", True),
    ("秋冬新品 · 针织衫", "新品", "秋冬 新品 针织", "#2e86c1", "KNIT", True),
    ("到店礼 · 帆布袋", "门店", "到店礼 赠品", "#27ae60", "GIFT", False),
    ("门店环境 · 徐汇店", "门店", "门店 徐汇", "#7f8c8d", "XUHUI STORE", True),
    ("新客福利券", "优惠券", "新客 优惠券 10元", "#f39c12", "10 OFF", False),
    ("售后服务卡", "售后", "售后 退换 保养", "#16a085", "SERVICE", False),
)

LINKS: tuple[tuple[str, str, str, int], ...] = (
    (
        "双十一会场 · 满300减50",
        "https://example.com/brand/1111",
        "今晚 8 点开抢，会员再享 95 折",
        0,
    ),
    ("会员日 · 积分双倍", "https://example.com/brand/member-day", "每月 18 日，积分双倍还送礼", 1),
    ("大衣保养指南", "https://example.com/brand/care/wool-coat", "羊毛大衣的洗护与收纳", 2),
)


def seed(session: Session, tenant_id: int) -> list[Material]:
    """Idempotent: a tenant that has materials keeps them as they are."""
    if session.scalar(select(Material.id).where(Material.tenant_id == tenant_id).limit(1)):
        return []
    made: list[Material] = []
    for title, category, keywords, colour, label, jpeg in IMAGES:
        content = samples.jpeg(colour, (480, 360)) if jpeg else samples.png(colour, label=label)
        made.append(
            service.create_file(
                session,
                tenant_id,
                kind="image",
                stream=io.BytesIO(content),
                filename=f"{label.lower().replace(' ', '-')}.{'jpg' if jpeg else 'png'}",
                title=title,
                category=category,
                keywords=keywords,
            )
        )
    for title, url, description, cover in LINKS:
        body = LinkIn(
            title=title,
            url=url,
            description=description,
            cover_id=made[cover].id,
            category="活动页面",
        )
        made.append(service.create_link(session, tenant_id, body))
    mall = MiniprogramIn(
        title="品牌商城 · 新品首发",
        appid="wx5f3c9a1b2d4e6f70",
        page="pages/index/index?from=scrm",
        cover_id=made[2].id,
        category="小程序",
        keywords="商城 小程序 下单",
    )
    made.append(service.create_miniprogram(session, tenant_id, mall))
    made.append(
        service.create_file(
            session,
            tenant_id,
            kind="file",
            stream=io.BytesIO(samples.pdf("Autumn/Winter price list")),
            filename="price-list-autumn-winter.pdf",
            title="秋冬价目表",
            category="资料",
            keywords="价目表 价格",
        )
    )
    return made
