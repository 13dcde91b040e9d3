"""Importing customers from .xlsx and .csv: map columns to fields, check every row, apply valid
rows in chunks (each chunk one transaction that also records progress and rejected cells), and
report the rest by row and column. Customers are matched by external id, then by phone (keyed
hash), so importing the same file again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers import phones, timeline
from siyu.customers.errors import ImportStarted
from siyu.customers.models import Customer, CustomerImport, CustomerPhone, ImportReject
from siyu.customers.service import CUSTOMERS, PHONES
from siyu.db import Database, insert_rows_ignoring, utcnow
from siyu.errors import NotFound
from siyu.i18n import Locale
from siyu.segments import changes as audience
from siyu.sheets import ColumnMap, RequiredFieldUnmapped, importing, suggest_mapping
from siyu.sheets.importing import Problem
from siyu.staff.models import StaffAccount
from siyu.tags.models import Tag, TagGroup
from siyu.tags.service import tag_customers

CUSTOM = "custom:"

# Field → column names it is usually found under, most telling first.
FIELDS: dict[str, list[str]] = {
    "external_userid": [
        "external_userid",
        "外部联系人ID",
        "客户ID",
        "企微客户ID",
        "externaluserid",
    ],
    "name": ["姓名", "客户姓名", "客户名称", "名字", "昵称", "name"],
    "phone": ["手机号", "手机号码", "手机", "联系电话", "电话", "phone", "mobile"],
    "gender": ["性别", "gender"],
    "birthday": ["生日", "出生日期", "birthday"],
    "city": ["城市", "所在城市", "city"],
    "member_level": ["会员等级", "等级", "member_level", "level"],
    "preferences": ["偏好", "喜好", "preferences"],
    "follow_up_days": ["跟进周期", "回访周期", "跟进周期天", "follow_up_days"],
    "owner_userid": ["归属员工", "跟进人", "负责人", "员工账号", "owner_userid", "owner"],
    "source_channel": ["来源渠道", "渠道", "来源", "source_channel", "channel"],
    "notes": ["备注", "notes", "note"],
    "tags": ["标签", "tags"],
}
PROFILE = ("city", "member_level", "preferences", "source_channel", "notes")
EXTERNAL_ID = re.compile(r"w[mo][A-Za-z0-9_-]{8,62}")
TAG_SPLIT = re.compile(r"[,，、;；|\s]+")
GENDERS = {"男": 1, "male": 1, "m": 1, "1": 1, "女": 2, "female": 2, "f": 2, "2": 2}
GENDERS |= {"未知": 0, "unknown": 0, "0": 0, "": 0}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class _Fields(frozenset[str]):
    """The importable fields, plus any ``custom:<name>`` (a tenant's own field)."""

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str) and item.startswith(CUSTOM) and 0 < len(item) - 7 <= 40:
            return True
        return super().__contains__(item)


FIELD_SET = _Fields(FIELDS)

REASONS: dict[str, dict[Locale, str]] = {
    "no_key": {
        "zh-CN": "需要外部联系人ID、手机号或姓名之一",
        "en": "needs an external id, a phone or a name",
    },
    "bad_external_id": {"zh-CN": "不是企业微信的外部联系人ID", "en": "not a WeCom external id"},
    "bad_phone": {"zh-CN": "不是有效的手机号", "en": "not a valid phone number"},
    "bad_gender": {"zh-CN": "性别应为 男/女/未知", "en": "gender must be male, female or unknown"},
    "bad_date": {"zh-CN": "日期格式应为 2024-05-01", "en": "dates look like 2024-05-01"},
    "bad_days": {"zh-CN": "应为 1 到 365 的整数", "en": "a whole number from 1 to 365"},
    "unknown_staff": {"zh-CN": "没有这个员工账号", "en": "no staff account with this userid"},
    "unknown_tag": {"zh-CN": "标签不存在：{tag}", "en": "no such tag: {tag}"},
    "too_long": {"zh-CN": "超过 {n} 个字", "en": "longer than {n} characters"},
}
LIMITS = {"name": 100, "city": 50, "member_level": 30, "preferences": 500, "source_channel": 64}
LIMITS |= {"notes": 5000}


def reason(key: str, locale: Locale, **params: Any) -> str:
    return REASONS[key][locale].format(**params)


