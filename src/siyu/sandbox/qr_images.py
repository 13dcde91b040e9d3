"""The QR images behind contact ways' and join ways' ``qr_code`` URLs.

WeCom's ``qr_code`` is the address of an image; the image encodes the link a phone opens to add
the member (or join the group). The sandbox serves the same: ``/sandbox/qr/{config_id}`` is a PNG
whose QR holds ``/sandbox/ways/{config_id}``, and that link describes the way (a stand-in for the
page WeChat would open; scanning is simulated with ``/sandbox/simulate/scan``).
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from siyu import qr
from siyu.sandbox.core import WeComError
from siyu.sandbox.simulate import runtime_of
from siyu.sandbox.state import ContactWay, JoinWay

router = APIRouter(prefix="/sandbox", tags=["sandbox"])


def way_link(public_url: str, config_id: str) -> str:
    return f"{public_url}/sandbox/ways/{config_id}"


def _way(request: Request, config_id: str) -> tuple[str, dict[str, object]]:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        way = session.scalar(select(ContactWay).where(ContactWay.config_id == config_id))
        if way is not None:
            return "contact_way", dict(way.data)
        join = session.scalar(select(JoinWay).where(JoinWay.config_id == config_id))
        if join is not None:
            return "join_way", dict(join.data)
    raise WeComError(41044, "invalid config_id")


@router.get("/qr/{config_id}", response_class=Response)
def qr_image(request: Request, config_id: str) -> Response:
    """The image a way's ``qr_code`` points at (PNG, 430 px)."""
    _way(request, config_id)
    image = qr.render(way_link(runtime_of(request).public_url, config_id), "png", "web")
    return Response(image.content, media_type=image.media_type)


@router.get("/ways/{config_id}", response_class=HTMLResponse)
def way_page(request: Request, config_id: str) -> HTMLResponse:
    """What the QR's link opens: which way this is (the sandbox's stand-in for WeChat)."""
    kind, data = _way(request, config_id)
    what = "添加企业微信好友 / Add a WeCom contact" if kind == "contact_way" else "加入群聊 / Join"
    return HTMLResponse(
        f"<!doctype html><meta charset='utf-8'><title>{what}</title>"
        f"<h1>{what}</h1><p>config_id <code>{escape(config_id)}</code> · state "
        f"<code>{escape(str(data.get('state', '')))}</code></p>"
        f"<p>siyu sandbox scan --config-id {escape(config_id)} --customer-name 张三</p>"
    )
