"""``siyu``: serve, work, migrate, seed and administer from the command line."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Annotated

import typer
from rich.console import Console

from siyu.auth.permissions import Role
from siyu.config import ConfigError, Settings, get_settings

app = typer.Typer(
    help="Siyu (私域) — SCRM for private-domain operations on WeCom.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo tenant.", no_args_is_help=True)
user_app = typer.Typer(help="Console members.", no_args_is_help=True)
tenant_app = typer.Typer(help="Tenants (one per WeCom corp).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(user_app, name="user")
app.add_typer(tenant_app, name="tenant")

from siyu.customers.cli import customers_app  # noqa: E402 - registered beside the others
from siyu.sandbox.cli import sandbox_app  # noqa: E402

app.add_typer(customers_app, name="customers")
app.add_typer(sandbox_app, name="sandbox")

console = Console()


def _setup_logging() -> None:
    logging.basicConfig(
        level=get_settings().log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Huey logs every task at INFO; Siyu's own job log lines say what matters. httpx logs every
    # URL at INFO, and WeCom's URLs carry the secret (gettoken) and the access token.
    for noisy in ("huey", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to the configured database."""
    from siyu import migrate

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.effective_database_url)
    console.print("[green]database is at the latest schema[/]")


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo tenant and its team (does nothing if it exists)."""
    from siyu import demo
    from siyu.db import get_database

    settings = get_settings()
    with get_database().transaction() as session:
        result = demo.seed(session, password=settings.admin_password)
    if result.created:
        console.print(f"[green]demo tenant created[/] (login: {demo.DEMO_USERNAME})")
    else:
        console.print("demo tenant already present; nothing seeded")


@tenant_app.command("create")
def tenant_create(
    slug: Annotated[str, typer.Argument(help="Short unique name, e.g. the brand in pinyin")],
    name: Annotated[str, typer.Argument(help="Display name")],
) -> None:
    """Create a tenant."""
    from siyu.db import get_database
    from siyu.tenants import repository

    with get_database().transaction() as session:
        if repository.get_by_slug(session, slug):
            console.print(f"[red]tenant {slug} already exists[/]")
            raise typer.Exit(1)
        tenant = repository.create(session, name=name, slug=slug)
        tenant_id = tenant.id
    console.print(f"[green]tenant {slug} created[/] (id {tenant_id})")


@user_app.command("create")
def user_create(
    tenant: Annotated[str, typer.Option(help="Tenant slug")],
    username: Annotated[str, typer.Option()],
    display_name: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option()] = Role.OWNER,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create a console member in a tenant."""
    from pydantic import ValidationError

    from siyu.auth.principal import system_principal
    from siyu.db import get_database
    from siyu.errors import SiyuError
    from siyu.tenants import repository
    from siyu.users import service
    from siyu.users.schemas import UserCreate

    try:
        data = UserCreate(
            username=username, display_name=display_name, password=password, role=role
        )
        with get_database().transaction() as session:
            found = repository.get_by_slug(session, tenant)
            if found is None:
                console.print(f"[red]no tenant {tenant}[/] (create it with `siyu tenant create`)")
                raise typer.Exit(1)
            service.create(session, system_principal(found.id, label="cli"), data)
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]{'.'.join(map(str, error['loc']))}: {error['msg']}[/]")
        raise typer.Exit(2) from None
    except SiyuError as exc:
        console.print(f"[red]{exc.message('en')}[/]")
        raise typer.Exit(1) from None
    console.print(f"[green]member {username} created[/]")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
) -> None:
    """Serve the API and the console."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "siyu.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
    )


@app.command()
def worker(
    workers: Annotated[int, typer.Option(help="Worker threads")] = 2,
) -> None:
    """Run background jobs and schedules."""
    from siyu import jobs

    _setup_logging()
    jobs.load_task_modules()
    consumer = jobs.huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True
    )
    console.print(
        f"worker started ({get_settings().effective_jobs_backend} queue, {workers} threads)"
    )
    consumer.run()


@app.command()
def up() -> None:
    """Migrate, seed the demo tenant, then run the API, the worker and the WeCom sandbox until
    Ctrl-C. Unless SIYU_WECOM_BASE_URL says otherwise, Siyu talks to the sandbox."""
    from siyu import demo

    settings = get_settings()
    db_upgrade()
    demo_seed()
    env = dict(os.environ)
    env.setdefault("SIYU_WECOM_BASE_URL", settings.sandbox_url)
    env.setdefault("SIYU_SEGMENT_INDEX_AT_START", "true")
    python = [sys.executable, "-m", "siyu"]
    children = [
        subprocess.Popen([*python, "serve"], env=env),  # noqa: S603
        subprocess.Popen([*python, "worker"], env=env),  # noqa: S603
        subprocess.Popen([*python, "sandbox", "serve"], env=env),  # noqa: S603
    ]
    _wait_until_serving(settings.console_url, children[0])
    _wait_until_serving(settings.sandbox_url, children[2], path="/cgi-bin/gettoken")
    callback = _point_sandbox_at_siyu(settings)
    threading.Thread(target=_demo_visitors, args=(settings,), daemon=True).start()
    threading.Thread(target=_demo_moments, args=(settings,), daemon=True).start()
    threading.Thread(target=_demo_staff, args=(settings,), daemon=True).start()
    threading.Thread(target=_demo_invitees, args=(settings,), daemon=True).start()
    console.rule("[bold]Siyu 私域")
    console.print(f"控制台 Console : [bold cyan]{settings.console_url}[/]")
    console.print(
        f"演示账号 Login  : [bold]{demo.DEMO_USERNAME}[/] / [bold]{settings.admin_password}[/]"
    )
    console.print(f"API 文档 Docs   : {settings.console_url}/api/v1/docs")
    console.print(f"企业微信沙箱 WeCom sandbox : {settings.sandbox_url}  ({callback})")
    console.print("按 Ctrl-C 停止 / Ctrl-C stops everything")
    console.rule()

    def stop(*_: object) -> None:
        for child in children:
            if child.poll() is None:
                child.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
    raise typer.Exit(1 if failed else 0)


DEMO_VISITORS = ("林小满", "周一鸣", "吴悠悠", "郑好", "孙悦", "冯晨", "何田田", "许诺")


def _demo_visitors(settings: Settings) -> None:
    """On the demo's first run, a few customers scan its channel codes in the sandbox once
    Siyu has made them (and one leaves again): the welcomes log, the codes' counts and the
    channel results then show greetings and a loss, made by the real paths."""
    import httpx
    from sqlalchemy import func, select

    from siyu.codes.models import LIVE, ChannelCode, WelcomeSend
    from siyu.db import get_database

    deadline = time.monotonic() + 300
    ways: list[str] = []
    while time.monotonic() < deadline:
        with get_database().factory() as session:
            if session.scalar(select(func.count()).select_from(WelcomeSend)):
                return  # not the first run
            ways = list(
                session.scalars(select(ChannelCode.config_id).where(ChannelCode.status == LIVE))
            )
        if len(ways) >= 4:
            break
        time.sleep(3)
    if not ways:
        return
    last: dict[str, str] = {}
    try:
        for index, name in enumerate(DEMO_VISITORS):
            answer = httpx.post(
                f"{settings.sandbox_url}/sandbox/simulate/scan",
                json={"config_id": ways[index % len(ways)], "customer": {"name": name}},
                timeout=10,
            )
            answer.raise_for_status()
            last = answer.json()
            time.sleep(1.5)
        time.sleep(5)
        httpx.post(
            f"{settings.sandbox_url}/sandbox/simulate/delete_staff",
            json={"userid": last["userid"], "external_userid": last["external_userid"]},
            timeout=10,
        ).raise_for_status()
    except (httpx.HTTPError, KeyError) as exc:
        logging.getLogger("siyu.demo").warning("demo visitors stopped: %s", exc)


def _demo_moments(settings: Settings) -> None:
    """On the demo's first run, staff publish its past Moments posts in the sandbox."""
    from siyu.moments.demo import publish_some

    publish_some(settings)