def suggest(headers: Sequence[str]) -> dict[str, str]:
    return suggest_mapping(headers, FIELDS)


def column_map(headers: Sequence[str], mapping: dict[str, str]) -> ColumnMap:
    return ColumnMap(mapping, headers=headers, fields=FIELD_SET)


@dataclass
class Row:
    number: int
    external_userid: str | None = None
    phone: str | None = None
    name: str = ""
    gender: int | None = None
    birthday: dt.date | None = None
    follow_up_days: int | None = None
    owner_userid: str | None = None
    profile: dict[str, str] = field(default_factory=dict)
    custom: dict[str, str] = field(default_factory=dict)
    tag_ids: list[int] = field(default_factory=list)


@dataclass
class Lookups:
    """What row checks need from the database, loaded once per import."""

    staff: set[str]
    tags: dict[str, int]  # "tag" and "group/tag" → id; an ambiguous bare name maps to -1

    @classmethod
    def load(cls, session: Session, tenant_id: int) -> Lookups:
        staff = set(
            session.scalars(select(StaffAccount.userid).where(StaffAccount.tenant_id == tenant_id))
        )
        tags: dict[str, int] = {}
        for tag_id, name, group in session.execute(
            select(Tag.id, Tag.name, TagGroup.name)
            .join(TagGroup, TagGroup.id == Tag.group_id)
            .where(Tag.tenant_id == tenant_id, Tag.deleting.is_(False))
        ).all():
            tags[f"{group}/{name}"] = tag_id
            tags[name] = -1 if name in tags and tags[name] != tag_id else tag_id
        return cls(staff, tags)


def _date(text: str) -> dt.date | None:
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


# Each field's parser sets it on the row, or answers (reason key, params) for a bad cell.
Failure = tuple[str, dict[str, Any]] | None


def _external_id(row: Row, text: str, _: Lookups) -> Failure:
    if not EXTERNAL_ID.fullmatch(text):
        return "bad_external_id", {}
    row.external_userid = text
    return None


def _phone(row: Row, text: str, _: Lookups) -> Failure:
    try:
        row.phone = phones.normalise(text)
    except phones.BadPhone:
        return "bad_phone", {}
    return None


def _name(row: Row, text: str, _: Lookups) -> Failure:
    row.name = text
    return None


def _gender(row: Row, text: str, _: Lookups) -> Failure:
    if text.casefold() not in GENDERS:
        return "bad_gender", {}
    row.gender = GENDERS[text.casefold()]
    return None


def _birthday(row: Row, text: str, _: Lookups) -> Failure:
    row.birthday = _date(text)
    return ("bad_date", {}) if row.birthday is None else None


def _days(row: Row, text: str, _: Lookups) -> Failure:
    if not (text.isdigit() and 1 <= int(text) <= 365):
        return "bad_days", {}
    row.follow_up_days = int(text)
    return None


def _owner(row: Row, text: str, lookups: Lookups) -> Failure:
    if text not in lookups.staff:
        return "unknown_staff", {}
    row.owner_userid = text
    return None


def _tags(row: Row, text: str, lookups: Lookups) -> Failure:
    for tag in (t for t in TAG_SPLIT.split(text) if t):
        tag_id = lookups.tags.get(tag, -1)
        if tag_id < 0:
            return "unknown_tag", {"tag": tag}
        if tag_id not in row.tag_ids:
            row.tag_ids.append(tag_id)
    return None


PARSERS = {
    "external_userid": _external_id,
    "phone": _phone,
    "name": _name,
    "gender": _gender,
    "birthday": _birthday,
    "follow_up_days": _days,
    "owner_userid": _owner,
    "tags": _tags,
}


def check(
    number: int, values: dict[str, str], columns: ColumnMap, lookups: Lookups, locale: Locale
) -> tuple[Row | None, list[Problem]]:
    """One mapped row → a :class:`Row`, or the problems that reject it (every bad cell)."""
    row = Row(number)
    problems: list[Problem] = []
    for name, raw in values.items():
        text = raw.strip()
        if not text:
            continue
        failure: Failure
        if name in LIMITS and len(text) > LIMITS[name]:
            failure = "too_long", {"n": LIMITS[name]}
        elif name in PARSERS:
            failure = PARSERS[name](row, text, lookups)
        elif name.startswith(CUSTOM):
            row.custom[name.removeprefix(CUSTOM)], failure = text[:500], None
        else:
            row.profile[name], failure = text, None
        if failure is not None:
            column = columns.column_for(name) or name
            problems.append(Problem(number, column, raw, reason(failure[0], locale, **failure[1])))
    if not (row.external_userid or row.phone or row.name) and not problems:
        problems.append(Problem(number, "", "", reason("no_key", locale)))
    return (None, problems) if problems else (row, [])


