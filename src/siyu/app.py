"""The FastAPI application: the REST API under ``/api/v1``, ``/healthz`` and the console."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import select

from siyu import __version__, health, jobs
from siyu.addfriend.api import router as addfriend_router
from siyu.addfriend.work_api import router as addfriend_work_router
from siyu.api import errors
from siyu.api.middleware import RequestLimits
from siyu.audit.api import router as audit_router
from siyu.auth.api import router as auth_router
from siyu.autotag.api import router as autotag_router
from siyu.broadcasts.api import router as broadcasts_router
from siyu.broadcasts.results_api import router as broadcast_results_router
from siyu.chats.api import router as chats_router
from siyu.codes.api import router as codes_router
from siyu.codes.landing import landing_router
from siyu.codes.results_api import router as code_results_router
from siyu.config import Settings, get_settings
from siyu.customers.api import router as customers_router
from siyu.customers.imports_api import router as customer_imports_router
from siyu.dashboard.api import router as dashboard_router
from siyu.db import Database, get_database
from siyu.errors import RouteNotFound
from siyu.groups.api import router as groups_router
from siyu.groups.codes_api import router as group_codes_router
from siyu.invitations.api import router as invitations_router
from siyu.materials.api import router as materials_router
from siyu.moments.api import router as moments_router
from siyu.playbooks.api import router as playbooks_router
from siyu.scripts.api import router as scripts_router
from siyu.scripts.sequences_api import router as sequences_router
from siyu.segments import live as segments_live
from siyu.segments.api import router as segments_router
from siyu.segments.behaviour_api import router as behaviour_rules_router
from siyu.staff.api import router as staff_router
from siyu.stores.api import router as stores_router
from siyu.tags.api import router as tags_router
from siyu.tenants.models import Tenant
from siyu.transfers.api import router as transfers_router
from siyu.users.api import router as users_router
from siyu.wecom.api import callback_router
from siyu.wecom.api import router as wecom_router
from siyu.wecom.intake import CallbackIntake

API_PREFIX = "/api/v1"
CONSOLE_DIST = Path(__file__).parent / "web" / "dist"

log = logging.getLogger("siyu.app")

_NO_CONSOLE = """<!doctype html><meta charset="utf-8"><title>Siyu</title>
<p>控制台尚未构建 / The console has not been built: run <code>make build</code>.</p>"""


# Every domain's routes; the tenancy test walks this table, so new routes are covered.
DOMAIN_ROUTERS: tuple[APIRouter, ...] = (
    auth_router,
    users_router,
    audit_router,
    dashboard_router,
    wecom_router,
    staff_router,
    stores_router,
    customers_router,
    customer_imports_router,
    tags_router,
    transfers_router,
    codes_router,
    code_results_router,
    groups_router,
    group_codes_router,
    autotag_router,
    broadcasts_router,
    broadcast_results_router,
    playbooks_router,
    invitations_router,
    chats_router,
    addfriend_router,
    addfriend_work_router,
    segments_router,
    behaviour_rules_router,
    moments_router,
    materials_router,
    scripts_router,
    sequences_router,
)


def api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX)
    for domain_router in DOMAIN_ROUTERS:
        router.include_router(domain_router)
    return router


def warm_indexes(database: Database) -> threading.Thread:
    """Build the audience index of every tenant in the background."""

    def build() -> None:
        with database.factory() as session:
            for tenant_id in session.scalars(select(Tenant.id).order_by(Tenant.id)).all():
                try:
                    segments_live.rebuild(session, tenant_id, parallel=True)
                except Exception:  # one tenant's failure must not keep the others cold
                    log.exception("audience index of tenant %s could not be built", tenant_id)

    thread = threading.Thread(target=build, name="segment-index-warmup", daemon=True)
    thread.start()
    return thread


def create_app(settings: Settings | None = None, database: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    database = database or get_database()
    intake = CallbackIntake(database)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.segment_index_at_start:
            warm_indexes(database)
        yield
        intake.stop()

    app = FastAPI(
        lifespan=lifespan,
        title="Siyu API",
        version=__version__,
        description="Siyu (私域): SCRM for private-domain customer operations on WeCom.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.intake = intake
    jobs.load_task_modules()
    errors.install(app)
    app.add_middleware(
        RequestLimits,
        max_body_bytes=settings.max_body_bytes,
        upload_paths=(
            f"{API_PREFIX}/customer-imports",
            f"{API_PREFIX}/add-friend-lists",
            f"{API_PREFIX}/materials",
        ),
        max_upload_bytes=settings.max_upload_bytes,
    )
    app.include_router(api_router())
    app.include_router(callback_router)
    app.include_router(landing_router)

    @app.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Swagger UI's files come with the console build (npm package), not from a CDN.
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="Siyu API",
            swagger_js_url="/api-docs/swagger-ui-bundle.js",
            swagger_css_url="/api-docs/swagger-ui.css",
            swagger_favicon_url="/favicon.svg",
        )

    @app.get("/healthz", tags=["health"], operation_id="getHealth")
    def healthz(request: Request) -> JSONResponse:
        healthy, report = health.check(request.app.state.database, settings)
        return JSONResponse(report, status_code=200 if healthy else 503)

    _mount_console(app)
    return app


def _mount_console(app: FastAPI) -> None:
    assets = CONSOLE_DIST / "assets"
    if assets.is_dir():
        app.mount("/assets", StaticFiles(directory=assets), name="assets")

    @app.get("/{path:path}", include_in_schema=False)
    def console(path: str, request: Request) -> Response:
        # Client-side routes get the single page; unknown API paths get a JSON 404.
        if path == "api" or path.startswith("api/"):
            raise RouteNotFound(method=request.method, path=request.url.path)
        candidate = (CONSOLE_DIST / path).resolve()
        if path and candidate.is_file() and candidate.is_relative_to(CONSOLE_DIST.resolve()):
            return FileResponse(candidate)
        index = CONSOLE_DIST / "index.html"
        if not index.is_file():
            return HTMLResponse(_NO_CONSOLE, status_code=503)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
