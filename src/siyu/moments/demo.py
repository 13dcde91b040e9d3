"""The demo tenant's Moments calendar: last weekend, this week and next, a mix of the four
kinds at the suggested hours, next week with too many ads (the calendar warns). Posts whose time
has passed are created in WeCom (the sandbox) at once; :func:`publish_some` then has a few
staff publish them in the sandbox, as they would from their WeCom client (and some of their
customers like and comment), when ``siyu up`` runs the demo the first time."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.config import Settings
from siyu.customers.models import FRIEND, Customer, CustomerSyncRun, Follow
from siyu.db import Database, get_database, utcnow
from siyu.jobs import Job, NotYet, job
from siyu.materials.models import Material
from siyu.moments import results, service
from siyu.moments.calendar import TZ
from siyu.moments.models import (
    CREATED,
    DRAFT,
    PENDING,
    PUBLISHED,
    SCHEDULED,
    MomentPost,
    MomentResult,
)
from siyu.staff.models import StaffAccount
from siyu.tags.models import Tag
from siyu.tenants import repository as tenants

log = logging.getLogger("siyu.demo")
DEMO_JOB = "moments.demo"
# The demo's crowd of customers (a sandbox without it, as in the tests, gets no demo posts).
CROWD = 100
SHOP = ["wangfang", "zhangqiang"]

# (week from this one, weekday 0=Mon, "HH:MM", kind, text, senders: None = all, or userids)
PLAN: tuple[tuple[int, int, str, str, str, list[str] | None], ...] = (
    (-1, 5, "21:00", "feedback", "顾客晒单：李先生带全家来吃周末砂锅，孩子说汤最好喝", SHOP),
    (-1, 6, "21:45", "light", "周日打烊后，店里小伙伴一起包饺子，明天见～", None),
    (0, 0, "12:00", "light", "周一午安：今天的第一锅骨汤熬了六个小时", None),
    (0, 0, "21:00", "knowledge", "冬季进补小知识：羊肉怎么炖不膻？记住这三步", None),
    (0, 1, "21:00", "feedback", "老顾客回访：张女士说番茄牛腩是女儿每周必点", SHOP),
    (0, 2, "21:45", "ad", "暖冬砂锅套餐上新，本周到店 8 折", None),
    (0, 3, "21:00", "light", "店里的小橘猫今天又来巡店了，欢迎来撸", None),
    (0, 4, "21:00", "knowledge", "挑牛肉的三个小窍门：看颜色、摸弹性、闻气味", None),
    (0, 5, "12:00", "feedback", "顾客晒单：公司团建 20 人包间，谢谢大家的好评", SHOP),
    (0, 6, "21:45", "light", "周末愉快！分享一首店里最近常放的歌", None),
    (1, 0, "21:00", "ad", "双十二预售开启：到店出示本条立减 30 元", None),
    (1, 1, "12:00", "light", "午饭吃什么？今天的员工餐是酸汤肥牛", None),
    (1, 1, "21:00", "ad", "会员日：本周二积分翻倍，储值送菜", None),
    (1, 2, "21:00", "knowledge", "冬天喝汤的讲究：先喝汤再吃饭更养胃", None),
    (1, 3, "22:30", "ad", "限时秒杀：招牌砂锅 49 元，仅限今晚", None),
    (1, 4, "21:00", "feedback", "顾客留言：第一次来就办了会员，服务很贴心", SHOP),
    (1, 5, "21:45", "light", "周末的店里很热闹，记得提前订位", None),
)


# Pictures of the demo's material library some posts carry (by post text, material title).
PICTURES = {
    "周日打烊后，店里小伙伴一起包饺子，明天见～": "门店环境 · 徐汇店",
    "会员日：本周二积分翻倍，储值送菜": "会员日海报",
}


@job(DEMO_JOB, max_attempts=12)
def demo_posts(session: Session, job_row: Job) -> None:
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
    if session.scalar(select(MomentPost.id).where(MomentPost.tenant_id == tenant_id)):
        return
    crowd = session.scalar(
        select(func.count()).select_from(Customer).where(Customer.tenant_id == tenant_id)
    )
    if (crowd or 0) < CROWD:
        return
    seed(session, tenant_id, utcnow())


def seed(session: Session, tenant_id: int, now: dt.datetime) -> list[MomentPost]:
    """The demo's posts around ``now``: those already past are given their create jobs."""
    active = set(
        session.scalars(
            select(StaffAccount.userid).where(
                StaffAccount.tenant_id == tenant_id, StaffAccount.status == "active"
            )
        )
    )
    # The ads are shown to customers who came by the Moments ad channel (a tag of the demo).
    ad_tag = session.scalar(
        select(Tag.id).where(
            Tag.tenant_id == tenant_id, Tag.name == "朋友圈广告", Tag.wecom_id.is_not(None)
        )
    )
    pictures = dict(
        session.execute(
            select(Material.title, Material.id).where(
                Material.tenant_id == tenant_id,
                Material.title.in_(list(PICTURES.values())),
                Material.archived.is_(False),
            )
        ).all()
    )
    today = now.astimezone(TZ).date()
    monday = today - dt.timedelta(days=today.weekday())
    posts = []
    for week, weekday, clock, kind, text, userids in PLAN:
        day = monday + dt.timedelta(days=7 * week + weekday)
        hour, minute = (int(x) for x in clock.split(":"))
        at = dt.datetime.combine(day, dt.time(hour, minute), TZ).astimezone(dt.UTC)
        chosen = [u for u in userids or [] if u in active]
        post = MomentPost(
            tenant_id=tenant_id,
            kind=kind,
            text=text,
            material_ids=[pictures[PICTURES[text]]] if PICTURES.get(text) in pictures else [],
            all_staff=not chosen,
            userids=chosen,
            tag_ids=[ad_tag] if kind == "ad" and ad_tag and week == 0 else [],
            planned_at=at,
            state=SCHEDULED,
            due_at=at if at > now else None,
            created_at=now,
            updated_at=now,
        )
        if week == 1 and weekday == 5:
            post.state, post.due_at = DRAFT, None  # still being written
        session.add(post)
        posts.append(post)
    session.flush()
    for post in posts:
        if post.state == SCHEDULED and post.due_at is None:
            service.submit_create(session, post)
    return posts