@dataclass
class ChunkResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def apply_rows(
    session: Session,
    tenant_id: int,
    rows: Sequence[Row],
    *,
    source_key: str,
    actor: str,
    now: dt.datetime,
) -> ChunkResult:
    """Apply checked rows: match by external id, then phone; create or update; add phones and
    tags; one ``imported`` timeline line per customer and file."""
    result = ChunkResult()
    if not rows:
        return result
    hashes = {r.phone: phones.lookup_hash(r.phone) for r in rows if r.phone}
    by_ext, by_hash, by_id = _known(session, tenant_id, rows, hashes)
    touched: list[tuple[Row, Customer]] = []
    before: dict[int, dict[str, Any]] = {}  # each matched customer as the chunk found it
    new: list[Customer] = []  # made by this chunk, inserted together below
    for row in rows:
        customer = _match(row, by_ext, by_hash, by_id, hashes)
        if customer is not None and customer.status == "erased":
            result.unchanged += 1
            continue
        if customer is None:
            customer = _blank(tenant_id, row, now)
            new.append(customer)
            if row.external_userid:
                by_ext[row.external_userid] = customer
            if row.phone:
                by_hash[hashes[row.phone]] = -len(new)  # a placeholder id until inserted
                by_id[-len(new)] = customer
        elif customer.id is not None:
            before.setdefault(customer.id, _state(customer))
        _fill(customer, row)
        touched.append((row, customer))
    if new:
        columns = [c.key for c in CUSTOMERS.columns if c.key != "id"]
        ids = session.execute(
            CUSTOMERS.insert().returning(CUSTOMERS.c.id, sort_by_parameter_order=True),
            [{k: getattr(c, k) for k in columns} for c in new],
        ).scalars()
        for customer, new_id in zip(new, ids, strict=True):
            customer.id = new_id
    created = {c.id for c in new}
    # Counted per customer against how the chunk found it: two rows for one person (the same
    # phone twice in a file) leave one change, and a file imported again leaves none.
    result.created = len(created)
    for customer in {c.id: c for _, c in touched if c.id not in created}.values():
        if _state(customer) != before[customer.id]:
            customer.updated_at = now
            result.updated += 1
        else:
            result.unchanged += 1
    session.flush()
    _attach(session, tenant_id, touched, hashes, source_key=source_key, actor=actor, now=now)
    audience.touch(session, tenant_id, [c.id for _, c in touched if c.id is not None])
    return result


def _attach(
    session: Session,
    tenant_id: int,
    touched: list[tuple[Row, Customer]],
    hashes: dict[str, str],
    *,
    source_key: str,
    actor: str,
    now: dt.datetime,
) -> None:
    """Phones, tags and the timeline line of the customers a chunk touched."""
    phone_rows = [
        {
            "tenant_id": tenant_id,
            "customer_id": customer.id,
            "phone_hash": hashes[row.phone],
            "sealed": phones.seal(row.phone),
            "masked": phones.masked(row.phone),
            "source": "import",
        }
        for row, customer in touched
        if row.phone
    ]
    if phone_rows:
        unique = ["tenant_id", "customer_id", "phone_hash"]
        insert_rows_ignoring(session, PHONES, unique, phone_rows)
    by_tags: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for row, customer in touched:
        if row.tag_ids:
            by_tags[tuple(row.tag_ids)].append(customer.id)
    for tag_ids, customer_ids in by_tags.items():
        tag_customers(
            session,
            tenant_id,
            customer_ids,
            add=tag_ids,
            actor=actor,
            source="import",
            now=now,
            known_customers=True,
        )
    timeline.append_many(
        session,
        tenant_id,
        [
            timeline.Entry(
                customer.id,
                "imported",
                now,
                actor,
                {"row": row.number},
                key=f"imported:{source_key}:{customer.id}",
            )
            for row, customer in touched
        ],
    )


