"""The simulator: customers and staff doing in WeCom what the API cannot, with their callbacks.

Exposed under ``/sandbox/simulate/...``; ``?wait=true`` delivers the resulting callbacks before
answering (tests' synchronous mode). Every action emits the event WeCom would send.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox import callbacks, msgaudit
from siyu.sandbox.api.base import follow
from siyu.sandbox.api.contact_ways import members_of
from siyu.sandbox.core import WeComError, new_id
from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import (
    ContactWay,
    Corp,
    Effect,
    ExternalContact,
    Follow,
    Tag,
    User,
    WelcomeCode,
)

PREFIX = "/sandbox/simulate"
router = APIRouter(prefix=PREFIX, tags=["simulator"])
Json = dict[str, Any]
Wait = Annotated[bool, Query(description="deliver the resulting callbacks before answering")]


class Customer(BaseModel):
    name: str = Field(max_length=64)
    gender: int = Field(0, ge=0, le=2)
    unionid: str = ""
    avatar: str = ""
    external_userid: str = Field("", description="reuse an existing customer")


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def corp_of(session: Session, corp_id: str) -> Corp:
    corp = session.get(Corp, corp_id or DEMO_CORP.corp_id)
    if corp is None:
        raise WeComError(40013)
    return corp


def staff_member(session: Session, corp_id: str, userid: str) -> User:
    found = session.scalar(select(User).where(User.corp_id == corp_id, User.userid == userid))
    if found is None:
        raise WeComError(60111, f"userid not found: {userid}")
    return found


def customer_of(session: Session, corp_id: str, customer: Customer) -> ExternalContact:
    if customer.external_userid:
        found = session.scalar(
            select(ExternalContact).where(
                ExternalContact.corp_id == corp_id,
                ExternalContact.external_userid == customer.external_userid,
            )
        )
        if found is None:
            raise WeComError(40096)
        return found
    row = ExternalContact(
        corp_id=corp_id,
        external_userid=new_id("wm", 28),
        name=customer.name,
        gender=customer.gender,
        unionid=customer.unionid,
        avatar=customer.avatar or "https://wework.qpic.cn/wwhead/sandbox/0",
    )
    session.add(row)
    session.flush()
    return row


def befriend(
    session: Session,
    runtime: Runtime,
    corp: Corp,
    userid: str,
    customer: ExternalContact,
    *,
    add_way: int,
    state: str,
    remark_mobiles: list[str] | None = None,
    oper_userid: str = "",
) -> Json:
    """The customer becomes the staff member's friend: follow row, welcome code, add event.
    ``oper_userid`` is who asked (the customer unless said otherwise)."""
    now = runtime.clock.ts()
    existing = follow(session, corp.corp_id, userid, customer.external_userid)
    if existing is None:
        session.add(
            Follow(
                corp_id=corp.corp_id,
                userid=userid,
                external_userid=customer.external_userid,
                createtime=now,
                add_way=add_way,
                state=state,
                oper_userid=oper_userid or customer.external_userid,
                remark_mobiles=list(remark_mobiles or []),
            )
        )
    elif remark_mobiles:
        existing.remark_mobiles = list(dict.fromkeys([*existing.remark_mobiles, *remark_mobiles]))
    code = new_id("", 43)
    session.add(
        WelcomeCode(
            code=code,
            corp_id=corp.corp_id,
            userid=userid,
            external_userid=customer.external_userid,
            issued_at=now,
        )
    )
    fields: dict[str, callbacks.FieldValue] = {
        "ChangeType": "add_external_contact",
        "UserID": userid,
        "ExternalUserID": customer.external_userid,
    }
    if state:
        fields["State"] = state
    fields["WelcomeCode"] = code
    callbacks.emit(session, runtime, corp, "change_external_contact", fields)
    return {
        "external_userid": customer.external_userid,
        "userid": userid,
        "state": state,
        "welcome_code": code,
    }


def finish(runtime: Runtime, result: Json, wait: bool) -> Json:
    if wait:
        result["callback_attempts"] = callbacks.deliver_pending(runtime)
    return result


class Scan(BaseModel):
    config_id: str
    customer: Customer
    corp_id: str = ""


@router.post("/scan")
def scan(request: Request, body: Scan, wait: Wait = False) -> Json:
    """A customer scans a contact way's QR code and becomes a friend of one of its staff."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        way = session.scalar(select(ContactWay).where(ContactWay.config_id == body.config_id))
        if way is None:
            raise WeComError(41044, "invalid config_id")
        corp = corp_of(session, way.corp_id)
        staff = members_of(
            session, corp.corp_id, list(way.data.get("user", [])), list(way.data.get("party", []))
        )
        if not staff:
            raise WeComError(41041, "contact way has no staff")
        userid = staff[way.picks % len(staff)]  # spread new friends over the staff in turn
        way.picks += 1
        customer = customer_of(session, corp.corp_id, body.customer)
        result = befriend(
            session,
            runtime,
            corp,
            userid,
            customer,
            add_way=1,
            state=str(way.data.get("state", "")),
        )
    return finish(runtime, result, wait)


class AddByPhone(BaseModel):
    userid: str
    customer: Customer
    corp_id: str = ""
    phone: str = Field(
        "",
        max_length=32,
        description="The customer's number, kept as the follow's remark mobile (备注手机号): the "
        "staff member searched it and sent the request, the customer accepted",
    )


