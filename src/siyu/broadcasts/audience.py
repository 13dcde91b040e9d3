"""Who a broadcast goes to. Customer audiences are segment rules evaluated by the audience index
(a saved segment, tags, owners, stores) or a hand-picked list; group audiences are the tenant's
live customer groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import TypeAdapter, ValidationError
from pyroaring import BitMap
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts.errors import BadAudience, UnknownGroups, WrongAudienceKind
from siyu.broadcasts.schemas import (
    Audience,
    CustomersAudience,
    GroupsAudience,
    SegmentAudience,
    StaffAudience,
    StoresAudience,
    TagsAudience,
)
from siyu.customers.models import ERASED, Customer
from siyu.errors import NotFound
from siyu.groups.models import ACTIVE as GROUP_ACTIVE
from siyu.groups.models import Group
from siyu.segments import service as segments
from siyu.segments.models import Segment

_ADAPTER: TypeAdapter[Audience] = TypeAdapter(Audience)
IN_BATCH = 5000


def parse(data: dict[str, Any]) -> Audience:
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise BadAudience(reason=exc.errors()[0]["msg"]) from None


def check(session: Session, tenant_id: int, audience: Audience, chat_type: str) -> None:
    """Refuse an audience that does not fit the message kind or names what is not the tenant's."""
    if (chat_type == "group") != isinstance(audience, GroupsAudience):
        raise WrongAudienceKind()
    if isinstance(audience, GroupsAudience):
        if audience.group_ids:
            found = set(
                session.scalars(
                    select(Group.id).where(
                        Group.tenant_id == tenant_id, Group.id.in_(audience.group_ids)
                    )
                )
            )
            missing = sorted(set(audience.group_ids) - found)
            if missing:
                raise UnknownGroups(missing, ids=", ".join(map(str, missing[:20])))
        return
    if isinstance(audience, CustomersAudience):
        return  # ids that are not the tenant's are simply not chosen
    rule = _rule(session, tenant_id, audience)
    segments.check(session, tenant_id, rule)


def _rule(session: Session, tenant_id: int, audience: Audience) -> dict[str, Any]:
    if isinstance(audience, SegmentAudience):
        segment = session.get(Segment, audience.segment_id)
        if segment is None or segment.tenant_id != tenant_id:
            raise NotFound("segment")
        return segment.rule
    if isinstance(audience, TagsAudience):
        return {"field": "tags", "op": audience.match, "value": audience.tag_ids}
    if isinstance(audience, StaffAudience):
        return {"field": "owner", "op": "in", "value": audience.userids}
    if isinstance(audience, StoresAudience):
        return {"field": "store", "op": "in", "value": audience.store_ids}
    raise TypeError(audience)


def customers(session: Session, tenant_id: int, audience: Audience) -> BitMap:
    """The customers the audience selects now (erased customers never)."""
    if isinstance(audience, CustomersAudience):
        chosen = BitMap()
        wanted = sorted(set(audience.customer_ids))
        for start in range(0, len(wanted), IN_BATCH):
            chosen.update(
                session.scalars(
                    select(Customer.id).where(
                        Customer.tenant_id == tenant_id,
                        Customer.id.in_(wanted[start : start + IN_BATCH]),
                        Customer.status != ERASED,
                    )
                )
            )
        return chosen
    rule = segments.check(session, tenant_id, _rule(session, tenant_id, audience))
    return segments.members(session, tenant_id, rule)


@dataclass(frozen=True)
class GroupTarget:
    id: int
    chat_id: str
    owner: str


def groups(session: Session, tenant_id: int, audience: GroupsAudience) -> list[GroupTarget]:
    """The live groups the audience selects, ordered by owner."""
    query = select(Group.id, Group.chat_id, Group.owner_userid).where(
        Group.tenant_id == tenant_id, Group.status == GROUP_ACTIVE
    )
    if audience.group_ids:
        query = query.where(Group.id.in_(audience.group_ids))
    if audience.owner_userids:
        query = query.where(Group.owner_userid.in_(audience.owner_userids))
    rows = session.execute(query.order_by(Group.owner_userid, Group.id))
    return [GroupTarget(i, c, o) for i, c, o in rows]