def _known(
    session: Session, tenant_id: int, rows: Sequence[Row], hashes: dict[str, str]
) -> tuple[dict[str | None, Customer], dict[str, int], dict[int, Customer]]:
    """The customers a chunk's rows name: by external id, by phone hash, and by id."""
    by_ext = {
        c.external_userid: c
        for c in session.scalars(
            select(Customer).where(
                Customer.tenant_id == tenant_id,
                Customer.external_userid.in_(
                    [r.external_userid for r in rows if r.external_userid]
                ),
            )
        )
    }
    by_hash: dict[str, int] = {}
    if hashes:
        # No ORDER BY in SQL: with one, PostgreSQL walks the primary key over the whole table
        # instead of probing the lookup index; the oldest match wins, sorted here.
        found = session.execute(
            select(CustomerPhone.id, CustomerPhone.phone_hash, CustomerPhone.customer_id).where(
                CustomerPhone.tenant_id == tenant_id,
                CustomerPhone.phone_hash.in_(list(hashes.values())),
            )
        ).all()
        for _, phone_hash, customer_id in sorted(found):
            by_hash.setdefault(phone_hash, customer_id)
    by_id = {
        c.id: c
        for c in session.scalars(select(Customer).where(Customer.id.in_(set(by_hash.values()))))
    } | {c.id: c for c in by_ext.values()}
    return by_ext, by_hash, by_id


def _blank(tenant_id: int, row: Row, now: dt.datetime) -> Customer:
    """A customer known from an import only (not yet anyone's friend), not yet in the session."""
    return Customer(
        tenant_id=tenant_id,
        external_userid=row.external_userid,
        name=row.name,
        type=1,
        gender=0,
        avatar="",
        unionid="",
        corp_name="",
        birthday=None,
        city="",
        member_level="",
        preferences="",
        follow_up_days=None,
        owner_userid=None,
        store_id=None,
        source_channel="",
        notes="",
        custom={},
        status="lost",
        first_added_at=None,
        created_at=now,
        updated_at=now,
        erased_at=None,
    )


def _match(
    row: Row,
    by_ext: dict[str | None, Customer],
    by_hash: dict[str, int],
    by_id: dict[int, Customer],
    hashes: dict[str, str],
) -> Customer | None:
    if row.external_userid and row.external_userid in by_ext:
        return by_ext[row.external_userid]
    if row.phone and hashes[row.phone] in by_hash:
        return by_id.get(by_hash[hashes[row.phone]])
    return None


FILLED = ("name", "gender", "birthday", "follow_up_days", "owner_userid", "custom", *PROFILE)


def _state(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in FILLED}


def _fill(customer: Customer, row: Row) -> bool:
    """Set what the row holds (an empty cell leaves a field as it is); True if anything changed."""
    values: dict[str, Any] = dict(row.profile)
    if row.name and (not customer.name or not customer.external_userid):
        values["name"] = row.name  # WeCom's name wins for friends; imported people take the file's
    for name in ("gender", "birthday", "follow_up_days", "owner_userid"):
        if getattr(row, name) is not None:
            values[name] = getattr(row, name)
    if row.custom:
        merged = {**customer.custom, **row.custom}
        if merged != customer.custom:
            values["custom"] = merged
    changed = False
    for name, value in values.items():
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed = True
    return changed


# --- running an import -----------------------------------------------------------------------


@dataclass
class Progress:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0


def record_problems(
    session: Session, tenant_id: int, import_id: int, problems: Iterable[Problem]
) -> None:
    session.execute(
        ImportReject.__table__.insert(),  # type: ignore[attr-defined]
        importing.reject_rows(tenant_id, {"import_id": import_id}, problems),
    )


def _check(imp: CustomerImport, session: Session, locale: Locale) -> importing.Check[Row]:
    columns = column_map(imp.headers, imp.mapping)
    lookups = Lookups.load(session, imp.tenant_id)
    return partial(check, columns=columns, lookups=lookups, locale=locale)


def preview(
    session: Session, imp: CustomerImport, locale: Locale, limit: int = importing.PREVIEW_ROWS
) -> list[dict[str, Any]]:
    """The first rows as they would be imported, each with its problems."""
    columns = column_map(imp.headers, imp.mapping)
    return importing.preview(
        Path(imp.stored_path), imp.filename, columns, _check(imp, session, locale), limit
    )


