"""WeCom's callback URL: verify, decrypt, store once, answer ``success``, process in a job.

Bad input gets a 4xx, writes nothing, and does not disturb valid callbacks around it.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.jobs import Job
from siyu.wecom import events
from siyu.wecom.crypto import CallbackCrypto
from siyu.wecom.models import WeComConnection, WeComEvent
from tests.factories import make_tenant
from tests.wecom.factories import AES_KEY, CALLBACK_TOKEN, add_contact_event, connect, wecom_side

handled: list[dict[str, object]] = []


def _record(session: Session, tenant_id: int, fields: events.Fields) -> None:
    handled.append(fields)


@pytest.fixture(autouse=True)
def _handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """The only handler while these tests run: they are about receiving, not about what the
    domains do with an event (the registry is process-wide)."""
    handled.clear()
    monkeypatch.setattr(events, "_handlers", {})
    events.handles("change_external_contact", "add_external_contact")(_record)


@pytest.fixture
def connection(session: Session) -> WeComConnection:
    connection = connect(session, make_tenant(session))
    session.commit()
    return connection


def url(connection: WeComConnection) -> str:
    return f"/wecom/callback/{connection.callback_key}"


def post(
    client: TestClient, connection: WeComConnection, xml: str, crypto: CallbackCrypto | None = None
):  # type: ignore[no-untyped-def]
    params, body = (crypto or wecom_side(connection)).envelope(xml)
    return client.post(url(connection), params=params, content=body.encode())


def stored(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(WeComEvent)) or 0


def test_url_verification_answers_the_plain_echostr_and_marks_the_connection(
    app_client: TestClient, session: Session, connection: WeComConnection
) -> None:
    crypto = wecom_side(connection)
    echostr = crypto.encrypt("6273985463280194")
    params = {"timestamp": "1", "nonce": "42", "echostr": echostr}
    params["timestamp"] = str(int(crypto.clock()))
    params["msg_signature"] = crypto.sign(params["timestamp"], params["nonce"], echostr)
    response = app_client.get(url(connection), params=params)
    assert response.status_code == 200
    assert response.text == "6273985463280194"
    session.expire_all()
    assert session.get(WeComConnection, connection.id).verified_at is not None  # type: ignore[union-attr]


def test_a_callback_is_stored_answered_and_processed_by_a_job(
    app_client: TestClient,
    session: Session,
    connection: WeComConnection,
    drain_jobs: Callable[[], int],
) -> None:
    response = post(app_client, connection, add_contact_event())
    assert response.status_code == 200
    assert response.text == "success"
    assert handled == []  # nothing slow happens before the answer
    event = session.scalars(select(WeComEvent)).one()
    assert (event.event, event.change_type, event.state) == (
        "change_external_contact",
        "add_external_contact",
        "pending",
    )
    assert event.fields["State"] == "store-xuhui"
    assert drain_jobs() == 1
    assert [f["ExternalUserID"] for f in handled] == ["wmCustomer001"]
    session.expire_all()
    assert session.get(WeComEvent, event.id).state == "processed"  # type: ignore[union-attr]


def test_a_retried_or_duplicated_callback_is_stored_once_and_processed_once(
    app_client: TestClient,
    session: Session,
    connection: WeComConnection,
    drain_jobs: Callable[[], int],
) -> None:
    xml = add_contact_event()
    for _ in range(3):  # WeCom's retries carry the same message, freshly encrypted and signed
        assert post(app_client, connection, xml).text == "success"
    assert stored(session) == 1
    assert session.scalars(select(WeComEvent)).one().deliveries == 3
    assert session.scalar(select(func.count()).select_from(Job)) == 1
    drain_jobs()
    assert len(handled) == 1


def test_an_unknown_event_type_is_kept_not_dropped(
    app_client: TestClient,
    session: Session,
    connection: WeComConnection,
    drain_jobs: Callable[[], int],
) -> None:
    xml = add_contact_event().replace("change_external_contact", "brand_new_event")
    assert post(app_client, connection, xml).text == "success"
    drain_jobs()
    event = session.scalars(select(WeComEvent)).one()
    assert (event.event, event.state) == ("brand_new_event", "kept")


def _forged_signature(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    params, body = wecom_side(connection).envelope(add_contact_event(external="forged"))
    params["msg_signature"] = "0" * 40
    response = client.post(url(connection), params=params, content=body.encode())
    return response.status_code, response.json()["detail"]["reason"]


def _other_corp(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    response = post(
        client,
        connection,
        add_contact_event(),
        CallbackCrypto(CALLBACK_TOKEN, AES_KEY, "wwsomeoneelse"),
    )
    return response.status_code, response.json()["detail"]["reason"]


def _broken_padding(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    crypto = wecom_side(connection)
    data = bytearray(base64.b64decode(crypto.encrypt(add_contact_event())))
    data[-17] ^= 0xFF
    encrypted = base64.b64encode(bytes(data)).decode()
    timestamp, nonce = str(int(crypto.clock())), "7"
    params = {
        "msg_signature": crypto.sign(timestamp, nonce, encrypted),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    body = (
        f"<xml><ToUserName><![CDATA[{connection.corp_id}]]></ToUserName>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    response = client.post(url(connection), params=params, content=body.encode())
    return response.status_code, response.json()["detail"]["reason"]


def _broken_inner_xml(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    response = post(client, connection, "<xml><ToUserName>oops</xml")
    return response.status_code, response.json()["detail"]["reason"]


def _broken_envelope(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    params, _body = wecom_side(connection).envelope(add_contact_event())
    response = client.post(url(connection), params=params, content=b"<xml><Encrypt>")
    return response.status_code, response.json()["detail"]["reason"]


def _entities(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    params, _body = wecom_side(connection).envelope(add_contact_event())
    response = client.post(url(connection), params=params, content=bomb.encode())
    return response.status_code, response.json()["detail"]["reason"]


def _oversize(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    response = post(client, connection, add_contact_event().replace("store-xuhui", "x" * 70_000))
    return response.status_code, response.json()["detail"]["reason"]


def _stale(client: TestClient, connection: WeComConnection) -> tuple[int, str]:
    crypto = wecom_side(connection)
    params, body = crypto.envelope(add_contact_event(), timestamp=str(int(crypto.clock()) - 3600))
    response = client.post(url(connection), params=params, content=body.encode())
    return response.status_code, response.json()["detail"]["reason"]


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        (_forged_signature, "bad_signature"),
        (_other_corp, "wrong_receiver"),
        (_broken_padding, "bad_padding"),
        (_broken_inner_xml, "bad_xml"),
        (_broken_envelope, "bad_xml"),
        (_entities, "forbidden_xml"),
        (_oversize, "too_large"),
        (_stale, "stale_timestamp"),
    ],
)
def test_bad_callbacks_get_a_4xx_write_nothing_and_leave_valid_ones_alone(
    attack: Callable[[TestClient, WeComConnection], tuple[int, str]],
    reason: str,
    app_client: TestClient,
    session: Session,
    connection: WeComConnection,
    drain_jobs: Callable[[], int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert post(app_client, connection, add_contact_event(external="before")).text == "success"
    status, got = attack(app_client, connection)
    assert 400 <= status < 500
    assert got == reason
    assert reason in caplog.text  # a log line says why
    assert post(app_client, connection, add_contact_event(external="after")).text == "success"
    assert stored(session) == 2
    drain_jobs()
    assert sorted(f["ExternalUserID"] for f in handled) == ["after", "before"]


def test_an_unknown_callback_url_is_a_404(app_client: TestClient) -> None:
    response = app_client.post(
        "/wecom/callback/nope",
        params={"msg_signature": "a", "timestamp": "1", "nonce": "1"},
        content=b"<xml/>",
    )
    assert response.status_code == 404