def publish_some(settings: Settings, timeout: float = 300) -> None:
    """On the demo's first run, some staff publish the posts created so far in the sandbox
    (one or two accounts each), then Siyu reads the results: the calendar and the posts' pages
    show who published, by the real paths."""
    import httpx

    from siyu import demo

    database = get_database()
    deadline = time.monotonic() + timeout
    waiting: dict[tuple[int, str], list[str]] = defaultdict(list)
    tenant_id = 0
    while time.monotonic() < deadline:
        with database.factory() as session:
            tenant = tenants.get_by_slug(session, demo.DEMO_SLUG)
            if tenant is None:
                return
            tenant_id = tenant.id
            if session.scalar(
                select(MomentResult.post_id).where(
                    MomentResult.tenant_id == tenant_id, MomentResult.status == PUBLISHED
                )
            ):
                return  # not the first run
            query = select(MomentResult.post_id, MomentPost.moment_id, MomentResult.userid)
            rows = session.execute(
                query.join(MomentPost, MomentPost.id == MomentResult.post_id)
                .where(
                    MomentResult.tenant_id == tenant_id,
                    MomentResult.status == PENDING,
                    MomentPost.state == CREATED,
                    MomentPost.moment_id.is_not(None),
                )
                .order_by(MomentResult.post_id, MomentResult.userid)
            ).all()
        for post_id, moment_id, userid in rows:
            waiting[(post_id, moment_id or "")].append(userid)
        if waiting:
            break
        time.sleep(3)
    friends = _friends(database, tenant_id, {u for us in waiting.values() for u in us})
    try:
        for index, ((_post_id, moment_id), userids) in enumerate(sorted(waiting.items())):
            for userid in userids[: 1 + index % 2]:
                httpx.post(
                    f"{settings.sandbox_url}/sandbox/simulate/publish_moment",
                    json={"moment_id": moment_id, "userid": userid},
                    timeout=10,
                ).raise_for_status()
                # Some of the account's customers like it; fewer comment.
                mine = friends.get(userid, [])
                likes, comments = mine[: 2 + index % 5], mine[: index % 3]
                for kind, who in (("like", likes), ("comment", comments)):
                    for external_userid in who:
                        httpx.post(
                            f"{settings.sandbox_url}/sandbox/simulate/moment_interaction",
                            json={
                                "moment_id": moment_id,
                                "userid": userid,
                                "external_userid": external_userid,
                                "kind": kind,
                            },
                            timeout=10,
                        ).raise_for_status()
    except httpx.HTTPError as exc:
        log.warning("demo Moments publishing stopped: %s", exc)
    with database.transaction() as session:
        results.request_sync(session, tenant_id)


def _friends(database: Database, tenant_id: int, userids: set[str]) -> dict[str, list[str]]:
    """A few customers of each account (their external_userids), for the demo's reactions."""
    found: dict[str, list[str]] = defaultdict(list)
    with database.factory() as session:
        rows = session.execute(
            select(Follow.userid, Customer.external_userid)
            .join(Customer, Customer.id == Follow.customer_id)
            .where(
                Follow.tenant_id == tenant_id,
                Follow.userid.in_(userids),
                Follow.status == FRIEND,
                Customer.external_userid.is_not(None),
            )
            .order_by(Follow.userid, Customer.id)
        )
        for userid, external_userid in rows:
            if len(found[userid]) < 8:
                found[userid].append(str(external_userid))
    return found
