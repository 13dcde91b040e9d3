"""Group playbooks over HTTP: list, create, change (the waiting slots are made again), switch
off, delete, and what each has sent."""

from __future__ import annotations

from fastapi import APIRouter, status
from sqlalchemy import select

from siyu.api.deps import DbSession
from siyu.api.errors import responses
from siyu.audit import service as audit
from siyu.auth.api import AUTH
from siyu.auth.principal import Principal
from siyu.broadcasts import audience as audiences
from siyu.broadcasts.api import COMPOSE_ERRORS, Manage, Read, out
from siyu.broadcasts.schemas import GroupsAudience
from siyu.errors import NotFound
from siyu.playbooks import service
from siyu.playbooks.errors import DuplicateName, DuplicateSlot, EmptyPost
from siyu.playbooks.models import Playbook
from siyu.playbooks.schemas import NextSend, PlaybookIn, PlaybookOut, PlaybookSends, PostOut

router = APIRouter(tags=["playbooks"])
ERRORS = (*COMPOSE_ERRORS, DuplicateName, DuplicateSlot, EmptyPost)


def _get(session: DbSession, principal: Principal, playbook_id: int) -> Playbook:
    playbook = session.get(Playbook, playbook_id)
    if playbook is None or playbook.tenant_id != principal.tenant_id:
        raise NotFound("playbook")
    return playbook


def _out(session: DbSession, playbook: Playbook) -> PlaybookOut:
    audience = GroupsAudience.model_validate(playbook.audience)
    return PlaybookOut(
        id=playbook.id,
        name=playbook.name,
        audience=playbook.audience,
        enabled=playbook.enabled,
        skip_dates=playbook.skip_dates,
        posts=[
            PostOut(
                id=p.id,
                at=p.at,
                weekdays=p.weekdays,
                title=p.title,
                text=p.text,
                material_ids=p.material_ids,
            )
            for p in service.posts_of(session, playbook)
        ],
        groups=len(audiences.groups(session, playbook.tenant_id, audience)),
        next_sends=[NextSend(post_id=i, at=at) for i, at in service.next_sends(session, playbook)],
        created_at=playbook.created_at,
        updated_at=playbook.updated_at,
    )


@router.get("/playbooks", operation_id="listPlaybooks", responses=responses(*AUTH))
def list_playbooks(session: DbSession, principal: Read) -> list[PlaybookOut]:
    rows = session.scalars(
        select(Playbook).where(Playbook.tenant_id == principal.tenant_id).order_by(Playbook.id)
    )
    return [_out(session, p) for p in rows]


@router.post(
    "/playbooks",
    operation_id="createPlaybook",
    status_code=status.HTTP_201_CREATED,
    responses=responses(*AUTH, *ERRORS),
)
def create_playbook(session: DbSession, principal: Manage, body: PlaybookIn) -> PlaybookOut:
    playbook = service.save(session, principal.tenant_id, body, created_by=principal.user_id)
    audit.record(
        session,
        principal,
        "playbooks.create",
        entity_type="playbook",
        entity_id=playbook.id,
        after=body.model_dump(mode="json"),
    )
    return _out(session, playbook)


@router.get(
    "/playbooks/{playbook_id}", operation_id="getPlaybook", responses=responses(*AUTH, NotFound)
)
def read_playbook(session: DbSession, principal: Read, playbook_id: int) -> PlaybookOut:
    return _out(session, _get(session, principal, playbook_id))


@router.put(
    "/playbooks/{playbook_id}",
    operation_id="updatePlaybook",
    responses=responses(*AUTH, *ERRORS),
)
def update_playbook(
    session: DbSession, principal: Manage, playbook_id: int, body: PlaybookIn
) -> PlaybookOut:
    playbook = _get(session, principal, playbook_id)
    service.save(session, principal.tenant_id, body, playbook=playbook)
    audit.record(
        session,
        principal,
        "playbooks.update",
        entity_type="playbook",
        entity_id=playbook.id,
        after=body.model_dump(mode="json"),
    )
    return _out(session, playbook)


@router.delete(
    "/playbooks/{playbook_id}",
    operation_id="deletePlaybook",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(*AUTH, NotFound),
)
def delete_playbook(session: DbSession, principal: Manage, playbook_id: int) -> None:
    playbook = _get(session, principal, playbook_id)
    service.withdraw(session, playbook)
    audit.record(
        session, principal, "playbooks.delete", entity_type="playbook", entity_id=playbook.id
    )
    session.delete(playbook)


@router.get(
    "/playbooks/{playbook_id}/sends",
    operation_id="listPlaybookSends",
    responses=responses(*AUTH, NotFound),
)
def playbook_sends(session: DbSession, principal: Read, playbook_id: int) -> PlaybookSends:
    """What the playbook has sent and is about to send (its group broadcasts)."""
    rows, total = service.sends(session, _get(session, principal, playbook_id))
    return PlaybookSends(items=[out(b) for b in rows], total=total)
