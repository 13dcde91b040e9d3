"""The public landing page of a code (``/l/{state}``) that ads and Moments link to: its QR,
the visit recorded with its utm source, and nearest-store routing by the visitor's location."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from siyu import qr
from siyu.codes import nearest, repository
from siyu.codes.models import LandingVisit
from siyu.db import Database, utcnow

landing_router = APIRouter(tags=["landing pages"])

# --- the public landing page ----------------------------------------------------------------

LANDING_PAGE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>
body{{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f5f7f6;color:#222;text-align:center}}
header{{background:#07c160;color:#fff;padding:28px 16px}}
h1{{margin:0;font-size:24px}} p{{margin:12px 24px;line-height:1.6}}
.qr{{background:#fff;display:inline-block;margin:24px auto 8px;padding:12px;border-radius:12px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}} .qr svg{{width:240px;height:240px;display:block}}
.hint{{color:#666;font-size:14px}}
</style></head><body>
<header><h1>{title}</h1></header>
<p>{description}</p>
<div class="qr" role="img" aria-label="QR">{qr}</div>
<p class="hint">长按识别二维码添加 · Press and hold to scan</p>
{extra}
</body></html>"""

# For a nearest-store code: ask the browser where the visitor is, then come back with it (or
# with located=0 when they say no); without an answer the code's own QR stays.
LOCATE_SCRIPT = """
<p class="hint" id="locating">正在为您查找最近的门店… · Finding your nearest store…</p>
<script>
(function () {
  var url = new URL(window.location.href);
  function go(params) {
    Object.keys(params).forEach(function (k) { url.searchParams.set(k, params[k]); });
    window.location.replace(url.toString());
  }
  if (!navigator.geolocation) { go({located: "0"}); return; }
  navigator.geolocation.getCurrentPosition(
    function (p) { go({lat: p.coords.latitude.toFixed(5), lng: p.coords.longitude.toFixed(5)}); },
    function () { go({located: "0"}); },
    {timeout: 8000, maximumAge: 600000}
  );
})();
</script>"""
STORE_LINE = (
    '<p class="hint" data-store="{store_id}">离您最近的门店 · Nearest store: '
    "{name}（约 {km} 公里 / km）{address}</p>"
)

UTM = Annotated[str, Query(max_length=60)]
Latitude = Annotated[float | None, Query(ge=-90, le=90)]
Longitude = Annotated[float | None, Query(ge=-180, le=180)]


def _not_found() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><meta charset='utf-8'><title>404</title>"
        "<p>二维码不存在或已失效 / This code does not exist or has expired.</p>",
        status_code=404,
    )


@landing_router.get("/l/{state}", response_class=HTMLResponse, include_in_schema=False)
def landing_page(
    request: Request,
    state: str,
    utm_source: UTM = "",
    utm_medium: UTM = "",
    utm_campaign: UTM = "",
    lat: Latitude = None,
    lng: Longitude = None,
    located: Annotated[int | None, Query(ge=0, le=1)] = None,
) -> HTMLResponse:
    """A code's public page (for ads and Moments links): its QR, and the visit recorded with
    where it came from. A nearest-store code shows the code of the store nearest to the
    visitor (the browser is asked for the location); the visit is counted on that code."""
    database: Database = request.app.state.database
    with database.transaction() as session:
        code = repository.by_state(session, state[:30])
        if code is None or not code.qr_content:
            return _not_found()
        shown, extra = code, ""
        if code.nearest_store and lat is not None and lng is not None:
            found = nearest.nearest_store_code(session, code, lat, lng)
            if found is not None:
                shown, store, km = found
                extra = STORE_LINE.format(
                    store_id=store.id,
                    name=escape(store.name),
                    km=f"{km:.1f}",
                    address=escape(store.address),
                )
        if code.nearest_store and lat is None and located is None:
            extra = LOCATE_SCRIPT  # counted when the browser comes back with the location
        else:
            session.add(
                LandingVisit(
                    tenant_id=shown.tenant_id,
                    code_id=shown.id,
                    at=utcnow(),
                    utm_source=utm_source,
                    utm_medium=utm_medium,
                    utm_campaign=utm_campaign,
                    referrer=request.headers.get("referer", "")[:300],
                )
            )
        svg = qr.render(shown.qr_content or code.qr_content, "svg", "web").content.decode()
        title = code.landing.get("title") or code.name
        description = code.landing.get("description", "")
    return HTMLResponse(
        LANDING_PAGE.format(
            title=escape(title), description=escape(description), qr=svg, extra=extra
        ),
        headers={"Cache-Control": "no-store"},
    )
