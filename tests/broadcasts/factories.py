"""Rows of broadcasts, group playbooks and group invitations for tests that need one of a
tenant's (the tenancy test's tenant B)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.broadcasts.models import Broadcast
from siyu.db import utcnow
from siyu.invitations.models import Invitation
from siyu.playbooks.models import Playbook, PlaybookPost
from siyu.tenants.models import Tenant
from tests.groups.factories import make_group_code

NO_GROUPS = {"kind": "groups", "group_ids": [], "owner_userids": []}


def make_broadcast(session: Session, tenant: Tenant, name: str) -> Broadcast:
    now = utcnow()
    broadcast = Broadcast(
        tenant_id=tenant.id,
        name=name,
        chat_type="single",
        audience={"kind": "staff", "userids": ["nobody"]},
        text=name,
        material_ids=[],
        state="scheduled",
        send_at=now,
        due_at=now,
        counts={},
        created_at=now,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def make_playbook(session: Session, tenant: Tenant, name: str) -> Playbook:
    playbook = Playbook(
        tenant_id=tenant.id,
        name=name[:60],
        audience=NO_GROUPS,
        enabled=False,
        skip_dates=[],
    )
    session.add(playbook)
    session.flush()
    session.add(PlaybookPost(tenant_id=tenant.id, playbook_id=playbook.id, at="08:30", text=name))
    session.flush()
    return playbook


def make_invitation(session: Session, tenant: Tenant, name: str) -> Invitation:
    code = make_group_code(session, tenant, name[:30])
    invitation = Invitation(
        tenant_id=tenant.id,
        name=name,
        audience={"kind": "tags", "tag_ids": [1], "match": "any"},
        text=name,
        code_id=code.id,
    )
    session.add(invitation)
    session.flush()
    return invitation
