"""Tags: the corp tag mirror (two-way with WeCom) and customers' tags. Never commits.

Changes made in Siyu are rows first (``sync_state = pending``) and reach WeCom through the
``tags.sync`` job, which pushes what is pending and then pulls WeCom's list. Changes made in WeCom
arrive as ``change_external_tag`` callbacks and are pulled by the same job. When both sides
changed one tag, the later change wins: a pending Siyu edit older than WeCom's change is dropped.
Tagging a customer writes the tag row, a timeline line and one :class:`TagWrite` per friendship in
one transaction; ``tags.push_marks`` sends them to WeCom in batches.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, delete, func, select
from sqlalchemy.orm import Session

from siyu import jobs
from siyu.customers import timeline
from siyu.customers.models import FRIEND, Customer, Follow
from siyu.db import insert_rows_ignoring, utcnow
from siyu.errors import NotFound
from siyu.segments import changes as audience
from siyu.tags.errors import DuplicateTagName
from siyu.tags.models import (
    FAILED,
    PENDING,
    SYNCED,
    CustomerTag,
    Tag,
    TaggingRun,
    TagGroup,
    TagWrite,
)
from siyu.wecom import schemas

SYNC_JOB = "tags.sync"
PUSH_MARKS_JOB = "tags.push_marks"
CUSTOMER_TAGS = cast(Table, CustomerTag.__table__)
TAG_WRITES = cast(Table, TagWrite.__table__)


def request_sync(session: Session, tenant_id: int, reason: str = "") -> int:
    """A tags.sync job: requests made while one waits share it."""
    payload = {"tenant_id": tenant_id, "reason": reason}
    return jobs.submit_coalesced(session, SYNC_JOB, payload, tenant_id=tenant_id)


def request_push(session: Session, tenant_id: int) -> int:
    payload = {"tenant_id": tenant_id}
    return jobs.submit_coalesced(session, PUSH_MARKS_JOB, payload, tenant_id=tenant_id)


# --- the tag library -------------------------------------------------------------------------


def groups_with_tags(session: Session, tenant_id: int) -> list[tuple[TagGroup, list[Tag]]]:
    groups = list(
        session.scalars(
            select(TagGroup)
            .where(TagGroup.tenant_id == tenant_id, TagGroup.deleting.is_(False))
            .order_by(TagGroup.order.desc(), TagGroup.id)
        )
    )
    tags: dict[int, list[Tag]] = defaultdict(list)
    for tag in session.scalars(
        select(Tag)
        .where(Tag.tenant_id == tenant_id, Tag.deleting.is_(False))
        .order_by(Tag.order.desc(), Tag.id)
    ):
        tags[tag.group_id].append(tag)
    return [(g, tags[g.id]) for g in groups]


def tag_counts(session: Session, tenant_id: int) -> dict[int, int]:
    return dict(
        session.execute(
            select(CustomerTag.tag_id, func.count())
            .where(CustomerTag.tenant_id == tenant_id)
            .group_by(CustomerTag.tag_id)
        ).all()
    )


def _group(session: Session, tenant_id: int, group_id: int) -> TagGroup:
    group = session.get(TagGroup, group_id)
    if group is None or group.tenant_id != tenant_id or group.deleting:
        raise NotFound("tag_group")
    return group


def _tag(session: Session, tenant_id: int, tag_id: int) -> Tag:
    tag = session.get(Tag, tag_id)
    if tag is None or tag.tenant_id != tenant_id or tag.deleting:
        raise NotFound("tag")
    return tag


def create_group(
    session: Session, tenant_id: int, name: str, tag_names: list[str], order: int = 0
) -> TagGroup:
    if session.scalar(
        select(TagGroup.id).where(TagGroup.tenant_id == tenant_id, TagGroup.name == name)
    ):
        raise DuplicateTagName(name=name)
    group = TagGroup(tenant_id=tenant_id, name=name, order=order, sync_state=PENDING)
    session.add(group)
    session.flush()
    add_tags(session, tenant_id, group.id, tag_names)
    return group


def add_tags(session: Session, tenant_id: int, group_id: int, names: list[str]) -> list[Tag]:
    group = _group(session, tenant_id, group_id)
    taken = set(session.scalars(select(Tag.name).where(Tag.group_id == group.id)))
    new = []
    for name in dict.fromkeys(names):
        if name in taken:
            raise DuplicateTagName(name=name)
        tag = Tag(tenant_id=tenant_id, group_id=group.id, name=name, sync_state=PENDING)
        session.add(tag)
        new.append(tag)
    session.flush()
    request_sync(session, tenant_id, "siyu")
    return new


def edit_group(
    session: Session, tenant_id: int, group_id: int, *, name: str | None, order: int | None
) -> TagGroup:
    group = _group(session, tenant_id, group_id)
    if name is not None and name != group.name:
        if session.scalar(
            select(TagGroup.id).where(TagGroup.tenant_id == tenant_id, TagGroup.name == name)
        ):
            raise DuplicateTagName(name=name)
        group.name = name
    if order is not None:
        group.order = order
    group.sync_state, group.sync_error, group.updated_at = PENDING, "", utcnow()
    request_sync(session, tenant_id, "siyu")
    return group


def edit_tag(
    session: Session, tenant_id: int, tag_id: int, *, name: str | None, order: int | None
) -> Tag:
    tag = _tag(session, tenant_id, tag_id)
    if name is not None and name != tag.name:
        if session.scalar(select(Tag.id).where(Tag.group_id == tag.group_id, Tag.name == name)):
            raise DuplicateTagName(name=name)
        tag.name = name
    if order is not None:
        tag.order = order
    tag.sync_state, tag.sync_error, tag.updated_at = PENDING, "", utcnow()
    request_sync(session, tenant_id, "siyu")
    return tag


def delete_group(session: Session, tenant_id: int, group_id: int) -> None:
    group = _group(session, tenant_id, group_id)
    tags = list(session.scalars(select(Tag).where(Tag.group_id == group.id)))
    _forget(session, [t.id for t in tags])
    if group.wecom_id is None:
        session.delete(group)
        return
    group.deleting, group.sync_state = True, PENDING
    for tag in tags:
        tag.deleting = True
    request_sync(session, tenant_id, "siyu")


def delete_tag(session: Session, tenant_id: int, tag_id: int) -> None:
    tag = _tag(session, tenant_id, tag_id)
    _forget(session, [tag.id])
    if tag.wecom_id is None:
        session.delete(tag)
        return
    tag.deleting, tag.sync_state = True, PENDING
    request_sync(session, tenant_id, "siyu")


def _forget(session: Session, tag_ids: list[int]) -> None:
    """A deleted tag leaves customers at once; WeCom drops it from friendships itself."""
    if tag_ids:
        session.execute(delete(CustomerTag).where(CustomerTag.tag_id.in_(tag_ids)))


# --- WeCom's side ------------------------------------------------------------------------


def on_wecom_change(
    session: Session, tenant_id: int, wecom_id: str, change_type: str, at: dt.datetime
) -> None:
    """``change_external_tag``: resolve a conflict with a pending Siyu edit (the later change
    wins), then pull WeCom's list."""
    if change_type in ("update", "delete"):
        for model in (Tag, TagGroup):
            row = cast(
                Tag | TagGroup | None,
                session.scalar(
                    select(model).where(model.tenant_id == tenant_id, model.wecom_id == wecom_id)
                ),
            )
            if (
                row is not None
                and row.sync_state == PENDING
                and not row.deleting
                and (change_type == "delete" or row.updated_at <= at)
            ):
                row.sync_state = SYNCED  # WeCom's newer change wins; the pull brings it
    request_sync(session, tenant_id, f"wecom:{change_type}")


