"""Moments against the sandbox: a scheduled post becomes exactly one WeCom moment task when it
falls due, an attempt that stops after WeCom's answer is recovered from WeCom's moment list
without a second task, staff publish and each account's result comes back, tag visibility
reaches WeCom, and bad input or another tenant's posts get clear refusals."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.auth.permissions import Role
from siyu.db import Database, utcnow
from siyu.jobs import Job
from siyu.moments import results as results_service
from siyu.moments import service
from siyu.moments.models import MomentPost
from siyu.sandbox.demo import DEMO_CORP
from siyu.tags.models import Tag
from siyu.tenants.models import Tenant
from tests.conftest import RunJobs, World
from tests.factories import make_tenant, make_user
from tests.helpers import login
from tests.materials.factories import make_image, make_video

API = "/api/v1"
ADD = "externalcontact/add_moment_task"
COMMENTS = "externalcontact/get_moment_comments"

LIU = DEMO_CORP.customers[0].external_userid  # 刘晓燕, wangfang's customer
ZHAO = DEMO_CORP.customers[1].external_userid  # 赵明, wangfang's and zhangqiang's


def _ready(world: World, run_jobs: RunJobs) -> None:
    """The demo seed's staff, tag and customer syncs have run."""
    run_jobs()


def _calls(world: World, path: str = ADD) -> int:
    counters: Any = world.sandbox_admin("GET", "/inspect/counters")
    return int(counters["api_calls"].get(path, 0))


def _advance(world: World, seconds: int) -> None:
    world.sandbox_admin("POST", "/clock", json={"advance_seconds": seconds})


def _compose(world: World, **body: Any) -> dict[str, Any]:
    data = {
        "kind": "knowledge",
        "text": "秋冬养生：一碗羊肉汤的三个讲究",
        "senders": {"userids": ["wangfang", "zhangqiang"]},
    } | body
    response = world.siyu.post(f"{API}/moments/posts", json=data)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _get(world: World, post_id: int) -> dict[str, Any]:
    response = world.siyu.get(f"{API}/moments/posts/{post_id}")
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _make_due(database: Database, post_id: int) -> None:
    """Its time has come (as if the planned minute had passed)."""
    with database.transaction() as session:
        post = session.get(MomentPost, post_id)
        assert post is not None
        post.due_at = utcnow() - dt.timedelta(seconds=1)


def _sync(world: World, run_jobs: RunJobs) -> None:
    """WeCom finished the task (its few seconds passed), and Siyu reads the results."""
    _advance(world, 10)
    run_jobs(service.SYNC_JOB, later=True, rounds=2)


def _moments(world: World) -> list[dict[str, Any]]:
    now = int(world.sandbox_admin("GET", "/clock")["now"])  # type: ignore[call-overload]
    listed = world.sandbox.post(
        "/cgi-bin/externalcontact/get_moment_list",
        params={"access_token": _token(world)},
        json={"start_time": now - 86400, "end_time": now + 600, "filter_type": 2},
    ).json()
    moments: list[dict[str, Any]] = listed["moment_list"]
    return moments


def _token(world: World) -> str:
    from siyu.sandbox.demo import DEMO_CORP

    answer = world.sandbox.get(
        "/cgi-bin/gettoken",
        params={"corpid": DEMO_CORP.corp_id, "corpsecret": DEMO_CORP.contact_secret},
    ).json()
    token: str = answer["access_token"]
    return token


