"""The staff side: a member sees today's tasks of the account they operate with the numbers in
full, marks requests sent or skips with a reason, and cannot touch another account's tasks; the
console shows numbers masked to roles that may not see phones; a shop manager sees their stores'
accounts; the tasks of someone who left go to others."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.addfriend import service
from siyu.addfriend.models import AddFriendTask
from siyu.auth.permissions import Role
from siyu.stores.models import MemberStore, Store, StoreAssignment
from siyu.stores.service import rotate
from siyu.tenants.models import Tenant
from siyu.users.models import User
from tests.addfriend.factories import add_tasks, make_list, numbers
from tests.factories import make_staff_account, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


def _team(session: Session) -> tuple[Tenant, dict[str, User]]:
    tenant = make_tenant(session)
    accounts = {
        u: make_staff_account(session, tenant, u, n) for u, n in (("a", "阿花"), ("b", "阿贝"))
    }
    members = {
        "staff_a": make_user(session, tenant, role=Role.STAFF),
        "staff_b": make_user(session, tenant, role=Role.STAFF),
        "operator": make_user(session, tenant, role=Role.OPERATOR),
        "manager": make_user(session, tenant, role=Role.SHOP_MANAGER),
    }
    rotate(
        session, tenant.id, accounts["a"].id, operator_name="阿花", user_id=members["staff_a"].id
    )
    rotate(
        session, tenant.id, accounts["b"].id, operator_name="阿贝", user_id=members["staff_b"].id
    )
    store = Store(tenant_id=tenant.id, name="徐汇店")
    session.add(store)
    session.flush()
    session.add(
        StoreAssignment(tenant_id=tenant.id, store_id=store.id, staff_account_id=accounts["b"].id)
    )
    session.add(MemberStore(tenant_id=tenant.id, user_id=members["manager"].id, store_id=store.id))
    target = make_list(session, tenant, "老客", userids=("a", "b"), daily_limit=3)
    target.greeting = "您好{客户}，我是{品牌}的{员工}"
    add_tasks(session, target, numbers(10), names=[f"客户{i}" for i in range(10)])
    service.plan(session, tenant.id, ["a", "b"], day=service.today())
    session.commit()
    return tenant, members


def test_staff_see_todays_tasks_in_full_and_mark_them(
    app_client: TestClient, session: Session
) -> None:
    tenant, members = _team(session)
    login(app_client, members["staff_a"].username)
    today = app_client.get(f"{API}/add-friend/today").json()
    assert today["operated"] == ["a"]
    assert today["daily_limit"] == 3
    tasks = today["tasks"]
    assert len(tasks) == 3  # the daily limit, of account a's five
    first = tasks[0]
    assert first["phone"] == "13910000001"
    assert first["phone_masked"] is False
    assert first["greeting"] == f"您好客户0，我是{tenant.name}的阿花"
    assert first["due_day"] == service.today().isoformat()

    assert app_client.post(f"{API}/add-friend-tasks/{first['id']}/sent").json()["state"] == "sent"
    # Marking it twice is harmless; skipping needs a note when the reason is "other".
    assert app_client.post(f"{API}/add-friend-tasks/{first['id']}/sent").status_code == 200
    other = app_client.post(
        f"{API}/add-friend-tasks/{tasks[1]['id']}/skip", json={"reason": "other", "note": " "}
    )
    assert other.json()["code"] == "add_friend_skip_note_required"
    skipped = app_client.post(
        f"{API}/add-friend-tasks/{tasks[1]['id']}/skip", json={"reason": "no_such_number"}
    ).json()
    assert (skipped["state"], skipped["skip_reason"]) == ("skipped", "no_such_number")
    again = app_client.post(f"{API}/add-friend-tasks/{tasks[1]['id']}/sent")
    assert again.json()["code"] == "add_friend_task_closed"
    states = [t["state"] for t in app_client.get(f"{API}/add-friend/today").json()["tasks"]]
    assert sorted(states) == ["pending", "sent", "skipped"]

    # Account b's tasks are not hers: not shown, not markable.
    b_task = session.scalar(select(AddFriendTask.id).where(AddFriendTask.userid == "b").limit(1))
    refused = app_client.post(f"{API}/add-friend-tasks/{b_task}/sent")
    assert refused.status_code == 403
    assert refused.json()["code"] == "add_friend_not_your_task"
    assert app_client.get(f"{API}/add-friend/today", params={"userid": "b"}).status_code == 403
    # Staff have no console list of tasks.
    assert app_client.get(f"{API}/add-friend-tasks").status_code == 403


def test_the_console_masks_numbers_and_a_shop_manager_sees_their_stores(
    app_client: TestClient, session: Session
) -> None:
    _, members = _team(session)
    login(app_client, members["operator"].username)
    page = app_client.get(f"{API}/add-friend-tasks", params={"userid": "a"}).json()
    assert page["total"] == 5
    assert {t["phone_masked"] for t in page["items"]} == {True}
    assert page["items"][0]["phone"] == "139****0001"
    # An operator may open an account's panel (numbers masked all the same) and mark for it.
    panel = app_client.get(f"{API}/add-friend/today", params={"userid": "a"}).json()
    assert panel["operated"] == []
    assert {t["phone_masked"] for t in panel["tasks"]} == {True}

    login(app_client, members["manager"].username)
    seen = app_client.get(f"{API}/add-friend-tasks").json()
    assert {t["userid"] for t in seen["items"]} == {"b"}
    list_id = seen["items"][0]["list_id"]
    detail = app_client.get(f"{API}/add-friend-lists/{list_id}").json()
    assert [s["userid"] for s in detail["by_staff"]] == ["b"]
    assert app_client.get(f"{API}/add-friend/today", params={"userid": "b"}).status_code == 200
    assert app_client.get(f"{API}/add-friend/today", params={"userid": "a"}).status_code == 403
    assert app_client.post(f"{API}/add-friend-lists/{list_id}/cancel").status_code == 403


def test_the_open_tasks_of_someone_who_left_go_to_the_others(
    app_client: TestClient, session: Session
) -> None:
    tenant, _ = _team(session)
    make_staff_account(session, tenant, "c", "阿晨")
    a_tasks = session.scalars(
        select(AddFriendTask).where(AddFriendTask.userid == "a").order_by(AddFriendTask.id)
    ).all()
    service.mark_sent(a_tasks[0])
    service.skip(a_tasks[1], "refused", "")
    session.commit()
    owner = make_user(session, tenant)
    session.commit()
    login(app_client, owner.username)
    refused = app_client.post(
        f"{API}/add-friend-tasks/reassign", json={"from_userid": "a", "to_userids": ["nobody"]}
    )
    assert refused.json()["code"] == "add_friend_unknown_staff"
    moved = app_client.post(
        f"{API}/add-friend-tasks/reassign", json={"from_userid": "a", "to_userids": ["b", "c"]}
    )
    assert moved.json() == {"moved": 4}  # the sent one and the three pending; not the skipped
    session.expire_all()
    by_account = {
        t.id: (t.userid, t.state)
        for t in session.scalars(
            select(AddFriendTask).where(AddFriendTask.id.in_([t.id for t in a_tasks]))
        )
    }
    assert by_account[a_tasks[1].id] == ("a", "skipped")
    moved_to = [by_account[t.id] for t in a_tasks if t.id != a_tasks[1].id]
    assert moved_to == [("b", "pending"), ("c", "pending"), ("b", "pending"), ("c", "pending")]
    # Each account's days hold at most the limit after the move.
    days: dict[tuple[str, dt.date | None], int] = {}
    for t in session.scalars(select(AddFriendTask).where(AddFriendTask.state == "pending")):
        days[(t.userid, t.due_day)] = days.get((t.userid, t.due_day), 0) + 1
    assert max(n for (u, d), n in days.items() if d is not None) <= 3
    detail = app_client.get(f"{API}/add-friend-lists/{a_tasks[0].list_id}").json()
    assert detail["userids"] == ["b", "c"]
