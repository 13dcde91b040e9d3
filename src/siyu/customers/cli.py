"""``siyu customers …``: the full sync and spreadsheet imports from the command line, with
progress bars. Both run here, in this process; a worker running at the same time cannot take the
same job twice (jobs are claimed atomically), so whichever claims it does the work and the bar
follows the stored progress either way."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy import select

customers_app = typer.Typer(
    help="Customers: sync from WeCom, import from Excel/CSV.", no_args_is_help=True
)
console = Console()

TenantOption = Annotated[str, typer.Option("--tenant", help="Tenant slug")]


def _tenant_id(slug: str) -> int:
    from siyu.db import get_database
    from siyu.tenants import repository

    with get_database().factory() as session:
        tenant = repository.get_by_slug(session, slug)
        if tenant is None:
            console.print(f"[red]no tenant {slug}[/]")
            raise typer.Exit(1)
        return tenant.id


def _run_in_background(job_id: int) -> threading.Thread:
    from siyu import jobs
    from siyu.db import get_database

    thread = threading.Thread(target=jobs.run_job, args=(get_database(), job_id), daemon=True)
    thread.start()
    return thread


def _job_id(kind: str, key: str) -> int:
    from siyu.db import get_database
    from siyu.jobs import Job

    with get_database().factory() as session:
        found = session.scalar(select(Job.id).where(Job.kind == kind, Job.key == key))
        assert found is not None
        return found


@customers_app.command("sync")
def sync(tenant: TenantOption) -> None:
    """Read every customer of every staff account from WeCom (resumes a sync under way)."""
    from siyu import jobs
    from siyu.customers import service
    from siyu.customers.models import CustomerSyncRun
    from siyu.db import get_database

    jobs.load_task_modules()
    database = get_database()
    tenant_id = _tenant_id(tenant)
    with database.transaction() as session:
        run_id = service.start_sync(session, tenant_id).id
    worker = _run_in_background(_job_id(service.SYNC_JOB, f"customer-sync:{run_id}"))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("员工 staff", total=None)
        while True:
            with database.factory() as session:
                run = session.get(CustomerSyncRun, run_id)
                assert run is not None
                staff = len(run.userids)
                done = min(staff, run.batch * 100)
                progress.update(
                    task,
                    total=staff or None,
                    completed=done,
                    description=f"员工 staff · {run.follows_seen:,} 好友关系 friendships",
                )
                if run.state != "running":
                    break
            if not worker.is_alive() and run.state == "running":
                time.sleep(2)  # a worker elsewhere holds it: follow its progress
            time.sleep(0.5)
    if run.state != "done":
        console.print(f"[red]sync {run.state}[/] {run.error}")
        raise typer.Exit(1)
    console.print(
        f"[green]done[/]: {run.follows_seen:,} friendships, {run.customers_new:,} new customers, "
        f"{run.removed:,} gone, {run.pages:,} pages"
    )


@customers_app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    tenant: TenantOption,
    column: Annotated[
        list[str] | None,
        typer.Option("--map", help="Column=field, e.g. 手机=phone or 尺码=custom:尺码"),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Start without asking")] = False,
) -> None:
    """Import customers from an .xlsx or .csv: shows the column mapping, then imports with a
    progress bar and writes the rejected rows next to the file."""
    from siyu import jobs
    from siyu.config import get_settings
    from siyu.customers import imports
    from siyu.customers.models import CustomerImport
    from siyu.db import get_database
    from siyu.sheets import importing

    jobs.load_task_modules()
    database = get_database()
    tenant_id = _tenant_id(tenant)
    with path.open("rb") as source:
        stored = importing.store_upload(source, path.name, get_settings().var_dir, tenant_id)
    with database.transaction() as session:
        imp = imports.create(
            session, tenant_id, filename=path.name, stored=stored, member_id=None, locale="zh-CN"
        )
        mapping = dict(imp.mapping)
        for pair in column or []:
            header, _, field = pair.partition("=")
            mapping[header.strip()] = field.strip()
        imports.set_mapping(session, imp, {h: f for h, f in mapping.items() if f}, [])
        import_id = imp.id
    table = Table("列 column", "字段 field")
    for header in imp.headers:
        table.add_row(header, mapping.get(header, "[dim]—[/]"))
    console.print(table)
    if not yes and not typer.confirm("开始导入？ Start the import?", default=True):
        raise typer.Exit(1)
    with database.transaction() as session:
        stored_import = session.get(CustomerImport, import_id)
        assert stored_import is not None
        imports.start(session, stored_import)
    worker = _run_in_background(_job_id(imports.IMPORT_JOB, f"customer-import:{import_id}"))
    columns = (
        TextColumn("行 rows"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=imp.rows_hint)
        while True:
            with database.factory() as session:
                current = session.get(CustomerImport, import_id)
                assert current is not None
                progress.update(task, completed=current.rows_read)
                if current.state != "running":
                    break
            time.sleep(0.5 if worker.is_alive() else 2)
    console.print(
        f"[green]{current.state}[/]: {current.created:,} created, {current.updated:,} updated, "
        f"{current.unchanged:,} unchanged, {current.rejected:,} rows rejected"
    )
    if current.rejected:
        report = path.with_name(f"{path.stem}-rejected.xlsx")
        with database.factory() as session:
            imports.write_report(session, import_id, report, "zh-CN")
        console.print(f"rejected rows: {report}")
