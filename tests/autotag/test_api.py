"""Keyword rules over the API: validation in the project's error shape, tags of the tenant only,
permissions, and the chat archive's status and settings."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.models import AuditEvent
from siyu.auth.permissions import Role
from siyu.tags.models import Tag
from siyu.tenants.models import Tenant
from tests.factories import make_tag_group, make_tenant, make_user
from tests.helpers import login

API = "/api/v1"


def _tag(session: Session, tenant: Tenant, name: str = "亲子") -> int:
    group = make_tag_group(session, tenant)
    tag = Tag(tenant_id=tenant.id, group_id=group.id, name=name, wecom_id=f"et{group.id}{name}")
    session.add(tag)
    session.flush()
    return tag.id


def _owner(app_client: TestClient, session: Session) -> tuple[int, int]:
    """An owner of a new tenant, signed in; returns the tenant's id and one of its tag ids."""
    tenant = make_tenant(session)
    owner = make_user(session, tenant)
    tag_id = _tag(session, tenant)
    session.commit()
    login(app_client, owner.username)
    return tenant.id, tag_id


def test_a_rule_is_created_listed_edited_and_deleted_with_an_audit_trail(
    app_client: TestClient, session: Session
) -> None:
    _tenant, tag = _owner(app_client, session)
    created = app_client.post(
        f"{API}/keyword-rules",
        json={
            "name": "团餐意向",
            "keywords": ["团建", "包间", " 团建 ", "ＡＢＣ", "abc"],
            "tag_ids": [tag],
            "match_mode": "contains",
            "side": "both",
        },
    )
    assert created.status_code == 201, created.text
    rule = created.json()
    # Blanks trimmed; spellings that normalise alike are one keyword (the first kept).
    assert rule["keywords"] == ["团建", "包间", "ＡＢＣ"]
    assert (rule["hits"], rule["customers"], rule["enabled"]) == (0, 0, True)

    edited = app_client.patch(f"{API}/keyword-rules/{rule['id']}", json={"enabled": False})
    assert edited.json()["enabled"] is False
    assert edited.json()["keywords"] == ["团建", "包间", "ＡＢＣ"]
    page = app_client.get(f"{API}/keyword-rules", params={"search": "团餐"}).json()
    assert page["total"] == 1
    assert app_client.delete(f"{API}/keyword-rules/{rule['id']}").status_code == 204
    assert app_client.get(f"{API}/keyword-rules/{rule['id']}").status_code == 404
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"keyword_rules.create", "keyword_rules.update", "keyword_rules.delete"} <= actions


def test_bad_rules_are_refused_with_field_errors_in_the_callers_language(
    app_client: TestClient, session: Session
) -> None:
    _tenant, tag = _owner(app_client, session)
    bad = {
        "empty keywords": {"name": "x", "keywords": [], "tag_ids": [tag]},
        "only blanks": {"name": "x", "keywords": [" ", ""], "tag_ids": [tag]},
        "too long": {"name": "x", "keywords": ["长" * 31], "tag_ids": [tag]},
        "too many": {"name": "x", "keywords": [f"词{i}" for i in range(1001)], "tag_ids": [tag]},
        "no tags": {"name": "x", "keywords": ["宝宝"], "tag_ids": []},
        "bad mode": {"name": "x", "keywords": ["宝宝"], "tag_ids": [tag], "match_mode": "regex"},
    }
    for case, body in bad.items():
        response = app_client.post(
            f"{API}/keyword-rules", json=body, headers={"Accept-Language": "zh-CN"}
        )
        assert response.status_code == 422, (case, response.text)
        answer = response.json()
        assert answer["code"] == "validation_error", case
        assert answer["detail"][0]["field"].startswith("body."), case
    blank = app_client.post(
        f"{API}/keyword-rules",
        json=bad["only blanks"],
        headers={"Accept-Language": "zh-CN"},
    ).json()
    assert "至少填写一个关键词" in blank["message"]
    app_client.patch(f"{API}/auth/me", json={"locale": "en"})
    long = app_client.post(f"{API}/keyword-rules", json=bad["too long"]).json()
    assert "longer than 30 characters" in long["message"]


def test_a_tag_of_another_tenant_or_none_at_all_is_refused(
    app_client: TestClient, session: Session
) -> None:
    foreign_tag = _tag(session, make_tenant(session, "别家"))
    _tenant, tag = _owner(app_client, session)
    for tag_ids in ([foreign_tag], [tag, 999_999]):
        response = app_client.post(
            f"{API}/keyword-rules", json={"name": "x", "keywords": ["宝宝"], "tag_ids": tag_ids}
        )
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "keyword_unknown_tags"


def test_shop_managers_read_rules_but_do_not_change_them(
    app_client: TestClient, session: Session
) -> None:
    tenant = make_tenant(session)
    manager = make_user(session, tenant, role=Role.SHOP_MANAGER)
    session.commit()
    login(app_client, manager.username)
    assert app_client.get(f"{API}/keyword-rules").status_code == 200
    assert app_client.get(f"{API}/chat-archive").status_code == 200
    refused = app_client.post(
        f"{API}/keyword-rules", json={"name": "x", "keywords": ["宝宝"], "tag_ids": [1]}
    )
    assert refused.status_code == 403
    assert app_client.post(f"{API}/chat-archive/pull").status_code == 403


def test_the_real_archive_names_what_it_lacks_and_pulling_is_refused_until_it_has_it(
    app_client: TestClient, session: Session
) -> None:
    _owner(app_client, session)
    app_client.patch(f"{API}/auth/me", json={"locale": "en"})
    status = app_client.get(f"{API}/chat-archive").json()
    assert status["source"] == "finance_sdk"  # the tests' WeCom is the real host by default
    assert status["configured"] is False
    assert "SIYU_CHAT_ARCHIVE_SDK_PATH" in status["problem"]
    assert "Secret" in status["problem"]
    app_client.patch(f"{API}/auth/me", json={"locale": "zh-CN"})
    refused = app_client.post(f"{API}/chat-archive/pull")
    assert refused.status_code == 409
    assert refused.json()["code"] == "chat_archive_not_configured"
    assert "会话存档 Secret" in refused.json()["message"]
    assert "RSA 私钥" in refused.json()["message"]


def test_archive_settings_check_the_private_key_and_keep_the_secret_sealed(
    app_client: TestClient, session: Session
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    _owner(app_client, session)
    bad = app_client.put(
        f"{API}/chat-archive",
        json={"source": "finance_sdk", "secret": "s" * 43, "private_keys": {"1": "not a key"}},
    )
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_input"
    pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
        .decode()
    )
    app_client.patch(f"{API}/auth/me", json={"locale": "en"})
    saved = app_client.put(
        f"{API}/chat-archive",
        json={"source": "finance_sdk", "secret": "s" * 43, "private_keys": {"3": pem}},
    )
    assert saved.status_code == 200, saved.text
    status = saved.json()
    assert (status["secret_set"], status["private_key_versions"]) == (True, [3])
    assert "s" * 43 not in saved.text
    # Only the library is missing now.
    assert "SIYU_CHAT_ARCHIVE_SDK_PATH" in status["problem"]
    assert "Secret" not in status["problem"]
    assert "private key" not in status["problem"]