@dataclass
class PullCounts:
    added: int = 0
    updated: int = 0
    removed: int = 0


def apply_corp_tags(
    session: Session, tenant_id: int, groups: list[schemas.CorpTagGroup], now: dt.datetime
) -> PullCounts:
    """Take WeCom's list: new groups and tags appear, renamed ones follow, ones WeCom no longer
    has go (with their customer tags). Rows with a Siyu change still pending keep it."""
    counts = PullCounts()
    known_groups = {
        g.wecom_id: g
        for g in session.scalars(select(TagGroup).where(TagGroup.tenant_id == tenant_id))
        if g.wecom_id
    }
    known_tags = {
        t.wecom_id: t
        for t in session.scalars(select(Tag).where(Tag.tenant_id == tenant_id))
        if t.wecom_id
    }
    seen_groups: set[str] = set()
    seen_tags: set[str] = set()
    for incoming in groups:
        if incoming.deleted:
            continue
        seen_groups.add(incoming.group_id)
        group = known_groups.get(incoming.group_id) or _adopt_group(session, tenant_id, incoming)
        if group is None:
            group = TagGroup(tenant_id=tenant_id, wecom_id=incoming.group_id)
            session.add(group)
            counts.added += 1
        if group.sync_state != PENDING or group.wecom_id is None:
            if (group.name, group.order) != (incoming.group_name, incoming.order) and group.id:
                counts.updated += 1
            group.name, group.order = incoming.group_name, incoming.order
            group.wecom_id, group.sync_state, group.sync_error = incoming.group_id, SYNCED, ""
            group.updated_at = now
        session.flush()
        for wt in incoming.tag:
            if not wt.deleted:
                seen_tags.add(wt.id)
                _pull_tag(session, tenant_id, group, known_tags.get(wt.id), wt, now, counts)
    for wecom_id, tag in known_tags.items():
        if wecom_id not in seen_tags:
            session.delete(tag)
            counts.removed += 1
    for wecom_id, group in known_groups.items():
        if wecom_id not in seen_groups:
            session.delete(group)
            counts.removed += 1
    session.flush()
    return counts


