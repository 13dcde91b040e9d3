"""Group invitation rules: what may be invited where, the broadcast each invitation makes, and
who of its recipients joined. Never commits.

A customer counts as joined when they are a recipient of the invitation's broadcast and joined a
group of the code (a group it lists, or any group through its join way's ``state``) at or after
the broadcast was planned, i.e. after the invitation went out.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from siyu.broadcasts import service as broadcasts
from siyu.broadcasts.models import Broadcast
from siyu.broadcasts.schemas import BroadcastIn
from siyu.db import utcnow
from siyu.errors import NotFound
from siyu.groups import codes
from siyu.groups.models import CODE_ACTIVE, GroupCode
from siyu.invitations.errors import CodeNotLive, EmptyText, UnknownCode
from siyu.invitations.models import Invitation
from siyu.invitations.schemas import InvitationIn

SOURCE_PREFIX = "invitation:"


def live_code(session: Session, tenant_id: int, code_id: int) -> GroupCode:
    """The tenant's group code, live in WeCom (created, with its QR code)."""
    try:
        code = codes.get(session, tenant_id, code_id)
    except NotFound:
        raise UnknownCode() from None
    if code.status != CODE_ACTIVE or not code.config_id:
        raise CodeNotLive(status=code.status)
    return code


def broadcast_body(body: InvitationIn, material_id: int | None) -> BroadcastIn:
    return BroadcastIn(
        name=body.name,
        chat_type="single",
        audience=body.audience,
        text=body.text,
        material_ids=[material_id] if material_id else [],
        send_at=body.send_at,
    )


def check(session: Session, tenant_id: int, body: InvitationIn, now: dt.datetime) -> GroupCode:
    """Everything but the QR image, before WeCom is asked for it: the code, the text, and the
    broadcast's own rules (audience, variables, time)."""
    if not body.text.strip():
        raise EmptyText()
    code = live_code(session, tenant_id, body.code_id)
    broadcasts.check(session, tenant_id, broadcast_body(body, None), now)
    return code


def create(
    session: Session,
    tenant_id: int,
    body: InvitationIn,
    *,
    material_id: int,
    created_by: int | None,
    now: dt.datetime | None = None,
) -> Invitation:
    """The invitation and its broadcast (the code's QR image attached), scheduled."""
    now = now or utcnow()
    check(session, tenant_id, body, now)
    invitation = Invitation(
        tenant_id=tenant_id,
        name=body.name,
        audience=body.audience.model_dump(mode="json"),
        text=body.text,
        code_id=body.code_id,
        material_id=material_id,
        created_by=created_by,
        created_at=now,
    )
    session.add(invitation)
    session.flush()
    broadcast = broadcasts.create(
        session,
        tenant_id,
        broadcast_body(body, material_id),
        created_by=created_by,
        now=now,
        source=f"{SOURCE_PREFIX}{invitation.id}",
    )
    invitation.broadcast_id = broadcast.id
    session.flush()
    return invitation


def broadcast_of(session: Session, invitation: Invitation) -> Broadcast | None:
    if invitation.broadcast_id is None:
        return None
    found = session.get(Broadcast, invitation.broadcast_id)
    if found is None or found.tenant_id != invitation.tenant_id:
        return None
    return found
