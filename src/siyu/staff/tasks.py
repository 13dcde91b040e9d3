"""The staff sync: read the directory from WeCom (no transaction held), then apply it in one."""

from __future__ import annotations

from huey import crontab
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.config import get_settings
from siyu.db import Database, utcnow
from siyu.jobs import Job, every, io_job, job, renew, submit
from siyu.staff import events as _events  # noqa: F401 - registers the callback handler
from siyu.staff import service
from siyu.wecom import service as wecom
from siyu.wecom.models import WeComConnection

ROOT_DEPARTMENT = 1


@io_job(service.SYNC_JOB, max_attempts=6)
def sync_staff(database: Database, job_row: Job) -> None:
    tenant_id = job_row.payload["tenant_id"]
    with database.factory() as session:
        connection = wecom.get(session, tenant_id)
        if connection is None:
            return  # disconnected since: nothing to mirror
        session.expunge(connection)
    settings = get_settings()
    contact = wecom.client(database, settings, connection)
    # The self-built app (when set) reads the directory; customer contact reads who may add.
    org = wecom.client(database, settings, connection, app=True) if connection.agent_id else contact
    departments = org.list_departments()
    renew(database, job_row)
    ids = {d.id for d in departments}
    # user/list with fetch_child from each top department the app can see.
    roots = sorted(d.id for d in departments if d.parentid not in ids) or [ROOT_DEPARTMENT]
    members = [member for root in roots for member in org.list_members(root)]
    renew(database, job_row)
    directory = service.Directory(departments, members, set(contact.get_follow_user_list()))
    with database.transaction() as session:
        service.apply(session, tenant_id, directory, utcnow())


@job("staff.sync_all", max_attempts=3)
def sync_every_tenant(session: Session, job_row: Job) -> None:
    """Nightly: one sync per connected tenant (keyed per day, so once a day whatever happens)."""
    day = utcnow().date().isoformat()
    for tenant_id in session.scalars(select(WeComConnection.tenant_id)):
        key = f"staff-sync:{tenant_id}:{day}"
        submit(session, service.SYNC_JOB, {"tenant_id": tenant_id}, tenant_id=tenant_id, key=key)


every(crontab(hour="19", minute="30"), "staff.sync_all")  # 03:30 China time