def _demo_staff(settings: Settings) -> None:
    """On the demo's first run, once its week of broadcasts has its WeCom tasks, the sandbox's
    staff confirm them in their client (all but one, left for the 「提醒」 button) and Siyu reads
    the results back."""
    import httpx

    from siyu.broadcasts import demo as broadcasts_demo
    from siyu.broadcasts.models import Broadcast
    from siyu.broadcasts.tasks import submit_sync
    from siyu.db import get_database, utcnow

    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        with get_database().factory() as session:
            found = broadcasts_demo.unconfirmed_demo_tasks(session)
        if len(found) >= 3:
            break
        time.sleep(5)
    else:
        return
    try:
        for _broadcast, msgid, userid in found:
            httpx.post(
                f"{settings.sandbox_url}/sandbox/simulate/confirm_mass",
                json={"msgid": msgid, "userid": userid},
                timeout=10,
            ).raise_for_status()
    except httpx.HTTPError as exc:
        logging.getLogger("siyu.demo").warning("demo staff stopped: %s", exc)
    with get_database().transaction() as session:
        for broadcast_id in {b for b, _m, _u in found}:
            broadcast = session.get(Broadcast, broadcast_id)
            if broadcast is not None:
                submit_sync(session, broadcast, utcnow(), asked=True)