def _pull_tag(
    session: Session,
    tenant_id: int,
    group: TagGroup,
    tag: Tag | None,
    wt: schemas.CorpTag,
    now: dt.datetime,
    counts: PullCounts,
) -> None:
    tag = tag or _adopt_tag(session, group.id, wt)
    if tag is None:
        tag = Tag(tenant_id=tenant_id, group_id=group.id, wecom_id=wt.id)
        session.add(tag)
        counts.added += 1
    if tag.sync_state != PENDING or tag.wecom_id is None:
        if (tag.name, tag.order) != (wt.name, wt.order) and tag.id is not None:
            counts.updated += 1
        tag.name, tag.order, tag.group_id = wt.name, wt.order, group.id
        tag.wecom_id, tag.sync_state, tag.sync_error = wt.id, SYNCED, ""
        tag.updated_at = now


def _adopt_group(
    session: Session, tenant_id: int, incoming: schemas.CorpTagGroup
) -> TagGroup | None:
    """A group made in Siyu whose creation reached WeCom but whose answer was lost."""
    return session.scalar(
        select(TagGroup).where(
            TagGroup.tenant_id == tenant_id,
            TagGroup.name == incoming.group_name,
            TagGroup.wecom_id.is_(None),
        )
    )


def _adopt_tag(session: Session, group_id: int, incoming: schemas.CorpTag) -> Tag | None:
    return session.scalar(
        select(Tag).where(
            Tag.group_id == group_id, Tag.name == incoming.name, Tag.wecom_id.is_(None)
        )
    )


def mark_failed(row: Tag | TagGroup, reason: str) -> None:
    row.sync_state, row.sync_error = FAILED, reason[:300]


# --- tagging customers -----------------------------------------------------------------------


@dataclass
class Tagging:
    customers: int = 0
    added: int = 0
    removed: int = 0
    writes: int = 0


def tag_customers(
    session: Session,
    tenant_id: int,
    customer_ids: Iterable[int],
    *,
    add: Iterable[int] = (),
    remove: Iterable[int] = (),
    actor: str,
    source: str = "manual",
    now: dt.datetime | None = None,
    known_customers: bool = False,
    detail: dict[str, Any] | None = None,
) -> Tagging:
    """Add and remove tags on customers: the profile at once, WeCom through the outbox.
    ``known_customers`` skips checking that the ids are the tenant's (the caller just read
    or made them). ``detail`` goes on the timeline entries, e.g. the rule that tagged."""
    now = now or utcnow()
    add_ids, remove_ids = set(add), set(remove) - set(add)
    valid = set(
        session.scalars(
            select(Tag.id).where(
                Tag.tenant_id == tenant_id,
                Tag.id.in_(add_ids | remove_ids),
                Tag.deleting.is_(False),
            )
        )
    )
    if (add_ids | remove_ids) - valid:
        raise NotFound("tag")
    ids = list(dict.fromkeys(customer_ids))
    if not known_customers:
        ids = list(
            session.scalars(
                select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id.in_(ids))
            )
        )
    result = Tagging(customers=len(ids))
    if not ids or not (add_ids or remove_ids):
        return result
    have: dict[int, set[int]] = defaultdict(set)
    for cid, tid in session.execute(
        select(CustomerTag.customer_id, CustomerTag.tag_id).where(
            CustomerTag.customer_id.in_(ids), CustomerTag.tag_id.in_(add_ids | remove_ids)
        )
    ):
        have[cid].add(tid)
    rows: list[dict[str, Any]] = []
    gone: list[tuple[int, int]] = []
    entries: list[timeline.Entry] = []
    changed: dict[int, tuple[list[int], list[int]]] = {}
    for cid in ids:
        gained = sorted(add_ids - have[cid])
        lost = sorted(remove_ids & have[cid])
        if not gained and not lost:
            continue
        changed[cid] = (gained, lost)
        rows += [
            {
                "tenant_id": tenant_id,
                "customer_id": cid,
                "tag_id": t,
                "source": source,
                "created_at": now,
            }
            for t in gained
        ]
        gone += [(cid, t) for t in lost]
        if gained:
            entries.append(
                timeline.Entry(
                    cid,
                    "tagged",
                    now,
                    actor,
                    {**(detail or {}), "tag_ids": gained, "source": source},
                )
            )
        if lost:
            entries.append(
                timeline.Entry(
                    cid,
                    "untagged",
                    now,
                    actor,
                    {**(detail or {}), "tag_ids": lost, "source": source},
                )
            )
    if rows:
        insert_rows_ignoring(session, CUSTOMER_TAGS, ["customer_id", "tag_id"], rows)
    for cid, tid in gone:
        session.execute(
            delete(CustomerTag).where(CustomerTag.customer_id == cid, CustomerTag.tag_id == tid)
        )
    timeline.append_many(session, tenant_id, entries)
    audience.touch(session, tenant_id, changed)
    result.added, result.removed = len(rows), len(gone)
    result.writes = _queue_writes(session, tenant_id, changed, now)
    return result


