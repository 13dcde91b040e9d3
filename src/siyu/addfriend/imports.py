"""Reading an add-friend list's file into tasks, with the rules of the customer import: map
columns to fields, check every row (a bad one is reported by row and column), apply the valid
ones in chunks, each one transaction that also records progress, so a restart resumes.

A number is dropped (and counted) when it is already a customer's who is someone's friend
(已是客户, by the keyed phone hash), when it came earlier in the same list, or when it is open in
another list. The rest become tasks handed out evenly to the list's accounts and planned by day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.addfriend import repository, service
from siyu.addfriend.errors import ListStarted
from siyu.addfriend.models import (
    ACTIVE,
    DRAFT,
    IMPORTING,
    PENDING,
    AddFriendList,
    AddFriendReject,
    AddFriendTask,
)
from siyu.customers import imports as customer_imports
from siyu.customers import phones
from siyu.db import Database, utcnow
from siyu.i18n import Locale
from siyu.sheets import ColumnMap, RequiredFieldUnmapped, importing, suggest_mapping
from siyu.sheets.importing import Problem

IMPORT_JOB = "addfriend.import"
TASKS = cast(Table, AddFriendTask.__table__)
REJECTS = cast(Table, AddFriendReject.__table__)

# Field → column names it is usually found under, most telling first.
FIELDS: dict[str, list[str]] = {
    "phone": customer_imports.FIELDS["phone"],
    "name": [*customer_imports.FIELDS["name"], "称呼"],
    "note": ["备注", "说明", "note", "notes"],
    "userid": ["指定员工", "员工账号", "归属员工", "跟进人", "导购", "userid", "staff"],
    "source": ["来源", "来源渠道", "渠道", "source", "channel"],
}
LIMITS = {"name": 100, "note": 500, "source": 64}
REASONS: dict[str, dict[Locale, str]] = {
    **customer_imports.REASONS,
    "no_phone": {"zh-CN": "缺少手机号", "en": "the phone number is missing"},
    "staff_left": {"zh-CN": "该员工已离职", "en": "this staff member has left"},
}


def column_map(headers: Sequence[str], mapping: dict[str, str]) -> ColumnMap:
    return ColumnMap(mapping, headers=headers, fields=FIELDS, required=["phone"])


@dataclass
class Row:
    number: int
    phone: str = ""
    name: str = ""
    note: str = ""
    userid: str | None = None
    source: str = ""


def check(
    number: int,
    values: dict[str, str],
    *,
    columns: ColumnMap,
    staff: dict[str, str],
    locale: Locale,
) -> tuple[Row | None, list[Problem]]:
    """One mapped row → a :class:`Row`, or the problems that reject it (every bad cell).
    ``staff`` maps each account of the tenant to its status."""
    row = Row(number)
    problems: list[Problem] = []

    def bad(name: str, raw: str, key: str, **params: Any) -> None:
        column = columns.column_for(name) or name
        problems.append(Problem(number, column, raw, REASONS[key][locale].format(**params)))

    for name, raw in values.items():
        text = raw.strip()
        if not text:
            continue
        if name in LIMITS and len(text) > LIMITS[name]:
            bad(name, raw, "too_long", n=LIMITS[name])
        elif name == "phone":
            try:
                row.phone = phones.normalise(text)
            except phones.BadPhone:
                bad(name, raw, "bad_phone")
        elif name == "userid":
            if text not in staff:
                bad(name, raw, "unknown_staff")
            elif staff[text] != "active":
                bad(name, raw, "staff_left")
            else:
                row.userid = text
        else:
            setattr(row, name, text)
    if not values.get("phone", "").strip():
        bad("phone", "", "no_phone")
    return (None, problems) if problems else (row, [])


def _check(session: Session, target: AddFriendList, locale: Locale) -> importing.Check[Row]:
    staff = repository.staff_statuses(session, target.tenant_id)
    columns = column_map(target.headers, target.mapping)
    return partial(check, columns=columns, staff=staff, locale=locale)


def _locale(target: AddFriendList) -> Locale:
    return "en" if target.locale == "en" else "zh-CN"


def preview(session: Session, target: AddFriendList, locale: Locale) -> list[dict[str, Any]]:
    columns = column_map(target.headers, target.mapping)
    return importing.preview(
        Path(target.stored_path), target.filename, columns, _check(session, target, locale)
    )


# --- the list's life: upload, map, start ------------------------------------------------------


def create(
    session: Session,
    tenant_id: int,
    *,
    filename: str,
    stored: Path,
    member_id: int | None,
    locale: Locale,
) -> AddFriendList:
    """A draft list from an uploaded file, its columns mapped as their names suggest."""
    info = importing.inspect(stored, filename)
    target = AddFriendList(
        tenant_id=tenant_id,
        name=Path(filename).stem[:100] or filename[:100],
        state=DRAFT,
        filename=filename[:255],
        stored_path=str(stored),
        sha256=info.sha256,
        format=info.format,
        size=info.size,
        headers=info.headers,
        mapping=suggest_mapping(info.headers, FIELDS),
        rows_hint=info.rows_hint,
        locale=locale,
        greeting=service.DEFAULT_GREETING,
        created_by=member_id,
    )
    session.add(target)
    session.flush()
    return target


def set_mapping(target: AddFriendList, mapping: dict[str, str]) -> None:
    if target.state != DRAFT:
        raise ListStarted
    column_map(target.headers, mapping)  # a clear error for a bad mapping
    target.mapping = dict(mapping)


def set_handout(
    session: Session,
    target: AddFriendList,
    *,
    userids: list[str] | None = None,
    store_ids: list[int] | None = None,
    start_day: dt.date | None = None,
) -> None:
    """Who takes the tasks and from which day: chosen until the list starts."""
    if target.state != DRAFT:
        raise ListStarted
    if userids is not None:
        target.userids = service.on_the_staff(session, target.tenant_id, userids)
    if store_ids is not None:
        target.store_ids = list(dict.fromkeys(store_ids))
    if start_day is not None:
        target.start_day = start_day


def start(session: Session, target: AddFriendList) -> None:
    """Read the file into tasks: the accounts are fixed now (the stores' staff among them)."""
    if target.state != DRAFT:
        raise ListStarted
    if "phone" not in target.mapping.values():
        raise RequiredFieldUnmapped(field="phone")
    column_map(target.headers, target.mapping)
    target.userids = service.resolve_staff(
        session, target.tenant_id, target.userids, target.store_ids
    )
    target.start_day = max(target.start_day or service.today(), service.today())
    target.state, target.started_at = IMPORTING, utcnow()
    jobs.submit(
        session,
        IMPORT_JOB,
        {"tenant_id": target.tenant_id, "list_id": target.id},
        tenant_id=target.tenant_id,
        key=f"add-friend-import:{target.id}",
    )


@dataclass
class Dropped:
    duplicates: int = 0
    existing_customers: int = 0
    open_elsewhere: int = 0


def apply_rows(
    session: Session,
    target: AddFriendList,
    rows: Sequence[Row],
    assigner: service.Assigner,
    *,
    now: dt.datetime,
) -> tuple[list[dict[str, Any]], Dropped]:
    """Insert tasks for the chunk's numbers not dropped; returns them and what was dropped."""
    dropped = Dropped()
    hashes = {r.phone: phones.lookup_hash(r.phone) for r in rows}
    if not hashes:
        return [], dropped
    values = set(hashes.values())
    in_list = repository.hashes_in_list(session, target.tenant_id, target.id, values)
    friends = repository.hashes_of_friends(session, target.tenant_id, values)
    elsewhere = repository.open_hashes(session, target.tenant_id, values)
    tasks: list[dict[str, Any]] = []
    for row in rows:
        phone_hash = hashes[row.phone]
        if phone_hash in in_list:
            dropped.duplicates += 1
            continue
        in_list.add(phone_hash)
        if phone_hash in friends:
            dropped.existing_customers += 1
        elif phone_hash in elsewhere:
            dropped.open_elsewhere += 1
        else:
            tasks.append(
                {
                    "tenant_id": target.tenant_id,
                    "list_id": target.id,
                    "row": row.number,
                    "phone_hash": phone_hash,
                    "sealed": phones.seal(row.phone),
                    "masked": phones.masked(row.phone),
                    "name": row.name,
                    "note": row.note,
                    "source": row.source,
                    "userid": assigner.pick(row.userid),
                    "due_day": None,
                    "state": PENDING,
                    "skip_reason": "",
                    "skip_note": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
    if tasks:
        session.execute(TASKS.insert(), tasks)
    return tasks, dropped


def run(database: Database, list_id: int, *, fence: Callable[[Session], None]) -> None:
    """Read the rows not done yet, a chunk per transaction fenced by the job's lease; stops when
    the list is cancelled meanwhile."""
    with database.factory() as session:
        target = session.get(AddFriendList, list_id)
        if target is None or target.state != IMPORTING:
            return
        session.expunge(target)
        check_row = _check(session, target, _locale(target))
        assigner = service.Assigner(target.userids, repository.load_in_list(session, list_id))
    columns = column_map(target.headers, target.mapping)
    full: set[str] = set()
    for number, chunk in enumerate(
        importing.chunks(
            Path(target.stored_path),
            target.filename,
            columns,
            check_row,
            _locale(target),
            after_row=target.last_row,
        ),
        start=1,
    ):
        with database.transaction() as session:
            fence(session)
            if number & (number - 1) == 0:  # the 1st, 2nd, 4th, 8th … chunk
                repository.refresh_statistics(session)
            stored = session.get(AddFriendList, list_id)
            assert stored is not None
            if stored.state != IMPORTING:
                return  # cancelled meanwhile
            tasks, dropped = apply_rows(session, stored, chunk.rows, assigner, now=utcnow())
            named = {t["userid"] for t in tasks} - set(stored.userids)
            if named:  # accounts the file names per row work the list too (nightly planning)
                stored.userids = [*stored.userids, *sorted(named)]
            if chunk.problems:
                session.execute(
                    REJECTS.insert(),
                    importing.reject_rows(stored.tenant_id, {"list_id": list_id}, chunk.problems),
                )
            stored.rows_read += chunk.read
            stored.last_row = chunk.last_row
            stored.added += len(tasks)
            stored.duplicates += dropped.duplicates
            stored.existing_customers += dropped.existing_customers
            stored.open_elsewhere += dropped.open_elsewhere
            stored.rejected += chunk.rejected
            session.flush()
            # An account whose week ahead is full stays full while the file is read (its days
            # free up with the nightly planning), so later chunks skip it.
            touched = {t["userid"] for t in tasks} - full
            planned = service.plan(session, stored.tenant_id, touched, day=service.today())
            full |= {u for u in touched if not planned.get(u)}
    with database.transaction() as session:
        fence(session)
        stored = session.get(AddFriendList, list_id)
        assert stored is not None
        if stored.state == IMPORTING:
            stored.state, stored.imported_at = ACTIVE, utcnow()


def write_report(session: Session, list_id: int, target: Path, locale: Locale) -> int:
    """The rejected cells as .xlsx, streamed from the database in row order."""
    rows = (
        (r.row, r.column, r.value, r.reason)
        for r in session.execute(
            select(
                AddFriendReject.row,
                AddFriendReject.column,
                AddFriendReject.value,
                AddFriendReject.reason,
            )
            .where(AddFriendReject.list_id == list_id)
            .order_by(AddFriendReject.row, AddFriendReject.id)
            .execution_options(yield_per=2000)
        )
    )
    return importing.write_report(target, rows, locale)