@router.post("/add_by_phone")
def add_by_phone(request: Request, body: AddByPhone, wait: Wait = False) -> Json:
    """A friendship found by phone number (add_way 2, 搜索手机号). Without ``phone``: the
    customer searched the staff member's number and added them. With ``phone``: the staff member
    searched the customer's number, sent the request and kept the number as the remark mobile
    (WeCom's client offers to), and the customer accepted — WeCom reports ``remark_mobiles``
    only when someone set it, by hand or through ``externalcontact/remark``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        staff_member(session, corp.corp_id, body.userid)
        customer = customer_of(session, corp.corp_id, body.customer)
        result = befriend(
            session,
            runtime,
            corp,
            body.userid,
            customer,
            add_way=2,
            state="",
            remark_mobiles=[body.phone] if body.phone else None,
            oper_userid=body.userid if body.phone else "",
        )
    return finish(runtime, result, wait)


class Chat(BaseModel):
    userid: str
    external_userid: str
    text: str = Field(min_length=1, max_length=4000)
    sender: Literal["customer", "staff"] = "customer"
    corp_id: str = ""


@router.post("/chat")
def chat(request: Request, body: Chat, wait: Wait = False) -> Json:
    """A line of 1:1 chat, kept in the chat archive with a growing ``seq``; WeCom then sends
    ``msgaudit_notify``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        if follow(session, corp.corp_id, body.userid, body.external_userid) is None:
            raise WeComError(84061)
        sender, receiver = (
            (body.external_userid, body.userid)
            if body.sender == "customer"
            else (body.userid, body.external_userid)
        )
        row = msgaudit.record_chat(
            session,
            corp.corp_id,
            sender=sender,
            receiver=receiver,
            text=body.text,
            msgtime_ms=int(runtime.clock.now() * 1000),
            ts=runtime.clock.ts(),
        )
        msgaudit.notify(session, runtime, corp)
        # The customer has now chatted: a welcome code not yet used is spent (41051).
        for code in session.scalars(
            select(WelcomeCode).where(
                WelcomeCode.corp_id == corp.corp_id,
                WelcomeCode.userid == body.userid,
                WelcomeCode.external_userid == body.external_userid,
                WelcomeCode.used_at.is_(None),
            )
        ):
            code.used_at = runtime.clock.ts()
        result = {"seq": row.seq, "msgid": row.msgid}
    return finish(runtime, result, wait)


class Relation(BaseModel):
    userid: str
    external_userid: str
    corp_id: str = ""


@router.post("/delete_staff")
def delete_staff(request: Request, body: Relation, wait: Wait = False) -> Json:
    """The customer deletes (or blocks) the staff member: ``del_follow_user``."""
    return _unfriend(request, body, wait, "del_follow_user")


@router.post("/staff_delete_customer")
def staff_delete_customer(request: Request, body: Relation, wait: Wait = False) -> Json:
    """The staff member deletes the customer in the client: ``del_external_contact``."""
    return _unfriend(request, body, wait, "del_external_contact")


def _unfriend(request: Request, body: Relation, wait: bool, change_type: str) -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        row = follow(session, corp.corp_id, body.userid, body.external_userid)
        if row is None:
            raise WeComError(84061)
        session.delete(row)
        fields: dict[str, callbacks.FieldValue] = {
            "ChangeType": change_type,
            "UserID": body.userid,
            "ExternalUserID": body.external_userid,
        }
        if change_type == "del_external_contact":
            fields["Source"] = ""
        callbacks.emit(session, runtime, corp, "change_external_contact", fields)
    return finish(runtime, {"deleted": True}, wait)


class EditCustomer(BaseModel):
    userid: str
    external_userid: str
    remark: str | None = Field(None, max_length=20)
    description: str | None = Field(None, max_length=150)
    add_tag: list[str] = []
    remove_tag: list[str] = []
    corp_id: str = ""


@router.post("/edit_customer")
def edit_customer(request: Request, body: EditCustomer, wait: Wait = False) -> Json:
    """The staff member edits a remark or tags in the client: ``edit_external_contact``."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        row = follow(session, corp.corp_id, body.userid, body.external_userid)
        if row is None:
            raise WeComError(84061)
        if body.remark is not None:
            row.remark = body.remark
        if body.description is not None:
            row.description = body.description
        known = set(session.scalars(select(Tag.tag_id).where(Tag.corp_id == corp.corp_id)))
        if set(body.add_tag + body.remove_tag) - known:
            raise WeComError(40068)
        tags = [t for t in row.tag_ids if t not in body.remove_tag]
        row.tag_ids = tags + [t for t in body.add_tag if t not in tags]
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_external_contact",
            {
                "ChangeType": "edit_external_contact",
                "UserID": body.userid,
                "ExternalUserID": body.external_userid,
            },
        )
    return finish(runtime, {"edited": True}, wait)


def effects(
    session: Session, corp_id: str, kind: str = "", since: int = 0, after_id: int = 0
) -> list[Json]:
    query = select(Effect).where(Effect.at >= since, Effect.id > after_id).order_by(Effect.id)
    if corp_id:
        query = query.where(Effect.corp_id == corp_id)
    if kind:
        query = query.where(Effect.kind == kind)
    return [
        {"id": e.id, "corp_id": e.corp_id, "kind": e.kind, "at": e.at, "payload": e.payload}
        for e in session.scalars(query)
    ]
