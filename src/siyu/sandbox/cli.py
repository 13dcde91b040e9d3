"""``siyu sandbox …``: run the fake WeCom, and play customers and staff against a running one."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

from siyu.config import get_settings
from siyu.sandbox.demo import DEMO_CORP

sandbox_app = typer.Typer(
    help="The sandbox: a fake WeCom server and a customer/staff simulator.", no_args_is_help=True
)
console = Console()

Url = Annotated[str, typer.Option(help="The running sandbox (default: SIYU_SANDBOX_HOST/PORT)")]
Corp = Annotated[str, typer.Option(help="Corp id")]
Wait = Annotated[bool, typer.Option(help="Deliver the resulting callbacks before returning")]


def _url(url: str) -> str:
    return (url or get_settings().sandbox_url).rstrip("/")


def _call(method: str, url: str, path: str, body: Any = None, **params: Any) -> Any:
    import httpx

    try:
        response = httpx.request(
            method, _url(url) + path, json=body, params=params or None, timeout=30
        )
    except httpx.HTTPError as exc:
        console.print(f"[red]the sandbox at {_url(url)} does not answer:[/] {exc}")
        console.print("start it with: siyu sandbox serve")
        raise typer.Exit(1) from None
    data = response.json()
    console.print_json(json.dumps(data, ensure_ascii=False))
    if response.status_code >= 400 or (isinstance(data, dict) and data.get("errcode")):
        raise typer.Exit(1)
    return data


@sandbox_app.command()
def serve(
    host: Annotated[str, typer.Option()] = "",
    port: Annotated[int, typer.Option()] = 0,
) -> None:
    """Run the sandbox (WeCom API + simulator) with its callback sender."""
    import uvicorn

    from siyu.sandbox.server import create_sandbox_app

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    host = host or settings.sandbox_host
    port = port or settings.sandbox_port
    app = create_sandbox_app(
        settings,
        deliver_in_background=True,
        public_url=f"http://{host}:{port}",
        demo_crowd=DEMO_CROWD,
    )
    console.print(f"sandbox WeCom at [bold cyan]http://{host}:{port}/cgi-bin/[/]")
    console.print(f"demo corp {DEMO_CORP.corp_id} ({DEMO_CORP.corp_name})")
    # No access log unless debugging: gettoken's query string carries the secret.
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=settings.log_level.lower(),
        access_log=settings.log_level.upper() == "DEBUG",
    )


DEMO_CROWD = 2400  # customers the demo corp's staff have besides the six named ones


@sandbox_app.command("seed-bulk")
def seed_bulk(
    corp_id: Annotated[str, typer.Option("--corp", "--corp-id", help="Corp id")] = (
        DEMO_CORP.corp_id
    ),
    staff: Annotated[int, typer.Option(min=1, help="Staff members s00001…")] = 5000,
    customers: Annotated[int, typer.Option(min=0, help="Customers, one follow each")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Same seed, same corp")] = 1,
    database_url: Annotated[
        str, typer.Option(help="The sandbox's database (default: SIYU_SANDBOX_DATABASE_URL)")
    ] = "",
) -> None:
    """Load a corp with many staff and customers straight into the sandbox's database
    (benchmarks); no callbacks. The demo corp is made first when absent, as serve does."""
    from siyu.sandbox import bulk, demo
    from siyu.sandbox.core import Clock, WeComError
    from siyu.sandbox.state import open_database

    database = open_database(database_url or get_settings().effective_sandbox_database_url)
    try:
        with database.transaction() as session:
            clock = Clock()
            clock.load(session)
            demo.seed(session, clock.ts())
        try:
            seeded = bulk.seed_bulk(database, corp_id, staff=staff, customers=customers, seed=seed)
        except WeComError as exc:
            console.print(f"[red]{exc.errcode}:[/] {exc.text}")
            raise typer.Exit(1) from None
    finally:
        database.engine.dispose()
    console.print_json(json.dumps(seeded.to_dict(), ensure_ascii=False))


@sandbox_app.command()
def info(corp_id: Corp = DEMO_CORP.corp_id, url: Url = "") -> None:
    """The corp's apps, secrets, callback URL and settings."""
    _call("GET", url, f"/sandbox/corps/{corp_id}")


