"""Tagging every customer a filter selects, by a job with progress."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.tags import service
from siyu.tags.models import CustomerTag, Tag, TagWrite
from tests.conftest import RunJobs
from tests.factories import make_customer, make_tag_group, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


def test_a_filter_tags_all_its_customers_in_chunks_with_progress(
    app_client: TestClient, session: Session, run_jobs: RunJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = make_tenant(session)
    mine = [make_customer(session, tenant, f"客户{i}", userid="staff01") for i in range(5)]
    other = make_customer(session, tenant, "别人的客户", userid="staff02")
    group = make_tag_group(session, tenant, "活动")
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name="双十一", wecom_id="etbulk1")
    session.add(tag)
    user = make_user(session, tenant)
    session.commit()
    login(app_client, user.username)
    monkeypatch.setattr(service, "BULK_CHUNK", 2)  # five customers: three chunks
    started = app_client.post(
        f"{API}/tagging-runs", json={"filter": {"owner_userid": "staff01"}, "add": [tag.id]}
    )
    assert started.status_code == 202, started.text
    assert started.json()["total"] == 5
    run_jobs()
    run = app_client.get(f"{API}/tagging-runs/{started.json()['id']}").json()
    assert (run["state"], run["done"], run["tagged"], run["writes"]) == ("done", 5, 5, 5)
    tagged = set(
        session.scalars(select(CustomerTag.customer_id).where(CustomerTag.tag_id == tag.id))
    )
    assert tagged == {c.id for c in mine}
    assert other.id not in tagged
    writes = session.scalars(select(TagWrite.customer_id).where(TagWrite.add == [tag.id])).all()
    assert sorted(writes) == sorted(c.id for c in mine)


def test_nothing_to_add_or_remove_is_refused(app_client: TestClient, session: Session) -> None:
    tenant = make_tenant(session)
    user = make_user(session, tenant)
    session.commit()
    login(app_client, user.username)
    refused = app_client.post(f"{API}/tagging-runs", json={"filter": {}})
    assert refused.status_code == 400
