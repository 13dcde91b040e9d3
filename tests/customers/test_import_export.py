"""Importing customers from a sheet with broken rows, importing it again, and exporting."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.auth.permissions import Role
from siyu.customers.models import Customer, CustomerPhone, TimelineEvent
from siyu.db import utcnow
from siyu.sheets import open_sheet
from siyu.staff.models import StaffAccount
from siyu.tags.models import CustomerTag, Tag, TagGroup
from tests.conftest import RunJobs
from tests.factories import make_tenant, make_user
from tests.helpers import login

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

HEADER = ["手机号", "姓名", "性别", "生日", "归属员工", "标签", "会员等级", "尺码"]
ROWS: list[list[object]] = [
    [13800001111, "张三", "男", "1990-01-02", "wangfang", "复购", "金卡", "L"],  # row 2 ok
    ["138-0000-2222", "李四", "女", "1988/3/4", "", "", "", ""],  # row 3 ok
    ["12345", "王五", "男", "", "", "", "", ""],  # row 4: bad phone
    ["13800003333", "赵六", "男性?", "1990-13-01", "nobody", "", "", ""],  # row 5: three bad cells
    ["", "", "", "", "", "", "", ""],  # empty: skipped
    ["13800004444", "孙七", "", "", "", "不存在的标签", "", ""],  # row 7: unknown tag
    ["+86 13800001111", "张三丰", "", "", "", "", "", ""],  # row 8: same phone as row 2
]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _setup(session: Session, app_client: TestClient, role: Role = Role.OWNER) -> int:
    tenant = make_tenant(session)
    session.add(
        StaffAccount(tenant_id=tenant.id, userid="wangfang", name="王芳", synced_at=utcnow())
    )
    group = TagGroup(tenant_id=tenant.id, name="客户等级", wecom_id="etg1", sync_state="synced")
    session.add(group)
    session.flush()
    session.add(
        Tag(
            tenant_id=tenant.id,
            group_id=group.id,
            name="复购",
            wecom_id="ett1",
            sync_state="synced",
        )
    )
    user = make_user(session, tenant, role=role)
    session.commit()
    login(app_client, user.username)
    return tenant.id


def _import(
    app_client: TestClient, run_jobs: RunJobs, content: bytes, name: str
) -> dict[str, object]:
    uploaded = app_client.post(f"{API}/customer-imports", files={"file": (name, content, XLSX)})
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    mapping = dict(body["mapping"])
    assert mapping["手机号"] == "phone"
    assert mapping["归属员工"] == "owner_userid"
    mapping["尺码"] = "custom:尺码"
    mapped = app_client.put(
        f"{API}/customer-imports/{body['id']}/mapping", json={"mapping": mapping}
    )
    assert mapped.status_code == 200, mapped.text
    preview = mapped.json()["preview"]
    assert preview[0]["problems"] == []
    if len(preview) > 2:  # the bad phone of row 4 shows before the import starts
        assert preview[2]["problems"][0]["column"] == "手机号"
    started = app_client.post(f"{API}/customer-imports/{body['id']}/start")
    assert started.status_code == 202, started.text
    run_jobs()
    done: dict[str, object] = app_client.get(f"{API}/customer-imports/{body['id']}").json()
    return done


def test_valid_rows_go_in_and_broken_rows_are_reported_by_row_and_column(
    app_client: TestClient, session: Session, run_jobs: RunJobs, tmp_path: Path
) -> None:
    tenant_id = _setup(session, app_client)
    done = _import(app_client, run_jobs, _xlsx(ROWS), "客户名单.xlsx")
    assert done["state"] == "done"
    assert (done["created"], done["updated"], done["rejected"]) == (2, 0, 3)
    customers = {
        c.name: c for c in session.scalars(select(Customer).where(Customer.tenant_id == tenant_id))
    }
    assert set(customers) == {"张三丰", "李四"}  # row 8 matched row 2 by phone and renamed
    zhang = customers["张三丰"]
    assert zhang.gender == 1
    assert zhang.owner_userid == "wangfang"
    assert zhang.member_level == "金卡"
    assert zhang.custom == {"尺码": "L"}
    assert str(zhang.birthday) == "1990-01-02"
    tags = session.scalars(
        select(Tag.name).join(CustomerTag).where(CustomerTag.customer_id == zhang.id)
    ).all()
    assert tags == ["复购"]
    report = app_client.get(f"{API}/customer-imports/{done['id']}/rejects.xlsx")
    assert report.status_code == 200
    path = tmp_path / "rejects.xlsx"
    path.write_bytes(report.content)
    with open_sheet(path, path.name) as reader:
        assert reader.headers == ["行号", "列", "值", "原因"]
        rejected = [(int(r["行号"]), r["列"]) for _, r in reader]
    assert rejected == [(4, "手机号"), (5, "性别"), (5, "生日"), (5, "归属员工"), (7, "标签")]


def test_importing_the_same_file_again_changes_nothing(
    app_client: TestClient, session: Session, run_jobs: RunJobs
) -> None:
    tenant_id = _setup(session, app_client)
    content = _xlsx(ROWS)
    _import(app_client, run_jobs, content, "a.xlsx")

    def snapshot() -> tuple[int, int, int, int]:
        session.expire_all()

        def count(model):
            return session.scalar(
                select(func.count()).select_from(model).where(model.tenant_id == tenant_id)
            )

        return count(Customer), count(CustomerPhone), count(CustomerTag), count(TimelineEvent)  # type: ignore[return-value]

    before = snapshot()
    again = _import(app_client, run_jobs, content, "a.xlsx")
    assert (again["created"], again["updated"]) == (0, 0)
    assert again["unchanged"] == 2  # two people, one of them on two rows
    assert snapshot() == before


def test_export_masks_phones_for_roles_that_may_not_see_them(
    app_client: TestClient, session: Session, run_jobs: RunJobs, tmp_path: Path
) -> None:
    _setup(session, app_client, Role.OPERATOR)
    _import(app_client, run_jobs, _xlsx(ROWS[:2]), "b.xlsx")
    exported = app_client.get(f"{API}/customers-export.xlsx")
    assert exported.status_code == 200, exported.text
    path = tmp_path / "export.xlsx"
    path.write_bytes(exported.content)
    with open_sheet(path, path.name) as reader:
        rows = [r for _, r in reader]
    assert sorted(r["姓名"] for r in rows) == ["张三", "李四"]
    assert all("****" in r["手机号"] for r in rows)


def test_a_file_that_is_not_a_sheet_is_refused_with_a_reason(
    app_client: TestClient, session: Session
) -> None:
    _setup(session, app_client)
    refused = app_client.post(
        f"{API}/customer-imports", files={"file": ("x.xlsx", b"PK\x03\x04not really a zip", XLSX)}
    )
    assert refused.status_code in (400, 415, 422)
    assert refused.json()["code"].startswith("sheet")
