"""A phone list uploaded with broken rows: mapped and previewed like the customer import, its
numbers already customers, twice in the file or open in another list dropped and counted, the
rest handed out evenly and paced under the daily limit; the rejected rows downloadable."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.addfriend import service
from siyu.addfriend.models import AddFriendList, AddFriendTask
from siyu.auth.permissions import Role
from siyu.customers import phones
from siyu.customers import service as customer_service
from siyu.customers.models import Customer
from siyu.db import utcnow
from siyu.staff.models import StaffAccount
from siyu.tenants.models import Tenant
from tests.addfriend.factories import CSV, add_tasks, csv_bytes, make_list
from tests.conftest import RunJobs
from tests.factories import make_tenant, make_user
from tests.helpers import login

API = "/api/v1"
HEADER = ["手机号", "姓名", "备注", "指定员工", "来源"]
ROWS = [
    ["13812340001", "张三", "", "", ""],  # 2 ok
    ["138-1234-0002", "李四", "买过两次", "liwen", "天猫"],  # 3 ok, for liwen
    ["12345", "王五", "", "", ""],  # 4 bad phone
    ["13812340004", "赵六", "", "nobody", ""],  # 5 unknown staff
    ["", "孙七", "", "", ""],  # 6 no phone
    ["13900000001", "老客", "", "", ""],  # 7 already a customer (a friend)
    ["13900000002", "导入过的人", "", "", ""],  # 8 known from an import, not a friend: a task
    ["13900000003", "别的名单", "", "", ""],  # 9 open in another list
    ["+86 138 1234 0001", "张三又一次", "", "", ""],  # 10 same number as row 2
    ["13812340010", "钱八", "", "left01", ""],  # 11 staff who left
    *[[f"1381234001{i}", f"客户{i}", "", "", "门店"] for i in range(1, 6)],  # 12-16 ok
]


def _customer(session: Session, tenant: Tenant, phone: str, *, friend: bool) -> Customer:
    customer = Customer(
        tenant_id=tenant.id,
        external_userid=f"wmaddfriend{phone}" if friend else None,
        name="客户",
        status="active" if friend else "lost",
    )
    session.add(customer)
    session.flush()
    customer_service.add_phone(session, tenant.id, customer.id, phone, "manual")
    return customer


def _setup(session: Session, app_client: TestClient, role: Role = Role.OWNER) -> Tenant:
    tenant = make_tenant(session)
    for userid, name, status in (
        ("wangfang", "王芳", "active"),
        ("liwen", "李雯", "active"),
        ("left01", "离职的人", "left"),
    ):
        session.add(
            StaffAccount(
                tenant_id=tenant.id, userid=userid, name=name, status=status, synced_at=utcnow()
            )
        )
    session.flush()
    _customer(session, tenant, "13900000001", friend=True)
    _customer(session, tenant, "13900000002", friend=False)
    other = make_list(session, tenant, "另一个名单", userids=("wangfang",))
    add_tasks(session, other, ["13900000003"])
    user = make_user(session, tenant, role=role)
    session.commit()
    login(app_client, user.username)
    return tenant


def _upload(app_client: TestClient, content: bytes, name: str = "老客名单.csv") -> dict:  # type: ignore[type-arg]
    response = app_client.post(f"{API}/add-friend-lists", files={"file": (name, content, CSV)})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_list_with_bad_rows_drops_customers_and_duplicates_and_paces_the_rest(
    app_client: TestClient, session: Session, run_jobs: RunJobs
) -> None:
    tenant = _setup(session, app_client)
    draft = _upload(app_client, csv_bytes([HEADER, *ROWS], encoding="gbk"))
    assert draft["state"] == "draft"
    assert draft["name"] == "老客名单"
    assert draft["mapping"] == {
        "手机号": "phone",
        "姓名": "name",
        "备注": "note",
        "指定员工": "userid",
        "来源": "source",
    }
    problems = {p["row"]: p["problems"] for p in draft["preview"]}
    assert problems[2] == []
    assert problems[4] == [{"column": "手机号", "reason": "不是有效的手机号"}]
    assert problems[5] == [{"column": "指定员工", "reason": "没有这个员工账号"}]
    assert problems[6] == [{"column": "手机号", "reason": "缺少手机号"}]
    assert problems[11] == [{"column": "指定员工", "reason": "该员工已离职"}]
    list_id = draft["id"]

    # Without a phone column the list cannot be mapped; without staff it cannot start.
    unmapped = app_client.put(
        f"{API}/add-friend-lists/{list_id}/mapping", json={"mapping": {"姓名": "name"}}
    )
    assert unmapped.status_code == 422
    assert unmapped.json()["code"] == "sheet_required_field_unmapped"
    assert app_client.post(f"{API}/add-friend-lists/{list_id}/start").json()["code"] == (
        "add_friend_no_staff"
    )
    edited = app_client.patch(
        f"{API}/add-friend-lists/{list_id}",
        json={"userids": ["wangfang", "liwen"], "daily_limit": 3, "name": "双十一老客"},
    )
    assert edited.status_code == 200, edited.text
    started = app_client.post(f"{API}/add-friend-lists/{list_id}/start")
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "importing"
    run_jobs()

    detail = app_client.get(f"{API}/add-friend-lists/{list_id}").json()
    assert detail["state"] == "active"
    assert detail["rows_read"] == 15  # the empty-looking row 6 has a name: read and rejected
    assert detail["rejected"] == 4
    assert detail["existing_customers"] == 1
    assert detail["duplicates"] == 1
    assert detail["open_elsewhere"] == 1
    assert detail["added"] == 8
    assert detail["counts"]["pending"] == 8
    by_staff = {s["userid"]: s for s in detail["by_staff"]}
    assert by_staff["wangfang"]["counts"]["total"] == 4
    assert by_staff["liwen"]["counts"]["total"] == 4
    assert detail["days_left"] == 2  # 4 each at 3 a day

    tasks = session.scalars(
        select(AddFriendTask).where(AddFriendTask.list_id == list_id).order_by(AddFriendTask.row)
    ).all()
    assert [t.row for t in tasks] == [2, 3, 8, 12, 13, 14, 15, 16]
    assert tasks[1].userid == "liwen"
    assert tasks[1].note == "买过两次"
    assert tasks[1].source == "天猫"
    assert phones.unseal(tasks[0].sealed) == "13812340001"
    assert tasks[0].masked == "138****0001"
    assert tasks[0].phone_hash == phones.lookup_hash("13812340001")
    today = service.today()
    per_day = Counter((t.userid, t.due_day) for t in tasks)
    # 王芳 has a task of the other list today already: her lists together stay within three.
    assert per_day == {
        ("wangfang", today): 2,
        ("wangfang", today + dt.timedelta(days=1)): 2,
        ("liwen", today): 3,
        ("liwen", today + dt.timedelta(days=1)): 1,
    }

    report = app_client.get(f"{API}/add-friend-lists/{list_id}/rejects.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert sheet is not None
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("行号", "列", "值", "原因")
    assert [(r[0], r[1], r[3]) for r in lines[1:]] == [
        (4, "手机号", "不是有效的手机号"),
        (5, "指定员工", "没有这个员工账号"),
        (6, "手机号", "缺少手机号"),
        (11, "指定员工", "该员工已离职"),
    ]
    # The list can no longer change its file or staff; it can still change its pace.
    assert (
        app_client.put(
            f"{API}/add-friend-lists/{list_id}/mapping", json={"mapping": {"手机号": "phone"}}
        ).json()["code"]
        == "add_friend_list_started"
    )
    faster = app_client.patch(f"{API}/add-friend-lists/{list_id}", json={"daily_limit": 10})
    assert faster.json()["days_left"] == 1
    session.expire_all()
    days = session.scalars(select(AddFriendTask.due_day).where(AddFriendTask.list_id == list_id))
    assert set(days) == {today}
    assert session.get(AddFriendList, list_id).name == "双十一老客"  # type: ignore[union-attr]
    assert tenant.id


def test_the_same_file_as_a_second_list_adds_nothing_while_the_first_is_open(
    app_client: TestClient, session: Session, run_jobs: RunJobs
) -> None:
    _setup(session, app_client)
    content = csv_bytes([HEADER, *ROWS])
    ids = []
    for _ in range(2):
        draft = _upload(app_client, content)
        app_client.patch(f"{API}/add-friend-lists/{draft['id']}", json={"userids": ["wangfang"]})
        assert app_client.post(f"{API}/add-friend-lists/{draft['id']}/start").status_code == 202
        run_jobs()
        ids.append(draft["id"])
    second = app_client.get(f"{API}/add-friend-lists/{ids[1]}").json()
    assert second["added"] == 0
    assert second["open_elsewhere"] == 9  # the first list's eight, and the other list's one
    # Cancelled, the first list frees its numbers for a new one.
    cancelled = app_client.post(f"{API}/add-friend-lists/{ids[0]}/cancel").json()
    assert cancelled["state"] == "cancelled"
    assert cancelled["counts"]["cancelled"] == 8
    third = _upload(app_client, content)
    app_client.patch(f"{API}/add-friend-lists/{third['id']}", json={"userids": ["liwen"]})
    app_client.post(f"{API}/add-friend-lists/{third['id']}/start")
    run_jobs()
    assert app_client.get(f"{API}/add-friend-lists/{third['id']}").json()["added"] == 8


def test_stores_staff_take_the_tasks_and_a_draft_can_be_deleted(
    app_client: TestClient, session: Session, run_jobs: RunJobs
) -> None:
    from siyu.stores.models import Store, StoreAssignment

    tenant = _setup(session, app_client)
    store = Store(tenant_id=tenant.id, name="徐汇店")
    session.add(store)
    session.flush()
    for userid in ("wangfang", "left01"):
        account = session.scalar(
            select(StaffAccount).where(
                StaffAccount.tenant_id == tenant.id, StaffAccount.userid == userid
            )
        )
        assert account is not None
        session.add(
            StoreAssignment(tenant_id=tenant.id, store_id=store.id, staff_account_id=account.id)
        )
    session.commit()
    draft = _upload(app_client, csv_bytes([HEADER, *ROWS]))
    app_client.patch(f"{API}/add-friend-lists/{draft['id']}", json={"store_ids": [store.id]})
    started = app_client.post(f"{API}/add-friend-lists/{draft['id']}/start").json()
    assert started["userids"] == ["wangfang"]  # the store's staff still on the staff
    run_jobs()
    listed = app_client.get(f"{API}/add-friend-lists").json()
    assert [x["counts"]["total"] for x in listed["items"]][:1] == [8]

    unwanted = _upload(app_client, csv_bytes([HEADER, *ROWS]))
    assert app_client.delete(f"{API}/add-friend-lists/{unwanted['id']}").status_code == 204
    assert app_client.get(f"{API}/add-friend-lists/{unwanted['id']}").status_code == 404
    assert app_client.delete(f"{API}/add-friend-lists/{draft['id']}").json()["code"] == (
        "add_friend_list_started"
    )
