"""Tenant A can neither read nor change tenant B's rows, on every route that exists.

The routes come from the application's own route table, so a new route is covered the day it is
added: one with a path parameter must get a factory below, one with a body a sample body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.addfriend.models import AddFriendTask
from siyu.app import API_PREFIX, DOMAIN_ROUTERS
from siyu.customers.models import ChurnAlert
from siyu.db import Base
from siyu.groups.models import Group, GroupWelcome
from siyu.scripts.models import SequenceRun
from siyu.staff.models import StaffAccount
from siyu.stores.models import Region
from siyu.tags.models import Tag, TaggingRun, TagGroup
from siyu.tenants.models import Tenant
from tests.addfriend.factories import add_tasks, make_list
from tests.autotag.factories import make_keyword_rule
from tests.broadcasts.factories import make_broadcast, make_invitation, make_playbook
from tests.factories import (
    make_behaviour_rule,
    make_channel_code,
    make_customer,
    make_import,
    make_segment,
    make_store,
    make_tenant,
    make_token,
    make_transfer,
    make_user,
)
from tests.groups.factories import make_group_code
from tests.helpers import login
from tests.materials.factories import make_link
from tests.moments.factories import make_moment_post
from tests.scripts.factories import make_category, make_script, make_sequence, make_task
from tests.wecom.factories import connect

MARKER = "租户B的秘密 tenant-b-secret"


def _tagging_run(session: Session, tenant: Tenant) -> int:
    run = TaggingRun(tenant_id=tenant.id, filter={"q": MARKER}, actor=MARKER, state="done")
    session.add(run)
    session.flush()
    return run.id


def _add_friend_list(session: Session, tenant: Tenant) -> int:
    """A list of tenant B named with the marker, with one task."""
    target = make_list(session, tenant, MARKER)
    add_tasks(session, target, ["13955550001"], names=[MARKER])
    return target.id


# Path parameter -> a row of tenant B carrying the marker.
ID_FACTORIES: dict[str, Callable[[Session, Tenant], int]] = {
    "user_id": lambda session, tenant: make_user(session, tenant, display_name=MARKER).id,
    "token_id": lambda session, tenant: make_token(session, tenant, name=MARKER)[0],
    "customer_id": lambda session, tenant: make_customer(session, tenant, MARKER).id,
    "import_id": lambda session, tenant: make_import(session, tenant, MARKER).id,
    "run_id": _tagging_run,
    "alert_id": lambda session, tenant: _first(session, ChurnAlert, tenant),
    "group_id": lambda session, tenant: _first(session, TagGroup, tenant),
    "tag_id": lambda session, tenant: _first(session, Tag, tenant),
    "store_id": lambda session, tenant: make_store(session, tenant, MARKER).id,
    "region_id": lambda session, tenant: _first(session, Region, tenant),
    "staff_account_id": lambda session, tenant: _first(session, StaffAccount, tenant),
    "transfer_id": lambda session, tenant: make_transfer(session, tenant, MARKER).id,
    "code_id": lambda session, tenant: make_channel_code(session, tenant, MARKER).id,
    "group_code_id": lambda session, tenant: make_group_code(session, tenant, MARKER).id,
    "customer_group_id": lambda session, tenant: _first(session, Group, tenant),
    "welcome_id": lambda session, tenant: _first(session, GroupWelcome, tenant),
    "list_id": _add_friend_list,
    "task_id": lambda session, tenant: _first(session, AddFriendTask, tenant),
    "segment_id": lambda session, tenant: make_segment(session, tenant, MARKER).id,
    "rule_id": lambda session, tenant: make_behaviour_rule(session, tenant, MARKER).id,
    "keyword_rule_id": lambda session, tenant: make_keyword_rule(session, tenant, MARKER).id,
    "material_id": lambda session, tenant: make_link(session, tenant, MARKER[:20]).id,
    "category_id": lambda session, tenant: make_category(session, tenant, MARKER[:30]).id,
    "script_id": lambda session, tenant: make_script(session, tenant, MARKER).id,
    "sequence_id": lambda session, tenant: make_sequence(session, tenant, MARKER).id,
    "script_task_id": lambda session, tenant: make_task(session, tenant, MARKER).id,
    "sequence_run_id": lambda session, tenant: _first(session, SequenceRun, tenant),
    "post_id": lambda session, tenant: make_moment_post(session, tenant, MARKER).id,
    "broadcast_id": lambda session, tenant: make_broadcast(session, tenant, MARKER).id,
    "playbook_id": lambda session, tenant: make_playbook(session, tenant, MARKER).id,
    "invitation_id": lambda session, tenant: make_invitation(session, tenant, MARKER).id,
}


def _first(session: Session, model: Any, tenant: Tenant) -> int:
    """A row of tenant B made by an earlier factory (the customer comes with them)."""
    found = session.scalar(select(model.id).where(model.tenant_id == tenant.id).limit(1))
    assert found is not None
    return int(found)


# A valid body per operation, so a refusal is about tenancy and not about validation.
SAMPLE_BODIES: dict[str, dict[str, Any]] = {
    "login": {"username": "nobody", "password": "nothing-at-all"},
    "updateMe": {"locale": "en"},
    "createUser": {
        "username": "tenancy-probe",
        "display_name": "probe",
        "password": "probe-password",
        "role": "staff",
    },
    "updateUser": {"display_name": "changed by tenant A", "role": "staff", "is_active": False},
    "createApiToken": {"name": "probe", "scopes": ["dashboard:read"]},
    "saveWeComConnection": {"corp_id": "wwtenantaprobe", "contact_secret": "probe-secret"},
    "uploadCustomerImport": {},  # not a file: refused before anything is stored
    "mapCustomerImport": {"mapping": {}},
    "editCustomer": {"city": "上海", "notes": "changed by tenant A"},
    "addCustomerPhone": {"phone": "13912345678"},
    "tagCustomers": {"customer_ids": [1, 2, 3], "add": [1], "remove": [2]},
    "handleChurnAlert": {"note": "changed by tenant A"},
    "createTagGroup": {"name": "A 组", "tags": ["A 标签"]},
    "editTagGroup": {"name": "changed by A"},
    "addTags": {"names": ["A 的标签"]},
    "editTag": {"name": "changed by A"},
    "startTaggingRun": {"filter": {}, "add": [1]},
    "createTransfer": {
        "kind": "active",
        "handover_userid": "staff01",
        "takeover_userid": "staff02",
        "message": "changed by tenant A",
    },
    "createRegion": {"name": "A 的区域"},
    "editRegion": {"name": "changed by A"},
    "createStore": {"name": "A 的门店", "code": "A-001", "latitude": 31.2, "longitude": 121.4},
    "editStore": {"name": "changed by A", "status": "closed"},
    "setStoreStaff": {"staff_account_ids": []},
    "setStoreManagers": {"user_ids": []},
    "rotateStaffAccount": {"operator_name": "A 的操作人"},
    "createChannelCode": {"name": "A 的活码", "members": [{"userid": "staff01"}]},
    "updateChannelCode": {"name": "changed by A", "members": [{"userid": "staff01"}]},
    "renderChannelCodeQrWithLogo": {},  # not a file: refused before anything is read
    "setDefaultWelcome": {"welcome": {"enabled": True, "text": "changed by A"}},
    "createGroupCode": {"name": "A 的群活码", "group_ids": [1], "room_base_name": "A 群"},
    "editGroupCode": {"name": "changed by A", "group_ids": [1], "room_base_name": "A 群"},
    "createGroupWelcome": {"name": "A 的欢迎语", "text": "欢迎 %NICKNAME%"},
    "editGroupWelcome": {"name": "changed by A", "text": "changed by A"},
    "uploadAddFriendList": {},  # not a file: refused before anything is stored
    "editAddFriendList": {"name": "changed by A", "daily_limit": 5},
    "mapAddFriendList": {"mapping": {}},
    "skipAddFriendTask": {"reason": "other", "note": "changed by tenant A"},
    "reassignAddFriendTasks": {"from_userid": "staff01", "to_userids": ["staff02"]},
    "countSegmentRule": {"rule": {"field": "city", "op": "eq", "value": "上海"}},
    "previewSegmentRule": {"rule": {"field": "city", "op": "eq", "value": "上海"}},
    "createBroadcast": {
        "name": "A 的群发",
        "text": "changed by tenant A",
        "audience": {"kind": "staff", "userids": ["a-staff"]},
    },
    "updateBroadcast": {
        "name": "changed by A",
        "text": "changed by tenant A",
        "audience": {"kind": "staff", "userids": ["a-staff"]},
    },
    "countBroadcastAudience": {
        "chat_type": "single",
        "audience": {"kind": "staff", "userids": ["a-staff"]},
    },
    "saveReachSettings": {
        "quiet_start": "22:00",
        "quiet_end": "08:00",
        "cap_count": 3,
        "cap_days": 7,
        "wecom_policy": "month",
    },
    "createPlaybook": {
        "name": "A 的群日历",
        "audience": {"kind": "groups", "group_ids": [], "owner_userids": []},
        "enabled": False,
        "posts": [{"at": "08:30", "text": "changed by tenant A"}],
    },
    "updatePlaybook": {
        "name": "changed by A",
        "audience": {"kind": "groups", "group_ids": [], "owner_userids": []},
        "enabled": False,
        "posts": [{"at": "08:30", "text": "changed by tenant A"}],
    },
    "createInvitation": {
        "name": "A 的邀请",
        "audience": {"kind": "tags", "tag_ids": [1], "match": "any"},
        "code_id": 1,
        "text": "changed by tenant A",
    },
    "createSegment": {
        "name": "A 的人群",
        "rule": {"field": "follow", "op": "eq", "value": "friend"},
    },
    "updateSegment": {"name": "changed by A"},
    "createBehaviourRule": {
        "name": "A 的规则",
        "rule": {"field": "gender", "op": "eq", "value": 1},
        "tag_ids": [1],
    },
    "updateBehaviourRule": {"name": "changed by A", "enabled": False},
    "createKeywordRule": {"name": "A 的规则", "keywords": ["宝宝"], "tag_ids": [1]},
    "updateKeywordRule": {"name": "changed by A", "keywords": ["孩子"]},
    "configureChatArchive": {"source": "sandbox", "enabled": True},
    "uploadMaterial": {},  # not a file: refused before anything is stored
    "createLinkMaterial": {"title": "A 的链接", "url": "https://example.com"},
    "createMiniprogramMaterial": {
        "title": "A 的小程序",
        "appid": "wx0123456789abcdef",
        "page": "pages/index",
        "cover_id": 1,
    },
    "updateMaterial": {"title": "changed by A"},
    "createScriptCategory": {"name": "A 的分类"},
    "updateScriptCategory": {"name": "changed by A"},
    "createScript": {"title": "A 的话术", "body": "{customer_name}您好"},
    "updateScript": {"title": "changed by A"},
    "createSequence": {"name": "A 的多步话术", "steps": [{"day": 1, "text": "您好"}]},
    "updateSequence": {"name": "changed by A"},
    "startSequenceRun": {"customer_ids": [1]},
    "markScriptTaskDone": {},
    "createMomentPost": {
        "kind": "ad",
        "text": "changed by tenant A",
        "senders": {"all": True},
        "draft": True,
    },
    "updateMomentPost": {
        "kind": "ad",
        "text": "changed by tenant A",
        "senders": {"all": True},
        "draft": True,
    },
    "updateMomentSettings": {
        "slots": ["08:00"],
        "ad_share_percent": 90,
        "ad_window_days": 3,
        "ad_days_in_a_row": 0,
    },
}

# Rows of tenant B that no path names, whose identifying text must never reach tenant A.
B_CORP_ID = "wwtenantbsecret"

ROUTES = [
    (method, route)
    for router in DOMAIN_ROUTERS
    for route in router.routes
    if isinstance(route, APIRoute)
    for method in sorted(route.methods)
]


def _tenant_rows(session: Session, tenant_id: int) -> dict[str, list[tuple[Any, ...]]]:
    session.expire_all()
    snapshot = {}
    for table in Base.metadata.sorted_tables:
        if "tenant_id" in table.c and table.name != "login_sessions":
            rows = session.execute(select(table).where(table.c.tenant_id == tenant_id)).all()
            snapshot[table.name] = sorted(tuple(map(str, row)) for row in rows)
    return snapshot


@pytest.mark.parametrize(("method", "route"), ROUTES, ids=[f"{m} {r.path}" for m, r in ROUTES])
def test_tenant_a_cannot_reach_tenant_b(
    method: str, route: APIRoute, app_client: TestClient, session: Session
) -> None:
    tenant_a, tenant_b = make_tenant(session, "A"), make_tenant(session, "B")
    owner_a = make_user(session, tenant_a)
    b_ids = {name: factory(session, tenant_b) for name, factory in ID_FACTORIES.items()}
    connect(session, tenant_b, corp_id=B_CORP_ID)
    session.commit()
    before = _tenant_rows(session, tenant_b.id)
    login(app_client, owner_a.username)

    params = re.findall(r"{(\w+)}", route.path)
    missing = [p for p in params if p not in b_ids]
    assert not missing, f"add a tenant-B factory for path parameter(s) {missing} of {route.path}"
    path = route.path
    for name in params:
        path = path.replace(f"{{{name}}}", str(b_ids[name]))
    body = None
    if route.body_field is not None:
        assert route.operation_id in SAMPLE_BODIES, f"add a sample body for {route.operation_id}"
        body = SAMPLE_BODIES[route.operation_id]

    response = app_client.request(method, API_PREFIX + path, json=body)

    assert response.status_code < 500, response.text
    if params:
        assert response.status_code == 404, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
    assert MARKER not in response.text
    assert B_CORP_ID not in response.text
    assert _tenant_rows(session, tenant_b.id) == before


def test_the_route_table_holds_every_operation_the_api_serves(app_client: TestClient) -> None:
    spec = app_client.get(f"{API_PREFIX}/openapi.json").json()
    served = {
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith(API_PREFIX)
        for method in operations
    }
    listed = {(method, API_PREFIX + route.path) for method, route in ROUTES}
    assert served == listed
    assert all(r.operation_id for _m, r in ROUTES), "every route needs a stable operation id"