def write_report(session: Session, import_id: int, target: Path, locale: Locale) -> int:
    """The rejected cells as .xlsx, streamed from the database in row order."""
    rows = (
        (r.row, r.column, r.value, r.reason)
        for r in session.execute(
            select(ImportReject.row, ImportReject.column, ImportReject.value, ImportReject.reason)
            .where(ImportReject.import_id == import_id)
            .order_by(ImportReject.row, ImportReject.id)
            .execution_options(yield_per=2000)
        )
    )
    return importing.write_report(target, rows, locale)


# --- the import's life: upload, map, start -----------------------------------------------------

IMPORT_JOB = "customers.import"


def create(
    session: Session,
    tenant_id: int,
    *,
    filename: str,
    stored: Path,
    member_id: int | None,
    locale: Locale,
) -> CustomerImport:
    """Register an uploaded file: read its header row (refusing what is not a sheet) and
    suggest a column mapping."""
    info = importing.inspect(stored, filename)
    imp = CustomerImport(
        tenant_id=tenant_id,
        filename=filename[:255],
        stored_path=str(stored),
        sha256=info.sha256,
        format=info.format,
        size=info.size,
        headers=info.headers,
        mapping=suggest(info.headers),
        rows_hint=info.rows_hint,
        created_by=member_id,
        locale=locale,
    )
    session.add(imp)
    session.flush()
    return imp


def set_mapping(
    session: Session, imp: CustomerImport, mapping: dict[str, str], tag_ids: list[int]
) -> None:
    if imp.state != "uploaded":
        raise ImportStarted
    column_map(imp.headers, mapping)  # raises a clear error for a bad mapping
    known = set(
        session.scalars(select(Tag.id).where(Tag.tenant_id == imp.tenant_id, Tag.id.in_(tag_ids)))
    )
    if set(tag_ids) - known:
        raise NotFound("tag")
    imp.mapping, imp.tag_ids = dict(mapping), list(dict.fromkeys(tag_ids))


def start(session: Session, imp: CustomerImport) -> None:
    if imp.state != "uploaded":
        raise ImportStarted
    column_map(imp.headers, imp.mapping)
    if not imp.mapping:
        raise RequiredFieldUnmapped(field="name / phone / external_userid")
    imp.state = "running"
    jobs.submit(
        session,
        IMPORT_JOB,
        {"tenant_id": imp.tenant_id, "import_id": imp.id},
        tenant_id=imp.tenant_id,
        key=f"customer-import:{imp.id}",
    )


def run(database: Database, import_id: int, *, fence: Callable[[Session], None]) -> None:
    """Import the rows not done yet, a chunk per transaction (fenced by ``fence``, the job's
    lease); a restart continues after the last chunk stored."""
    with database.factory() as session:
        imp = session.get(CustomerImport, import_id)
        if imp is None or imp.state != "running":
            return
        session.expunge(imp)
        locale: Locale = "en" if imp.locale == "en" else "zh-CN"
        check_row = _check(imp, session, locale)
    columns = column_map(imp.headers, imp.mapping)
    actor = f"import#{imp.id}"
    for chunk in importing.chunks(
        Path(imp.stored_path), imp.filename, columns, check_row, locale, after_row=imp.last_row
    ):
        for row in chunk.rows:
            row.tag_ids = list(dict.fromkeys(row.tag_ids + imp.tag_ids))
        with database.transaction() as session:
            fence(session)
            done = apply_rows(
                session, imp.tenant_id, chunk.rows, source_key=imp.sha256, actor=actor, now=utcnow()
            )
            if chunk.problems:
                record_problems(session, imp.tenant_id, imp.id, chunk.problems)
            stored = session.get(CustomerImport, imp.id)
            assert stored is not None
            stored.rows_read += chunk.read
            stored.last_row = chunk.last_row
            stored.created += done.created
            stored.updated += done.updated
            stored.unchanged += done.unchanged
            stored.rejected += chunk.rejected
    with database.transaction() as session:
        fence(session)
        stored = session.get(CustomerImport, imp.id)
        assert stored is not None
        stored.state, stored.finished_at = "done", utcnow()
