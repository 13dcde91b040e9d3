"""The simulator's customer groups: staff create, rename and dismiss groups, customers join and
leave them. Each change emits the ``change_external_chat`` callback WeCom sends for it, with the
member versions (``LastMemVer``/``CurMemVer``) that let a receiver notice a lost callback."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.sandbox import callbacks, msgaudit
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.runtime import Runtime
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
from siyu.sandbox.state import Corp, ExternalContact, GroupChat, GroupMember

router = APIRouter(prefix=PREFIX, tags=["simulator"])


def _member_version(session: Session, chat_id: str) -> str:
    members = session.scalars(select(GroupMember.userid).where(GroupMember.chat_id == chat_id))
    return hashlib.md5("|".join(sorted(members)).encode()).hexdigest()  # noqa: S324 - a version


# WeCom stops joins by QR code (join_scene 3) once a group has 200 members; a customer group
# holds at most 500 (the rest come by invitation).
QR_JOIN_LIMIT = 200
GROUP_LIMIT = 500


class CreateGroup(BaseModel):
    owner: str
    name: str = Field("", max_length=100)
    staff: list[str] = []
    customers: list[str] = Field([], description="external_userids")
    new_customers: int = Field(
        0, ge=0, le=GROUP_LIMIT, description="this many new customers invited along (a crowd)"
    )
    corp_id: str = ""


def new_group(
    session: Session,
    runtime: Runtime,
    corp: Corp,
    *,
    owner: str,
    name: str,
    members: list[tuple[str, int]],
) -> GroupChat:
    """A group made in the client by ``owner`` with ``members`` ((userid, type 1 staff | 2
    customer), owner first): rows, member version and the ``create`` callback."""
    now = runtime.clock.ts()
    staff_member(session, corp.corp_id, owner)
    if len(members) > GROUP_LIMIT:
        raise WeComError(40058, f"a customer group holds at most {GROUP_LIMIT} members")
    group = GroupChat(
        corp_id=corp.corp_id, chat_id=new_id("wr", 28), name=name, owner=owner, create_time=now
    )
    session.add(group)
    names = dict(
        session.execute(
            select(ExternalContact.external_userid, ExternalContact.name).where(
                ExternalContact.external_userid.in_([u for u, kind in members if kind == 2])
            )
        ).all()
    )
    for userid, kind in members:
        session.add(
            GroupMember(
                chat_id=group.chat_id,
                userid=userid,
                type=kind,
                join_time=now,
                join_scene=1,
                invitor="" if userid == owner else owner,
                name=names.get(userid, ""),
            )
        )
    session.flush()
    group.member_version = _member_version(session, group.chat_id)
    callbacks.emit(
        session,
        runtime,
        corp,
        "change_external_chat",
        {"ChatId": group.chat_id, "ChangeType": "create"},
    )
    return group


@router.post("/create_group")
def create_group(request: Request, body: CreateGroup, wait: Wait = False) -> Json:
    """A staff member creates a customer group in the client: ``change_external_chat/create``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        members = [(body.owner, 1), *((u, 1) for u in body.staff if u != body.owner)]
        members += [(e, 2) for e in body.customers]
        for index in range(body.new_customers):
            crowd = customer_of(session, corp.corp_id, Customer(name=f"群友{index + 1:03d}"))
            members.append((crowd.external_userid, 2))
        group = new_group(session, runtime, corp, owner=body.owner, name=body.name, members=members)
        chat_id = group.chat_id
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


def find_chat(session: Session, corp_id: str, chat_id: str) -> GroupChat:
    found = session.scalar(
        select(GroupChat).where(GroupChat.corp_id == corp_id, GroupChat.chat_id == chat_id)
    )
    if found is None or found.dismissed:
        raise WeComError(90501)
    return found


def member_count(session: Session, chat_id: str) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(GroupMember).where(GroupMember.chat_id == chat_id)
        )
        or 0
    )


def is_member(session: Session, chat_id: str, userid: str) -> bool:
    return (
        session.scalar(
            select(GroupMember.id).where(
                GroupMember.chat_id == chat_id, GroupMember.userid == userid
            )
        )
        is not None
    )