def _queue_writes(
    session: Session,
    tenant_id: int,
    changed: dict[int, tuple[list[int], list[int]]],
    now: dt.datetime,
) -> int:
    if not changed:
        return 0
    friendships = session.execute(
        select(Follow.customer_id, Follow.userid, Customer.external_userid)
        .join(Customer, Customer.id == Follow.customer_id)
        .where(Follow.customer_id.in_(list(changed)), Follow.status == FRIEND)
    ).all()
    rows = [
        {
            "tenant_id": tenant_id,
            "customer_id": f.customer_id,
            "userid": f.userid,
            "external_userid": f.external_userid,
            "add": changed[f.customer_id][0],
            "remove": changed[f.customer_id][1],
            "state": PENDING,
            "attempts": 0,
            "error": "",
            "created_at": now,
        }
        for f in friendships
        if f.external_userid
    ]
    if rows:
        session.execute(TAG_WRITES.insert(), rows)
        request_push(session, tenant_id)
    return len(rows)


def missing_tags(session: Session, tenant_id: int, tag_ids: Iterable[int]) -> list[int]:
    """Those of these tag ids that are not the tenant's live tags (unknown or being deleted)."""
    wanted = list(dict.fromkeys(tag_ids))
    if not wanted:
        return []
    known = set(
        session.scalars(
            select(Tag.id).where(
                Tag.tenant_id == tenant_id, Tag.id.in_(wanted), Tag.deleting.is_(False)
            )
        )
    )
    return [t for t in wanted if t not in known]


def customer_tag_ids(session: Session, customer_id: int) -> list[int]:
    return list(
        session.scalars(select(CustomerTag.tag_id).where(CustomerTag.customer_id == customer_id))
    )


# --- tagging many customers by a filter ------------------------------------------------------

BULK_JOB = "tags.bulk"
BULK_CHUNK = 1000


def start_bulk(
    session: Session,
    tenant_id: int,
    *,
    filter_: dict[str, Any],
    add: list[int],
    remove: list[int],
    actor: str,
    total: int,
) -> TaggingRun:
    valid = set(
        session.scalars(select(Tag.id).where(Tag.tenant_id == tenant_id, Tag.id.in_(add + remove)))
    )
    if set(add + remove) - valid:
        raise NotFound("tag")
    run = TaggingRun(
        tenant_id=tenant_id, filter=filter_, add=add, remove=remove, actor=actor, total=total
    )
    session.add(run)
    session.flush()
    jobs.submit(
        session,
        BULK_JOB,
        {"tenant_id": tenant_id, "run_id": run.id},
        tenant_id=tenant_id,
        key=f"tagging-run:{run.id}",
    )
    return run


def filter_to_json(f: Any) -> dict[str, Any]:
    """A customer filter (``customers.repository.CustomerFilter``) as stored with a run; the
    scope of a member limited to some stores goes with it."""
    data: dict[str, Any] = {
        "q": f.q,
        "tag_ids": list(f.tag_ids),
        "owner_userid": f.owner_userid,
        "status": f.status,
        "channel": f.channel,
        "added_from": f.added_from.isoformat() if f.added_from else None,
        "added_to": f.added_to.isoformat() if f.added_to else None,
        "store_id": getattr(f, "store_id", None),
    }
    visible = getattr(f, "visible", None)
    if visible is not None:
        data["visible"] = {
            "userids": sorted(visible.userids),
            "store_ids": sorted(visible.store_ids),
        }
    return data


def filter_from_json(data: dict[str, Any]) -> Any:
    from siyu.customers import repository as customers

    values = dict(data)
    for name in ("added_from", "added_to"):
        if values.get(name):
            values[name] = dt.date.fromisoformat(values[name])
    values["tag_ids"] = tuple(values.get("tag_ids") or ())
    visible = values.pop("visible", None)
    if visible is not None:
        values["visible"] = customers.Visible(
            frozenset(visible["userids"]), frozenset(visible["store_ids"])
        )
    return customers.CustomerFilter(**values)
