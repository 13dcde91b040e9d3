"""The demo tenant's group invitation: its newest friends (the segment 近30天新好友) invited into
the groups of its group code 徐汇店福利群码, made through the real paths against the sandbox once
the code is live and the week of demo broadcasts is in. ``siyu up`` then has the sandbox's staff
send it and a few of the invited scan the code (see :func:`demo_invitees`), so the results page
shows joins traced back to it."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.broadcasts import planning
from siyu.broadcasts.demo import SOURCE as BROADCASTS_DEMO
from siyu.broadcasts.dispatch import Message
from siyu.broadcasts.models import (
    R_PLANNED,
    SENDING,
    SENT,
    Broadcast,
    BroadcastRecipient,
    BroadcastTask,
)
from siyu.customers.models import Customer
from siyu.db import Database, utcnow
from siyu.groups.models import CODE_ACTIVE, GroupCode, GroupCodeGroup, GroupMember
from siyu.invitations import qr_images, service
from siyu.invitations.models import Invitation
from siyu.invitations.schemas import InvitationIn
from siyu.jobs import Job, NotYet, hold_lease, io_job
from siyu.segments.models import Segment
from siyu.wecom import service as wecom

log = logging.getLogger("siyu.invitations")

DEMO_JOB = "invitations.demo"
NAME = "新朋友进群 · 徐汇店福利群"
SEGMENT = "近30天新好友"
TEXT = "扫码加入徐汇店福利群，每天 8:30 早餐券，群内还有新品试用名额～"
JOINS = 3  # how many of the invited `siyu up` has join


def _ready(session: Session, tenant_id: int) -> tuple[int, int] | None:
    """(group code, segment) of the demo, or None when the tenant is not the demo's."""
    from siyu.sandbox.demo import DEMO_GROUP_STATE

    code = session.scalar(
        select(GroupCode).where(
            GroupCode.tenant_id == tenant_id, GroupCode.state == DEMO_GROUP_STATE
        )
    )
    if code is None or code.status != CODE_ACTIVE or not code.config_id:
        raise NotYet("waiting for the demo's group code")
    if not session.scalar(
        select(Broadcast.id).where(
            Broadcast.tenant_id == tenant_id, Broadcast.source == BROADCASTS_DEMO
        )
    ):
        raise NotYet("waiting for the demo's broadcasts")
    segment_id = session.scalar(
        select(Segment.id).where(Segment.tenant_id == tenant_id, Segment.name == SEGMENT)
    )
    return (code.id, segment_id) if segment_id else None


@io_job(DEMO_JOB, max_attempts=20)
def seed_invitation(database: Database, job_row: Job) -> None:
    from siyu.broadcasts.tasks import dispatch_all

    tenant_id = int(job_row.payload["tenant_id"])
    with database.factory() as session:
        found = _ready(session, tenant_id)
        if found is None or session.scalar(
            select(Invitation.id).where(Invitation.tenant_id == tenant_id, Invitation.name == NAME)
        ):
            return
    code_id, segment_id = found
    client = wecom.client_for_tenant(database, tenant_id)
    if client is None:
        return
    material_id = qr_images.material_for(database, tenant_id, code_id, None)
    body = InvitationIn(
        name=NAME,
        audience={"kind": "segment", "segment_id": segment_id},
        code_id=code_id,
        text=TEXT,
    )
    with database.transaction() as session:
        hold_lease(session, job_row)
        now = utcnow()
        invitation = service.create(
            session, tenant_id, body, material_id=material_id, created_by=None, now=now
        )
        broadcast = service.broadcast_of(session, invitation)
        assert broadcast is not None
        # Sent at once, whatever the hour: the demo shows it, not the quiet hours.
        planning.plan(session, broadcast, now)
        broadcast.planned_at, broadcast.state = now, SENDING
        message = Message(
            broadcast.id, tenant_id, "single", broadcast.text, [], tuple(broadcast.material_ids)
        )
    dispatch_all(database, job_row, client, message, quiet_hours=False)


def demo_invitees(session: Session) -> tuple[list[tuple[int, str, str]], str, list[str]]:
    """For ``siyu up``: the demo invitation's unconfirmed tasks (broadcast, msgid, sender), its
    code's config id and a few invited customers (external userids) to join through it."""
    invitation = session.scalar(select(Invitation).where(Invitation.name == NAME).limit(1))
    if invitation is None or invitation.broadcast_id is None:
        return [], "", []
    broadcast = session.get(Broadcast, invitation.broadcast_id)
    code = session.get(GroupCode, invitation.code_id)
    if broadcast is None or broadcast.state != SENT or code is None or not code.config_id:
        return [], "", []
    tasks = [
        (broadcast.id, msgid or "", sender)
        for msgid, sender in session.execute(
            select(BroadcastTask.msgid, BroadcastTask.sender).where(
                BroadcastTask.broadcast_id == broadcast.id,
                BroadcastTask.msgid.is_not(None),
                BroadcastTask.confirmed.is_(False),
            )
        )
    ]
    # Those the staff are sending it to, and not in a group of the code already.
    listed = select(GroupCodeGroup.group_id).where(GroupCodeGroup.code_id == code.id)
    already_in = select(GroupMember.customer_id).where(
        GroupMember.group_id.in_(listed),
        GroupMember.left_at.is_(None),
        GroupMember.customer_id.is_not(None),
    )
    invited = list(
        session.scalars(
            select(Customer.external_userid)
            .join(BroadcastRecipient, BroadcastRecipient.customer_id == Customer.id)
            .where(
                BroadcastRecipient.broadcast_id == broadcast.id,
                BroadcastRecipient.status == R_PLANNED,
                Customer.external_userid.is_not(None),
                ~Customer.id.in_(already_in),
            )
            .order_by(BroadcastRecipient.id)
            .limit(JOINS)
        )
    )
    return tasks, code.config_id, [u for u in invited if u]