def add_member(
    session: Session,
    runtime: Runtime,
    corp: Corp,
    group: GroupChat,
    customer: ExternalContact,
    *,
    join_scene: int,
    invitor: str = "",
    state: str = "",
) -> None:
    """The customer is in the group now: member row, new member version, ``add_member``.
    The callback carries no ``State``: WeCom tells it in ``groupchat/get``'s member list."""
    if is_member(session, group.chat_id, customer.external_userid):
        raise WeComError(40058, "already a member")
    count = member_count(session, group.chat_id)
    if count >= GROUP_LIMIT or (join_scene == 3 and count >= QR_JOIN_LIMIT):
        raise WeComError(40058, "the group is full")
    session.add(
        GroupMember(
            chat_id=group.chat_id,
            userid=customer.external_userid,
            type=2,
            join_time=runtime.clock.ts(),
            join_scene=join_scene,
            invitor=invitor or (group.owner if join_scene != 3 else ""),
            name=customer.name,
            state=state,
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
            "JoinScene": join_scene,
            "MemChangeCnt": 1,
            "MemChangeList": [customer.external_userid],
            "LastMemVer": last,
            "CurMemVer": group.member_version,
        },
    )


@router.post("/join_group")
def join_group(request: Request, body: GroupChange, wait: Wait = False) -> Json:
    """A customer joins a customer group: ``change_external_chat/update add_member``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        group = find_chat(session, corp.corp_id, body.chat_id)
        customer = customer_of(
            session,
            corp.corp_id,
            body.customer or Customer(name="", external_userid=body.external_userid),
        )
        add_member(
            session,
            runtime,
            corp,
            group,
            customer,
            join_scene=body.join_scene,
            invitor=body.invitor,
            state=body.state,
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
        group = find_chat(session, corp.corp_id, body.chat_id)
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


class GroupEdit(BaseModel):
    chat_id: str
    name: str | None = Field(None, max_length=100)
    owner: str | None = None
    notice: str | None = Field(None, max_length=1000)
    corp_id: str = ""


@router.post("/update_group")
def update_group(request: Request, body: GroupEdit, wait: Wait = False) -> Json:
    """The owner renames the group, hands it to another staff member or edits its notice in the
    client: one ``update`` callback per change (``change_name``, ``change_owner``,
    ``change_notice``)."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        group = find_chat(session, corp.corp_id, body.chat_id)
        changes: list[str] = []
        if body.name is not None and body.name != group.name:
            group.name = body.name
            changes.append("change_name")
        if body.owner is not None and body.owner != group.owner:
            staff_member(session, corp.corp_id, body.owner)
            if not is_member(session, group.chat_id, body.owner):
                raise WeComError(40058, "the new owner must be a member of the group")
            group.owner = body.owner
            changes.append("change_owner")
        if body.notice is not None and body.notice != group.notice:
            group.notice = body.notice
            changes.append("change_notice")
        for detail in changes:
            callbacks.emit(
                session,
                runtime,
                corp,
                "change_external_chat",
                {"ChatId": group.chat_id, "ChangeType": "update", "UpdateDetail": detail},
            )
    return finish(runtime, {"changes": changes}, wait)


class GroupRef(BaseModel):
    chat_id: str
    corp_id: str = ""


@router.post("/dismiss_group")
def dismiss_group(request: Request, body: GroupRef, wait: Wait = False) -> Json:
    """The owner dismisses the group: ``change_external_chat/dismiss``; the API then answers
    49008 for it and ``groupchat/list`` leaves it out."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        group = find_chat(session, corp.corp_id, body.chat_id)
        group.dismissed = True
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_external_chat",
            {"ChatId": group.chat_id, "ChangeType": "dismiss"},
        )
    return finish(runtime, {"dismissed": True}, wait)


class GroupSay(BaseModel):
    chat_id: str
    sender: str = Field(description="A member of the group: a staff userid or an external_userid")
    text: str = Field(min_length=1, max_length=4000)
    corp_id: str = ""


@router.post("/group_chat")
def group_chat(request: Request, body: GroupSay, wait: Wait = False) -> Json:
    """A line said in a customer group, kept in the chat archive with the group as ``roomid``;
    WeCom then sends ``msgaudit_notify``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        group = find_chat(session, corp.corp_id, body.chat_id)
        member = session.scalar(
            select(GroupMember.id).where(
                GroupMember.chat_id == group.chat_id, GroupMember.userid == body.sender
            )
        )
        if member is None:
            raise WeComError(40058, "not a member of the group")
        row = msgaudit.record_chat(
            session,
            corp.corp_id,
            sender=body.sender,
            receiver="",
            roomid=group.chat_id,
            text=body.text,
            msgtime_ms=int(runtime.clock.now() * 1000),
            ts=runtime.clock.ts(),
        )
        msgaudit.notify(session, runtime, corp)
        result = {"seq": row.seq, "msgid": row.msgid}
    return finish(runtime, result, wait)
