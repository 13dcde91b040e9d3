"""Moments attachments: ``media/upload_attachment`` and the ids ``add_moment_task`` accepts."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.sandbox.conftest import WeCom


def _attach(
    client: TestClient, wecom: WeCom, name: str, kind: str, attachment_type: str = "1"
) -> dict[str, Any]:
    answer: dict[str, Any] = client.post(
        "/cgi-bin/media/upload_attachment",
        params={
            "access_token": wecom.token,
            "media_type": kind,
            "attachment_type": attachment_type,
        },
        files={"media": (name, b"\x89PNG attachment", "application/octet-stream")},
    ).json()
    return answer


def _moment(wecom: WeCom, attachments: list[dict[str, Any]]) -> dict[str, Any]:
    body = {"text": {"content": "新品到店"}, "attachments": attachments}
    return wecom.post("externalcontact/add_moment_task", body)


def test_upload_attachment_gives_a_media_id_moments_accept(
    client: TestClient, wecom: WeCom
) -> None:
    uploaded = _attach(client, wecom, "new.png", "image")
    assert uploaded["errcode"] == 0
    assert uploaded["type"] == "image"
    image = {"msgtype": "image", "image": {"media_id": uploaded["media_id"]}}
    assert _moment(wecom, [image])["jobid"]
    cover = {"msgtype": "link", "link": {"title": "店庆", "url": "https://example.com"}}
    cover["link"]["media_id"] = uploaded["media_id"]
    assert _moment(wecom, [cover])["errcode"] == 0


def test_upload_attachment_refuses_wrong_types(client: TestClient, wecom: WeCom) -> None:
    assert _attach(client, wecom, "a.gif", "image")["errcode"] == 40004
    assert _attach(client, wecom, "a.png", "file")["errcode"] == 40004
    assert _attach(client, wecom, "a.mp4", "video", attachment_type="2")["errcode"] == 40004
    assert _attach(client, wecom, "a.png", "image", attachment_type="9")["errcode"] == 40058
    empty = client.post(
        "/cgi-bin/media/upload_attachment",
        params={"access_token": wecom.token, "media_type": "image", "attachment_type": "1"},
        files={"media": ("a.png", b"", "image/png")},
    ).json()
    assert empty["errcode"] == 44001


def test_moments_refuse_temporary_media_and_expired_attachments(
    client: TestClient, wecom: WeCom
) -> None:
    temporary = client.post(
        "/cgi-bin/media/upload",
        params={"access_token": wecom.token, "type": "image"},
        files={"media": ("a.png", b"png", "image/png")},
    ).json()
    image = {"msgtype": "image", "image": {"media_id": temporary["media_id"]}}
    assert _moment(wecom, [image])["errcode"] == 40007
    video = _attach(client, wecom, "clip.mp4", "video")
    clip = {"msgtype": "video", "video": {"media_id": video["media_id"]}}
    client.post("/sandbox/clock", json={"advance_seconds": 3 * 86400})
    wecom.token = wecom.gettoken()["access_token"]
    assert _moment(wecom, [clip])["errcode"] == 40007