def _demo_invitees(settings: Settings) -> None:
    """On the demo's first run, once its group invitation has its WeCom tasks, the sandbox's
    staff send it and a few of the invited scan the group code: the invitation's results then
    show joins traced back to it."""
    import httpx

    from siyu.broadcasts.models import Broadcast
    from siyu.broadcasts.tasks import submit_sync
    from siyu.db import get_database, utcnow
    from siyu.invitations.demo import demo_invitees

    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        with get_database().factory() as session:
            tasks, config_id, invited = demo_invitees(session)
        if tasks:
            break
        time.sleep(5)
    else:
        return
    try:
        for _broadcast, msgid, userid in tasks:
            httpx.post(
                f"{settings.sandbox_url}/sandbox/simulate/confirm_mass",
                json={"msgid": msgid, "userid": userid},
                timeout=10,
            ).raise_for_status()
        for external_userid in invited:
            time.sleep(2)
            httpx.post(
                f"{settings.sandbox_url}/sandbox/simulate/scan_group_code",
                json={"config_id": config_id, "external_userid": external_userid},
                timeout=10,
            ).raise_for_status()
    except httpx.HTTPError as exc:
        logging.getLogger("siyu.demo").warning("demo invitees stopped: %s", exc)
    with get_database().transaction() as session:
        broadcast = session.get(Broadcast, tasks[0][0])
        if broadcast is not None:
            submit_sync(session, broadcast, utcnow(), asked=True)


def _point_sandbox_at_siyu(settings: Settings) -> str:
    """Set the demo corp's callback URL in the sandbox, as an admin does in WeCom's console:
    the sandbox verifies it by calling Siyu, exactly as WeCom would."""
    import httpx

    from siyu import demo
    from siyu.db import get_database
    from siyu.sandbox.demo import DEMO_CORP
    from siyu.tenants import repository as tenants
    from siyu.wecom import service as wecom

    with get_database().transaction() as session:
        tenant = tenants.get_by_slug(session, demo.DEMO_SLUG)
        connection = wecom.get(session, tenant.id) if tenant else None
        if connection is None:
            return "demo tenant not connected"
        url = wecom.callback_url(settings, connection)
    try:
        answer = httpx.post(
            f"{settings.sandbox_url}/sandbox/corps/{DEMO_CORP.corp_id}/callback",
            json={"url": url},
            timeout=15,
        )
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        return f"callback URL not set: {exc}"
    return "回调已验证 callback verified" if answer.json().get("verified") else answer.text[:200]


def _wait_until_serving(
    url: str, server: subprocess.Popen[bytes], timeout: float = 60, path: str = "/healthz"
) -> None:
    """Wait until a child answers, so the banner is the last thing on screen."""
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            httpx.get(f"{url}{path}", timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.3)


def main() -> None:
    try:
        app()
    except ConfigError as exc:
        Console(stderr=True).print(f"[red]configuration error:[/] {exc}")
        sys.exit(2)