def test_a_scheduled_post_falls_due_and_makes_exactly_one_moment_task(
    world: World, database: Database, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    planned = (utcnow() + dt.timedelta(hours=2)).isoformat()
    post = _compose(world, planned_at=planned)
    assert post["state"] == "scheduled"

    run_jobs(service.DUE_JOB, service.CREATE_JOB)
    with database.transaction() as session:
        assert service.submit_due(session) == 0  # not yet due
    assert _calls(world) == 0

    _make_due(database, post["id"])
    for _ in range(2):  # the minute's job runs twice (two schedulers): one claim
        with database.transaction() as session:
            jobs.submit(session, service.DUE_JOB)
        run_jobs(service.DUE_JOB, service.CREATE_JOB)
    assert _calls(world) == 1
    created = _get(world, post["id"])
    assert created["state"] == "created"
    assert created["jobid"]

    # A second create job for the post (a duplicate wake-up, a replay) asks WeCom nothing.
    with database.transaction() as session:
        jobs.submit(
            session,
            service.CREATE_JOB,
            {"tenant_id": world.connection.tenant_id, "post_id": post["id"]},
            tenant_id=world.connection.tenant_id,
            key="replayed",
        )
    run_jobs(service.CREATE_JOB)
    assert _calls(world) == 1
    assert len(_moments(world)) == 1

    _sync(world, run_jobs)
    done = _get(world, post["id"])
    assert done["moment_id"] == _moments(world)[0]["moment_id"]
    assert done["counts"] == {"targets": 2, "published": 0, "pending": 2, "invalid": 0}


def test_an_attempt_that_stops_after_wecom_answered_is_recovered_without_a_second_task(
    world: World, database: Database, run_jobs: RunJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ready(world, run_jobs)
    real = service.record_created
    failures = []

    def dies_once(session: Session, tenant_id: int, post_id: int, jobid: str) -> None:
        if not failures:
            failures.append(jobid)
            raise RuntimeError("the worker stopped right after WeCom answered")
        real(session, tenant_id, post_id, jobid)

    monkeypatch.setattr(service, "record_created", dies_once)
    post = _compose(world, now=True, kind="feedback", text="顾客晒单：周末家庭聚餐")
    run_jobs(service.CREATE_JOB)
    assert failures  # WeCom made the task; Siyu did not write it down
    with database.factory() as session:
        row = session.get(MomentPost, post["id"])
        assert row is not None
        assert row.state == "creating"
    assert _calls(world) == 1

    run_jobs(service.CREATE_JOB, later=True)  # the retry looks in WeCom's moment list first
    assert _calls(world) == 1
    assert _calls(world, "externalcontact/get_moment_list") >= 1
    recovered = _get(world, post["id"])
    assert recovered["state"] == "created"
    assert recovered["moment_id"] == _moments(world)[0]["moment_id"]
    assert len(_moments(world)) == 1


def test_an_attempt_that_stopped_before_wecom_was_asked_asks_once(
    world: World, database: Database, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    post = _compose(world, now=True)
    with database.transaction() as session:  # marked creating, then the worker stopped
        row = session.get(MomentPost, post["id"])
        assert row is not None
        row.state, row.creating_since = "creating", utcnow()
    run_jobs(service.CREATE_JOB)
    assert _calls(world) == 1
    assert _get(world, post["id"])["state"] == "created"


def test_staff_publish_in_wecom_and_each_accounts_result_comes_back(
    world: World, database: Database, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    post = _compose(world, now=True, senders={"userids": ["wangfang", "zhangqiang", "liwen"]})
    run_jobs(service.CREATE_JOB)
    _sync(world, run_jobs)
    moment_id = _get(world, post["id"])["moment_id"]
    assert moment_id

    world.sandbox_admin(
        "POST", "/simulate/publish_moment", json={"moment_id": moment_id, "userid": "wangfang"}
    )
    response = world.siyu.post(f"{API}/moments/posts/{post['id']}/sync")
    assert response.status_code == 202
    run_jobs(service.SYNC_JOB)
    detail = _get(world, post["id"])
    results = {r["userid"]: r for r in detail["results"]}
    assert results["wangfang"]["status"] == "published"
    assert results["wangfang"]["published_at"]
    assert results["wangfang"]["name"] == "王芳"
    assert results["zhangqiang"]["status"] == "pending"
    assert detail["counts"]["published"] == 1
    assert detail["counts"]["targets"] == 3

    assert (results["wangfang"]["likes"], results["wangfang"]["comments"]) == (0, 0)

    # Her customers like and comment on it; the next sync reads them for her copy only.
    for customer, kind in ((LIU, "like"), (ZHAO, "like"), (ZHAO, "comment")):
        world.sandbox_admin(
            "POST",
            "/simulate/moment_interaction",
            json={
                "moment_id": moment_id,
                "userid": "wangfang",
                "external_userid": customer,
                "kind": kind,
            },
        )
    # Only a published copy can be liked (zhangqiang has not published his).
    refused = world.sandbox_admin(
        "POST",
        "/simulate/moment_interaction",
        json={"moment_id": moment_id, "userid": "zhangqiang", "external_userid": ZHAO},
    )
    assert refused["errcode"] == 40058
    world.siyu.post(f"{API}/moments/posts/{post['id']}/sync")
    run_jobs(service.SYNC_JOB)
    results = {r["userid"]: r for r in _get(world, post["id"])["results"]}
    assert (results["wangfang"]["likes"], results["wangfang"]["comments"]) == (2, 1)
    assert (results["zhangqiang"]["likes"], results["zhangqiang"]["comments"]) == (0, 0)
    # The 15-minute sync does not ask again within the hour; an operator's sync does.
    asked = _calls(world, COMMENTS)
    with database.transaction() as session:
        results_service.request_sync(session, world.connection.tenant_id)
    run_jobs(service.SYNC_JOB)
    assert _calls(world, COMMENTS) == asked
    world.siyu.post(f"{API}/moments/posts/{post['id']}/sync")
    run_jobs(service.SYNC_JOB)
    assert _calls(world, COMMENTS) == asked + 1  # wangfang's copy: the only one published

    sheet = world.siyu.get(f"{API}/moments/posts/{post['id']}/results.xlsx")
    assert sheet.status_code == 200
    assert sheet.content[:2] == b"PK"
    rows = list(
        openpyxl.load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True)
    )
    assert rows[0][-2:] == ("点赞", "评论")
    assert [r[-2:] for r in rows[1:] if r[0] == "wangfang"] == [(2, 1)]

    # The calendar shows the post on its day, with its kind and result.
    day = detail["planned_at"][:10]
    calendar = world.siyu.get(f"{API}/moments/calendar", params={"from": day, "to": day}).json()
    shown = [p for d in calendar["days"] for p in d["posts"] if p["id"] == post["id"]]
    assert [(p["published"], p["kind"]) for p in shown] == [(1, "knowledge")]


def test_tag_visibility_and_departments_are_passed_to_wecom(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    tag = session.scalar(
        select(Tag).where(Tag.tenant_id == world.connection.tenant_id, Tag.wecom_id.is_not(None))
    )
    assert tag is not None
    post = _compose(
        world,
        now=True,
        senders={"department_ids": [3]},
        tag_ids=[tag.id],
        kind="ad",
        text="双十二预售：到店出示本条立减 30 元",
    )
    run_jobs(service.CREATE_JOB)
    assert _get(world, post["id"])["state"] == "created"
    from siyu.sandbox.state import Moment

    sandbox_db: Any = world.sandbox.app.state.runtime.database  # type: ignore[attr-defined]
    with sandbox_db.transaction() as sb:
        moment = sb.scalar(select(Moment))
        visible = moment.content["visible_range"]
    assert visible["external_contact_list"] == {"tag_list": [tag.wecom_id]}
    assert visible["sender_list"] == {"department_list": [3]}
    _sync(world, run_jobs)
    targets = {r["userid"] for r in _get(world, post["id"])["results"]}
    assert targets == {"wangfang", "zhangqiang"}  # 上海徐汇店


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": "  "}, "moments_empty"),
        ({"senders": {}}, "moments_no_senders"),
        ({"senders": {"userids": ["nobody"]}}, "moments_unknown_staff"),
        ({"senders": {"department_ids": [999]}}, "moments_unknown_departments"),
        ({"tag_ids": [987654]}, "moments_unknown_tags"),
        ({"now": False}, "moments_no_time"),
        ({"planned_at": "2020-01-01T12:00:00+08:00", "now": False}, "moments_time_past"),
        ({"planned_at": "2099-01-01T12:00:00+08:00", "now": False}, "moments_time_too_far"),
        ({"planned_at": "2030-01-01T12:00:00", "now": False}, "validation_error"),
        ({"kind": "spam"}, "validation_error"),
        ({"text": "x" * 2001}, "validation_error"),
        ({"material_ids": [987654]}, "materials_unknown"),
        ({"senders": {"userids": "wangfang"}}, "validation_error"),
    ],
)
def test_bad_posts_are_refused_with_a_stable_code(
    world: World, run_jobs: RunJobs, body: dict[str, Any], code: str
) -> None:
    _ready(world, run_jobs)
    data = {
        "kind": "light",
        "text": "周末愉快",
        "senders": {"userids": ["wangfang"]},
        "now": True,
    } | body
    response = world.siyu.post(f"{API}/moments/posts", json=data)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


def test_bad_calendar_ranges_and_settings_are_refused(world: World) -> None:
    calendar = world.siyu.get(
        f"{API}/moments/calendar", params={"from": "2026-12-10", "to": "2026-12-01"}
    )
    assert calendar.status_code == 422
    assert calendar.json()["code"] == "moments_bad_range"
    assert world.siyu.get(f"{API}/moments/calendar", params={"from": "x"}).status_code == 422
    settings = world.siyu.put(
        f"{API}/moments/settings",
        json={
            "slots": ["25:00"],
            "ad_share_percent": 25,
            "ad_window_days": 7,
            "ad_days_in_a_row": 2,
        },
    )
    assert settings.status_code == 422
    assert settings.json()["code"] == "moments_bad_slot"


def test_a_post_whose_time_came_can_no_longer_be_changed_and_a_draft_can(
    world: World, database: Database, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    draft = _compose(world, draft=True)
    assert draft["state"] == "draft"
    body = {"kind": "light", "text": "改过的文字", "senders": {"all": True}, "draft": True}
    changed = world.siyu.put(f"{API}/moments/posts/{draft['id']}", json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["senders"]["all"] is True

    post = _compose(world, planned_at=(utcnow() + dt.timedelta(hours=1)).isoformat())
    _make_due(database, post["id"])
    with database.transaction() as session:
        service.submit_due(session)
    late = world.siyu.put(f"{API}/moments/posts/{post['id']}", json=body)
    assert late.status_code == 409
    assert late.json()["code"] == "moments_not_editable"
    cancel = world.siyu.post(f"{API}/moments/posts/{draft['id']}/cancel")
    assert cancel.json()["state"] == "cancelled"


def test_a_cancelled_post_is_never_created(world: World, run_jobs: RunJobs) -> None:
    _ready(world, run_jobs)
    post = _compose(world, planned_at=(utcnow() + dt.timedelta(minutes=5)).isoformat())
    assert world.siyu.post(f"{API}/moments/posts/{post['id']}/cancel").status_code == 200
    run_jobs(service.DUE_JOB, service.CREATE_JOB, later=True)
    assert _calls(world) == 0


def test_another_tenants_posts_are_out_of_reach(world: World, session: Session) -> None:
    post = _compose(world, draft=True, senders={"all": True})
    other = make_tenant(session, "别家品牌")
    user = make_user(session, other, role=Role.OPERATOR)
    session.commit()
    client = world.siyu
    client.cookies.clear()
    login(client, user.username)
    assert client.get(f"{API}/moments/posts/{post['id']}").status_code == 404
    assert client.post(f"{API}/moments/posts/{post['id']}/cancel").status_code == 404
    day = utcnow().date().isoformat()
    calendar = client.get(f"{API}/moments/calendar", params={"from": day, "to": day}).json()
    assert all(not d["posts"] for d in calendar["days"])
    # Nor can its composer name the first tenant's staff.
    refused = client.post(
        f"{API}/moments/posts",
        json={"kind": "light", "text": "hi", "senders": {"userids": ["wangfang"]}, "now": True},
    )
    assert refused.json()["code"] == "moments_unknown_staff"


def test_attachments_from_the_material_library_reach_wecom(
    world: World, session: Session, run_jobs: RunJobs
) -> None:
    _ready(world, run_jobs)
    tenant = session.get(Tenant, world.connection.tenant_id)
    assert tenant is not None
    images = [make_image(session, tenant, f"晒单 {n}") for n in range(2)]
    video = make_video(session, tenant)
    session.commit()

    mixed = world.siyu.post(
        f"{API}/moments/posts",
        json={
            "kind": "feedback",
            "text": "顾客晒单",
            "senders": {"all": True},
            "material_ids": [video.id, images[0].id],
            "now": True,
        },
    )
    assert mixed.status_code == 422
    assert mixed.json()["code"] == "material_attachments_not_allowed"

    post = _compose(world, now=True, kind="feedback", material_ids=[m.id for m in images])
    assert [m["title"] for m in post["materials"]] == ["晒单 0", "晒单 1"]
    run_jobs(service.CREATE_JOB)
    assert _get(world, post["id"])["state"] == "created"
    listed = _moments(world)
    assert len(listed) == 1
    assert len(listed[0]["image"]) == 2


def test_a_post_whose_create_job_gave_up_is_tried_again_without_a_second_task(
    world: World, database: Database, run_jobs: RunJobs, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ready(world, run_jobs)
    real = service.record_created
    monkeypatch.setattr(
        service,
        "record_created",
        lambda *_: (_ for _ in ()).throw(RuntimeError("WeCom's answer was lost")),
    )
    post = _compose(world, now=True, text="冬至快乐，记得吃饺子")
    run_jobs(service.CREATE_JOB)
    with database.transaction() as session:  # every attempt spent meanwhile
        session.execute(update(Job).where(Job.kind == service.CREATE_JOB).values(state=jobs.DEAD))
        row = session.get(MomentPost, post["id"])
        assert row is not None
        assert row.state == "creating"
        row.updated_at = utcnow() - dt.timedelta(hours=1)
    monkeypatch.setattr(service, "record_created", real)
    with database.transaction() as session:
        jobs.submit(session, service.SYNC_ALL_JOB)
    run_jobs(service.SYNC_ALL_JOB, service.CREATE_JOB)
    assert _get(world, post["id"])["state"] == "created"
    assert _calls(world) == 1