@sandbox_app.command("set-callback")
def set_callback(
    callback_url: Annotated[str, typer.Argument(help="Siyu's callback endpoint")],
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """Set the corp's callback URL; the sandbox verifies it first, as the admin console does."""
    data = _call("POST", url, f"/sandbox/corps/{corp_id}/callback", {"url": callback_url})
    if not data.get("verified"):
        raise typer.Exit(1)


@sandbox_app.command()
def scan(
    config_id: Annotated[str, typer.Option(help="The contact way's config_id")],
    customer_name: Annotated[str, typer.Option(help="The customer's WeChat name")],
    gender: Annotated[int, typer.Option(help="0 unknown, 1 male, 2 female")] = 0,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """A customer scans a contact way's QR code and becomes a friend."""
    body = {"config_id": config_id, "customer": {"name": customer_name, "gender": gender}}
    _call("POST", url, "/sandbox/simulate/scan", body, wait=wait)


@sandbox_app.command("add-by-phone")
def add_by_phone(
    userid: Annotated[str, typer.Option(help="The staff member found by phone")],
    customer_name: Annotated[str, typer.Option()],
    gender: Annotated[int, typer.Option()] = 0,
    phone: Annotated[
        str,
        typer.Option(
            help="The customer's number: the staff member searched it, kept it as the remark"
            " mobile, and the customer accepted (an add-friend task completes itself)"
        ),
    ] = "",
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """A friendship made by phone number (add_way 2)."""
    body = {
        "corp_id": corp_id,
        "userid": userid,
        "customer": {"name": customer_name, "gender": gender},
        "phone": phone,
    }
    _call("POST", url, "/sandbox/simulate/add_by_phone", body, wait=wait)


@sandbox_app.command()
def say(
    userid: Annotated[str, typer.Option()],
    external_userid: Annotated[str, typer.Option()],
    text: Annotated[str, typer.Argument()],
    from_staff: Annotated[bool, typer.Option(help="The staff member speaks")] = False,
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """A line of chat between a customer and a staff member."""
    body = {
        "corp_id": corp_id,
        "userid": userid,
        "external_userid": external_userid,
        "text": text,
        "sender": "staff" if from_staff else "customer",
    }
    _call("POST", url, "/sandbox/simulate/chat", body)


@sandbox_app.command("delete-staff")
def delete_staff(
    userid: Annotated[str, typer.Option()],
    external_userid: Annotated[str, typer.Option()],
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """The customer deletes the staff member (del_follow_user)."""
    body = {"corp_id": corp_id, "userid": userid, "external_userid": external_userid}
    _call("POST", url, "/sandbox/simulate/delete_staff", body, wait=wait)


@sandbox_app.command("delete-customer")
def delete_customer(
    userid: Annotated[str, typer.Option()],
    external_userid: Annotated[str, typer.Option()],
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """The staff member deletes the customer (del_external_contact)."""
    body = {"corp_id": corp_id, "userid": userid, "external_userid": external_userid}
    _call("POST", url, "/sandbox/simulate/staff_delete_customer", body, wait=wait)


@sandbox_app.command("edit-customer")
def edit_customer(
    userid: Annotated[str, typer.Option()],
    external_userid: Annotated[str, typer.Option()],
    remark: Annotated[str | None, typer.Option()] = None,
    add_tag: Annotated[list[str] | None, typer.Option()] = None,
    remove_tag: Annotated[list[str] | None, typer.Option()] = None,
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """The staff member edits a remark or tags in the client (edit_external_contact)."""
    body = {
        "corp_id": corp_id,
        "userid": userid,
        "external_userid": external_userid,
        "remark": remark,
        "add_tag": add_tag or [],
        "remove_tag": remove_tag or [],
    }
    _call("POST", url, "/sandbox/simulate/edit_customer", body, wait=wait)


@sandbox_app.command()
def tags(corp_id: Corp = DEMO_CORP.corp_id, url: Url = "") -> None:
    """The corp's tag groups and tags."""
    _call("GET", url, f"/sandbox/corps/{corp_id}/tags")


@sandbox_app.command("tag-create")
def tag_create(
    group_name: Annotated[str, typer.Option(help="The group, made when missing")],
    tag: Annotated[list[str], typer.Option(help="A tag name, repeatable")],
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """An administrator adds tags in WeCom's console (change_external_tag create)."""
    body = {"group_name": group_name, "tag": [{"name": name} for name in tag]}
    _call("POST", url, f"/sandbox/corps/{corp_id}/tags", body, wait=wait)


@sandbox_app.command("tag-edit")
def tag_edit(
    item_id: Annotated[str, typer.Argument(help="A tag id or a group id")],
    name: Annotated[str | None, typer.Option()] = None,
    order: Annotated[int | None, typer.Option()] = None,
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """An administrator renames (update) or reorders (shuffle) a tag or group in the console."""
    body = {"name": name, "order": order}
    _call("PATCH", url, f"/sandbox/corps/{corp_id}/tags/{item_id}", body, wait=wait)


@sandbox_app.command("tag-delete")
def tag_delete(
    item_id: Annotated[str, typer.Argument(help="A tag id or a group id")],
    corp_id: Corp = DEMO_CORP.corp_id,
    wait: Wait = False,
    url: Url = "",
) -> None:
    """An administrator deletes a tag, or a group with its tags, in the console (delete)."""
    _call("DELETE", url, f"/sandbox/corps/{corp_id}/tags/{item_id}", wait=wait)


@sandbox_app.command("confirm-mass")
def confirm_mass(
    msgid: Annotated[str, typer.Option()],
    userid: Annotated[str, typer.Option()],
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """The staff member confirms a mass message in the client."""
    body = {"corp_id": corp_id, "msgid": msgid, "userid": userid}
    _call("POST", url, "/sandbox/simulate/confirm_mass", body)


@sandbox_app.command("publish-moment")
def publish_moment(
    moment_id: Annotated[str, typer.Option()],
    userid: Annotated[str, typer.Option()],
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """The staff member publishes a moment task."""
    body = {"corp_id": corp_id, "moment_id": moment_id, "userid": userid}
    _call("POST", url, "/sandbox/simulate/publish_moment", body)


@sandbox_app.command("transfer-answer")
def transfer_answer(
    external_userid: Annotated[str, typer.Option()],
    accept: Annotated[bool, typer.Option("--accept/--refuse")] = True,
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """The customer accepts or refuses a pending transfer."""
    body = {"corp_id": corp_id, "external_userid": external_userid, "accept": accept}
    _call("POST", url, "/sandbox/simulate/transfer_answer", body)


@sandbox_app.command("create-group")
def create_group(
    owner: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()] = "",
    customer: Annotated[list[str] | None, typer.Option(help="external_userid, repeatable")] = None,
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """A staff member creates a customer group."""
    body = {"corp_id": corp_id, "owner": owner, "name": name, "customers": customer or []}
    _call("POST", url, "/sandbox/simulate/create_group", body)


@sandbox_app.command("join-group")
def join_group(
    chat_id: Annotated[str, typer.Option()],
    external_userid: Annotated[str, typer.Option()] = "",
    customer_name: Annotated[str, typer.Option(help="a new customer")] = "",
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """A customer joins a customer group (scanning its QR code)."""
    body: dict[str, Any] = {"corp_id": corp_id, "chat_id": chat_id}
    if customer_name:
        body["customer"] = {"name": customer_name}
    else:
        body["external_userid"] = external_userid
    _call("POST", url, "/sandbox/simulate/join_group", body)


@sandbox_app.command("leave-group")
def leave_group(
    chat_id: Annotated[str, typer.Option()],
    external_userid: Annotated[str, typer.Option()],
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """A customer leaves a customer group."""
    body = {"corp_id": corp_id, "chat_id": chat_id, "external_userid": external_userid}
    _call("POST", url, "/sandbox/simulate/leave_group", body)


@sandbox_app.command()
def effects(
    kind: Annotated[str, typer.Option(help="welcome, mass_message, mark_tag, …")] = "",
    corp_id: Corp = DEMO_CORP.corp_id,
    url: Url = "",
) -> None:
    """What WeCom did on its side (welcome messages, mass messages, tag writes, …)."""
    _call("GET", url, "/sandbox/inspect/effects", corp_id=corp_id, kind=kind)


@sandbox_app.command()
def callbacks(status: Annotated[str, typer.Option()] = "", url: Url = "") -> None:
    """Callback deliveries and their attempts."""
    _call("GET", url, "/sandbox/inspect/callbacks", status=status)


@sandbox_app.command()
def counters(url: Url = "") -> None:
    """API calls per path."""
    _call("GET", url, "/sandbox/inspect/counters")


@sandbox_app.command()
def faults(
    spec: Annotated[
        str,
        typer.Argument(
            help='JSON, e.g. \'{"errors": [{"path": "externalcontact/*", "errcode": -1, '
            '"times": 2}], "latency_ms": {"*": 300}}\'; "reset" clears; empty shows'
        ),
    ] = "",
    url: Url = "",
) -> None:
    """Show, set or reset the fault switches."""
    if not spec:
        _call("GET", url, "/sandbox/faults")
    elif spec == "reset":
        _call("DELETE", url, "/sandbox/faults")
    else:
        _call("PUT", url, "/sandbox/faults", json.loads(spec))


@sandbox_app.command("expire-tokens")
def expire_tokens(url: Url = "") -> None:
    """Invalidate every access token now (the next call gets 42001)."""
    _call("POST", url, "/sandbox/faults/expire_tokens")


@sandbox_app.command()
def clock(
    advance: Annotated[float, typer.Option(help="Seconds to move the clock forward")] = 0,
    url: Url = "",
) -> None:
    """Show or move the sandbox clock (welcome codes, tokens, transfers, media)."""
    if advance:
        _call("POST", url, "/sandbox/clock", {"advance_seconds": advance})
    else:
        _call("GET", url, "/sandbox/clock")
