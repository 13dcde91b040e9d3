"""The material library over HTTP: uploads checked against WeCom's limits, cards, search,
archive, the stored bytes, permissions and tenancy."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from siyu.auth.permissions import Role
from siyu.materials import samples, service
from siyu.materials.errors import AttachmentsNotAllowed, MaterialsUnknown
from siyu.tenants.models import Tenant
from tests.factories import make_tenant, make_user
from tests.helpers import login
from tests.materials.factories import (
    MP4,
    make_file,
    make_image,
    make_link,
    make_miniprogram,
    make_video,
)

API = "/api/v1"


@pytest.fixture
def tenant(session: Session) -> Tenant:
    return make_tenant(session)


@pytest.fixture
def owner(app_client: TestClient, session: Session, tenant: Tenant) -> TestClient:
    user = make_user(session, tenant)
    session.commit()
    login(app_client, user.username)
    return app_client


def _upload(client: TestClient, kind: str, name: str, content: bytes, **fields: str) -> Any:
    return client.post(
        f"{API}/materials",
        data={"kind": kind, **fields},
        files={"file": (name, content, "application/octet-stream")},
    )


def test_an_uploaded_image_is_kept_and_served_with_its_type(owner: TestClient) -> None:
    image = samples.png(label="hello")
    created = _upload(owner, "image", "秋冬.png", image, title="秋冬上新", keywords="新品，秋冬")
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kind"] == "image"
    assert body["content_type"] == "image/png"
    assert body["size"] == len(image)
    assert body["keywords"] == "新品 秋冬"
    assert body["preview_url"] == f"/api/v1/materials/{body['id']}/file"
    served = owner.get(body["preview_url"])
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.content == image


def test_a_file_is_downloaded_under_its_name(owner: TestClient) -> None:
    created = _upload(owner, "file", "prices.pdf", samples.pdf("Prices")).json()
    assert created["title"] == "prices.pdf"
    served = owner.get(f"{API}/materials/{created['id']}/file")
    assert served.headers["content-type"] == "application/pdf"
    assert served.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize(
    ("kind", "name", "content", "code"),
    [
        ("image", "fake.png", b"GIF89a not a png at all", "material_bad_file_type"),
        ("image", "big.png", b"\x89PNG\r\n\x1a\n" + b"0" * (10 << 20), "material_file_too_large"),
        ("video", "clip.mp4", samples.png(), "material_bad_file_type"),
        ("video", "big.mp4", MP4 + b"0" * (10 << 20), "material_file_too_large"),
        ("file", "big.zip", b"0" * ((20 << 20) + 1), "material_file_too_large"),
        ("file", "empty.txt", b"", "material_file_required"),
    ],
)
def test_uploads_wecom_would_refuse_are_422_with_a_code(
    owner: TestClient, kind: str, name: str, content: bytes, code: str
) -> None:
    response = _upload(owner, kind, name, content)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert owner.get(f"{API}/materials").json()["total"] == 0


def test_a_jpeg_named_png_is_kept_as_what_it_is(owner: TestClient) -> None:
    body = _upload(owner, "image", "photo.png", samples.jpeg()).json()
    assert body["content_type"] == "image/jpeg"
    assert body["file_name"] == "photo.jpg"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("javascript:alert(1)", "material_bad_url"),
        ("ftp://example.com/a", "material_bad_url"),
        ("https://", "material_bad_url"),
        ("https://exa mple.com", "material_bad_url"),
        ("http://[::1", "material_bad_url"),
    ],
)
def test_a_link_needs_an_http_url(owner: TestClient, url: str, code: str) -> None:
    response = owner.post(f"{API}/materials/links", json={"title": "活动", "url": url})
    assert response.status_code == 422
    assert response.json()["code"] == code


def test_cards_take_an_image_of_the_library_as_cover(owner: TestClient) -> None:
    cover = _upload(owner, "image", "c.png", samples.png()).json()
    video = _upload(owner, "video", "v.mp4", MP4).json()
    link = owner.post(
        f"{API}/materials/links",
        json={"title": "会员日", "url": "https://example.com/vip", "cover_id": cover["id"]},
    )
    assert link.status_code == 201, link.text
    assert link.json()["preview_url"] == cover["preview_url"]
    mini = {"title": "商城首页", "appid": "wx0123456789ABCDEF", "page": "pages/index"}
    made = owner.post(f"{API}/materials/miniprograms", json=mini | {"cover_id": cover["id"]})
    assert made.status_code == 201, made.text
    assert made.json()["appid"] == "wx0123456789abcdef"
    for bad, code in (
        ({"appid": "wx123"}, "material_bad_appid"),
        ({"appid": "gh0123456789abcdef"}, "material_bad_appid"),
        ({"cover_id": video["id"]}, "material_bad_cover"),
        ({"cover_id": 999999}, "material_bad_cover"),
        ({"title": "小" * 22}, "material_title_too_long"),
    ):
        body = mini | {"cover_id": cover["id"]} | bad
        response = owner.post(f"{API}/materials/miniprograms", json=body)
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["code"] == code, bad


def test_list_filters_by_kind_category_and_keyword_and_hides_archived(owner: TestClient) -> None:
    a = _upload(owner, "image", "a.png", samples.png(), title="双十一海报", category="海报").json()
    _upload(owner, "file", "b.pdf", samples.pdf("b"), title="价目表", keywords="价格 100%")
    owner.post(f"{API}/materials/links", json={"title": "双十一会场", "url": "https://e.com"})

    def titles(**params: Any) -> list[str]:
        page = owner.get(f"{API}/materials", params=params).json()
        return [m["title"] for m in page["items"]]

    assert titles(kind="image") == ["双十一海报"]
    assert titles(kind=["image", "link"]) == ["双十一会场", "双十一海报"]
    assert titles(keyword="双十一") == ["双十一会场", "双十一海报"]
    assert titles(keyword="100%") == ["价目表"]
    assert titles(keyword="_") == []
    assert titles(category="海报") == ["双十一海报"]
    assert owner.get(f"{API}/material-categories").json() == [{"name": "海报", "count": 1}]
    archived = owner.post(f"{API}/materials/{a['id']}/archive").json()
    assert archived["archived"] is True
    assert titles(kind="image") == []
    assert titles(kind="image", archived="true") == ["双十一海报"]
    owner.post(f"{API}/materials/{a['id']}/restore")
    assert titles(kind="image") == ["双十一海报"]


def test_edit_keeps_each_kind_to_its_own_fields(owner: TestClient) -> None:
    image = _upload(owner, "image", "a.png", samples.png()).json()
    edited = owner.patch(
        f"{API}/materials/{image['id']}", json={"title": "新标题", "category": "门店"}
    )
    assert edited.json()["title"] == "新标题"
    wrong = owner.patch(f"{API}/materials/{image['id']}", json={"url": "https://e.com"})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "material_wrong_kind"
    link = owner.post(f"{API}/materials/links", json={"title": "t", "url": "https://e.com"})
    bad = owner.patch(f"{API}/materials/{link.json()['id']}", json={"url": "mailto:a@b.c"})
    assert bad.json()["code"] == "material_bad_url"


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/materials", {"params": {"kind": "exe"}}),
        ("GET", "/materials", {"params": {"page_size": 0}}),
        ("GET", "/materials", {"params": {"keyword": "x" * 500}}),
        ("POST", "/materials", {"data": {"kind": "exe"}, "files": {"file": ("a", b"a")}}),
        ("POST", "/materials", {"data": {"kind": "image", "title": "t" * 101}}),
        ("POST", "/materials", {"json": {"kind": "image"}}),
        ("POST", "/materials/links", {"json": {"title": "", "url": "https://e.com"}}),
        ("POST", "/materials/links", {"json": {"title": "t", "url": 5, "extra": 1}}),
        ("POST", "/materials/miniprograms", {"json": {"title": "t", "appid": None}}),
        ("PATCH", "/materials/1", {"json": {"title": "   "}}),
        ("GET", "/materials/not-a-number", {}),
    ],
)
def test_hostile_input_is_refused_never_a_500(
    owner: TestClient, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    _upload(owner, "image", "a.png", samples.png())
    response = owner.request(method, API + path, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["code"]


def test_staff_read_the_library_but_do_not_change_it(
    app_client: TestClient, session: Session, tenant: Tenant
) -> None:
    image = make_image(session, tenant)
    staff = make_user(session, tenant, role=Role.STAFF)
    session.commit()
    login(app_client, staff.username)
    assert app_client.get(f"{API}/materials").json()["total"] == 1
    refused = app_client.post(f"{API}/materials/{image.id}/archive")
    assert refused.status_code == 403


def test_another_tenants_materials_are_not_found_nor_usable(
    owner: TestClient, session: Session, tenant: Tenant
) -> None:
    other = make_tenant(session, "其他")
    theirs = make_image(session, other, "别家的海报")
    session.commit()
    assert owner.get(f"{API}/materials/{theirs.id}").status_code == 404
    assert owner.get(f"{API}/materials/{theirs.id}/file").status_code == 404
    assert owner.get(f"{API}/materials").json()["total"] == 0
    mine = _upload(owner, "image", "a.png", samples.png()).json()
    tenant_id = tenant.id
    with pytest.raises(MaterialsUnknown) as refused:
        service.check(session, tenant_id, [mine["id"], theirs.id])
    assert refused.value.detail == {"ids": [theirs.id]}
    cover = owner.post(
        f"{API}/materials/links",
        json={"title": "t", "url": "https://e.com", "cover_id": theirs.id},
    )
    assert cover.json()["code"] == "material_bad_cover"
    assert [s.id for s in service.summaries(session, tenant_id, [theirs.id, mine["id"]])] == [
        mine["id"]
    ]


def test_attachment_mixes_follow_wecom(session: Session, tenant: Tenant) -> None:
    images = [make_image(session, tenant, f"图{i}").id for i in range(10)]
    video, link = make_video(session, tenant).id, make_link(session, tenant).id
    doc, mini = make_file(session, tenant).id, make_miniprogram(session, tenant).id

    def refused(ids: list[int], *, moment: bool) -> bool:
        try:
            service.check_attachments(session, tenant.id, ids, moment=moment)
        except AttachmentsNotAllowed:
            return True
        return False

    assert not refused([*images[:7], video, doc], moment=False)
    assert refused(images, moment=False)  # ten
    assert refused([images[0], images[0]], moment=False)
    assert not refused(images[:9], moment=True)
    assert refused(images, moment=True)
    assert not refused([video], moment=True)
    assert not refused([link], moment=True)
    assert refused([video, images[0]], moment=True)
    assert refused([link, video], moment=True)
    assert refused([doc], moment=True)
    assert refused([mini], moment=True)
    summary = service.summaries(session, tenant.id, [mini, video, doc])
    assert [(s.kind, s.preview_url is not None) for s in summary] == [
        ("miniprogram", True),
        ("video", True),
        ("file", False),
    ]
