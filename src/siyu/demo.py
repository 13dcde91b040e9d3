"""The demo tenant that ``make run`` shows a newcomer: real rows made by the real services.

Seeding is idempotent: once the demo tenant exists, nothing is written again.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from siyu import jobs
from siyu.auth import service as auth
from siyu.auth.permissions import Permission, Role
from siyu.auth.principal import Principal, system_principal
from siyu.customers import service as customers
from siyu.groups import service as groups
from siyu.materials import demo as materials
from siyu.playbooks import demo as playbooks
from siyu.scripts import demo as scripts
from siyu.segments import demo as segments
from siyu.staff.service import SYNC_JOB
from siyu.tenants import repository as tenants
from siyu.users import service as users
from siyu.users.schemas import UserCreate, UserUpdate
from siyu.wecom import service as wecom
from siyu.wecom.schemas_api import ConnectionIn

DEMO_SLUG = "demo"
DEMO_TENANT_NAME = "私域示范品牌 Demo Brand"
DEMO_USERNAME = "demo"

# (username, display name, role): the people of a small brand's private-domain team.
DEMO_TEAM: tuple[tuple[str, str, Role], ...] = (
    (DEMO_USERNAME, "演示管理员 Demo Admin", Role.OWNER),
    ("liwen", "李雯（运营）", Role.OPERATOR),
    ("zhangqiang", "张强（店长·徐汇店）", Role.SHOP_MANAGER),
    ("wangfang", "王芳（导购）", Role.STAFF),
    ("chenjie", "陈杰（导购）", Role.STAFF),
)


@dataclass(frozen=True)
class SeedResult:
    created: bool
    tenant_id: int


def seed(session: Session, *, password: str) -> SeedResult:
    existing = tenants.get_by_slug(session, DEMO_SLUG)
    if existing is not None:
        return SeedResult(created=False, tenant_id=existing.id)
    tenant = tenants.create(session, name=DEMO_TENANT_NAME, slug=DEMO_SLUG)
    actor = system_principal(tenant.id, label="演示数据 demo seed")
    created = {
        username: users.create(
            session,
            actor,
            UserCreate(username=username, display_name=name, password=password, role=role),
        )
        for username, name, role in DEMO_TEAM
    }
    # A member who left: disabled, kept for the record.
    users.update(session, actor, created["chenjie"].id, UserUpdate(is_active=False))
    auth.create_token(
        session,
        actor,
        name="商城订单同步 Mall order sync",
        scopes=[Permission.DASHBOARD_READ.value, Permission.USERS_READ.value],
    )
    connect_to_sandbox(session, actor)
    # The team's WeCom accounts come from WeCom itself (the sandbox): the worker mirrors them
    # as soon as it runs, retrying until the sandbox answers.
    jobs.submit(
        session,
        SYNC_JOB,
        {"tenant_id": tenant.id},
        tenant_id=tenant.id,
        key=f"staff-sync:{tenant.id}:demo",
    )
    # And the customers of that team, with their tags (a few thousand in the sandbox's demo).
    customers.start_sync(session, tenant.id)
    # Its customer groups, and a group code over two of them once they are synced.
    groups.start_sync(session, tenant.id)
    _demo_job(session, tenant.id, "groups.demo", "groups-demo")
    # Its stores and regions, with the team assigned once the syncs above have run.
    _demo_job(session, tenant.id, "stores.demo", "stores-demo")
    # Channel codes on the channels its customers came by, and a default welcome.
    _demo_job(session, tenant.id, "codes.demo", "codes-demo")
    # A list of last year's buyers for two shop assistants to add, a few days under way.
    _demo_job(session, tenant.id, "addfriend.demo", "add-friend-demo")
    # Audiences its operators keep (人群), counted as the customers come in.
    segments.seed(session, tenant.id)
    _demo_job(session, tenant.id, "autotag.demo", "autotag-demo")
    # Its Moments calendar: last weekend, this week and next, once the syncs above have run.
    _demo_job(session, tenant.id, "moments.demo", "moments-demo")
    # A calendar of posts to its customer groups (群日历).
    playbooks.seed(session, tenant.id)
    # A week of broadcasts (群发) to those audiences, and a few to come.
    _demo_job(session, tenant.id, "broadcasts.demo", "broadcasts-demo")
    # An invitation of its newest friends into the groups of its group code (拉群邀请).
    _demo_job(session, tenant.id, "invitations.demo", "invitations-demo")
    # Its material library and scripts, and a 7-day promotion started for the newest friends
    # once they are synced (so its staff have tasks).
    materials.seed(session, tenant.id)
    scripts.seed_library(session, tenant.id)
    _demo_job(session, tenant.id, scripts.DEMO_JOB, "scripts-demo")
    return SeedResult(created=True, tenant_id=tenant.id)


def _demo_job(session: Session, tenant_id: int, kind: str, name: str) -> None:
    """A demo job of the tenant, once (keyed by its name and the tenant)."""
    jobs.submit(
        session, kind, {"tenant_id": tenant_id}, tenant_id=tenant_id, key=f"{name}:{tenant_id}"
    )


def connect_to_sandbox(session: Session, actor: Principal) -> None:
    """The demo tenant's corp is the sandbox's demo corp, with the same secrets and keys."""
    from siyu.sandbox.demo import DEMO_CORP

    wecom.save(
        session,
        actor,
        ConnectionIn(
            corp_id=DEMO_CORP.corp_id,
            contact_secret=DEMO_CORP.contact_secret,
            agent_id=DEMO_CORP.agent_id,
            app_secret=DEMO_CORP.app_secret,
            callback_token=DEMO_CORP.callback_token,
            encoding_aes_key=DEMO_CORP.encoding_aes_key,
        ),
    )
