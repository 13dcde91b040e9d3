"""The simulator's customer groups: staff create groups, customers join and leave them."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox import callbacks
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.simulate import (
    PREFIX,
    Customer,
    Json,
    Wait,
    corp_of,
    customer_of,
    finish,
    runtime_of,
    staff_member,
)
from siyu.sandbox.state import ExternalContact, GroupChat, GroupMember

router = APIRouter(prefix=PREFIX, tags=["simulator"])


def _member_version(session: Session, chat_id: str) -> str:
    members = session.scalars(select(GroupMember.userid).where(GroupMember.chat_id == chat_id))
    return hashlib.md5("|".join(sorted(members)).encode()).hexdigest()  # noqa: S324 - a version


class CreateGroup(BaseModel):
    owner: str
    name: str = Field("", max_length=100)
    staff: list[str] = []
    customers: list[str] = Field([], description="external_userids")
    corp_id: str = ""


@router.post("/create_group")
def create_group(request: Request, body: CreateGroup, wait: Wait = False) -> Json:
    """A staff member creates a customer group in the client: ``change_external_chat/create``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        now = runtime.clock.ts()
        staff_member(session, corp.corp_id, body.owner)
        chat_id = new_id("wr", 28)
        session.add(
            GroupChat(
                corp_id=corp.corp_id,
                chat_id=chat_id,
                name=body.name,
                owner=body.owner,
                create_time=now,
            )
        )
        members = [(body.owner, 1), *((u, 1) for u in body.staff if u != body.owner)]
        members += [(e, 2) for e in body.customers]
        for userid, kind in members:
            name = ""
            if kind == 2:
                customer = session.scalar(
                    select(ExternalContact).where(ExternalContact.external_userid == userid)
                )
                name = customer.name if customer else ""
            session.add(
                GroupMember(
                    chat_id=chat_id,
                    userid=userid,
                    type=kind,
                    join_time=now,
                    join_scene=1,
                    invitor="" if userid == body.owner else body.owner,
                    name=name,
                )
            )
        session.flush()
        chat_row = session.scalar(select(GroupChat).where(GroupChat.chat_id == chat_id))
        assert chat_row is not None
        chat_row.member_version = _member_version(session, chat_id)
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_external_chat",
            {"ChatId": chat_id, "ChangeType": "create"},
        )
    return finish(runtime, {"chat_id": chat_id}, wait)


class GroupChange(BaseModel):
    chat_id: str
    external_userid: str = ""
    customer: Customer | None = None
    join_scene: int = Field(3, description="1 direct invite, 2 invite link, 3 scanned group QR")
    quit_scene: int = Field(0, description="0 left by self, 1 removed by owner/admin")
    invitor: str = ""
    state: str = ""
    corp_id: str = ""


def _chat(session: Session, corp_id: str, chat_id: str) -> GroupChat:
    found = session.scalar(
        select(GroupChat).where(GroupChat.corp_id == corp_id, GroupChat.chat_id == chat_id)
    )
    if found is None or found.dismissed:
        raise WeComError(90501)
    return found


@router.post("/join_group")
def join_group(request: Request, body: GroupChange, wait: Wait = False) -> Json:
    """A customer joins a customer group: ``change_external_chat/update add_member``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        group = _chat(session, corp.corp_id, body.chat_id)
        if body.customer is not None:
            customer = customer_of(session, corp.corp_id, body.customer)
        else:
            customer = customer_of(
                session, corp.corp_id, Customer(name="", external_userid=body.external_userid)
            )
        already = session.scalar(
            select(GroupMember).where(
                GroupMember.chat_id == group.chat_id,
                GroupMember.userid == customer.external_userid,
            )
        )
        if already is not None:
            raise WeComError(40058, "already a member")
        session.add(
            GroupMember(
                chat_id=group.chat_id,
                userid=customer.external_userid,
                type=2,
                join_time=runtime.clock.ts(),
                join_scene=body.join_scene,
                invitor=body.invitor or (group.owner if body.join_scene != 3 else ""),
                name=customer.name,
                state=body.state,
            )
        )
        session.flush()
        last, group.member_version = group.member_version, _member_version(session, group.chat_id)
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_external_chat",
            {
                "ChatId": group.chat_id,
                "ChangeType": "update",
                "UpdateDetail": "add_member",
                "JoinScene": body.join_scene,
                "MemChangeCnt": 1,
                "MemChangeList": [customer.external_userid],
                "LastMemVer": last,
                "CurMemVer": group.member_version,
            },
        )
        result = {
            "external_userid": customer.external_userid,
            "member_version": group.member_version,
        }
    return finish(runtime, result, wait)


@router.post("/leave_group")
def leave_group(request: Request, body: GroupChange, wait: Wait = False) -> Json:
    """A customer leaves (or is removed from) a group: ``update del_member``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        group = _chat(session, corp.corp_id, body.chat_id)
        member = session.scalar(
            select(GroupMember).where(
                GroupMember.chat_id == group.chat_id,
                GroupMember.userid == body.external_userid,
            )
        )
        if member is None:
            raise WeComError(40058, "not a member")
        session.delete(member)
        session.flush()
        last, group.member_version = group.member_version, _member_version(session, group.chat_id)
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_external_chat",
            {
                "ChatId": group.chat_id,
                "ChangeType": "update",
                "UpdateDetail": "del_member",
                "QuitScene": body.quit_scene,
                "MemChangeCnt": 1,
                "MemChangeList": [body.external_userid],
                "LastMemVer": last,
                "CurMemVer": group.member_version,
            },
        )
        result = {"member_version": group.member_version}
    return finish(runtime, result, wait)
