"""The simulator plays WeCom's 「加入群聊」 join way (群活码): a customer scans its QR code.

WeCom routes the customer to the first listed group that still takes QR joins (fewer than 200
members). When every listed group is full and the way has ``auto_create_room=1``, WeCom opens a
new group named ``room_base_name`` + the next number (``room_base_id``, then +1 for each further
group), owned by the first listed group's owner, adds it to the way's ``chat_id_list`` and puts the
customer in it: a ``create`` callback, then ``update/add_member`` with ``JoinScene`` 3. The
member's ``state`` (the way's) is what ``groupchat/get`` lists for them afterwards.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel
from sqlalchemy import select

from siyu.sandbox.core import WeComError
from siyu.sandbox.simulate import PREFIX, Customer, Json, Wait, corp_of, customer_of, finish
from siyu.sandbox.simulate import runtime_of as runtime_for
from siyu.sandbox.simulate_groups import (
    QR_JOIN_LIMIT,
    add_member,
    is_member,
    member_count,
    new_group,
)
from siyu.sandbox.state import GroupChat, JoinWay

router = APIRouter(prefix=PREFIX, tags=["simulator"])
QR_SCENE = 3


class ScanGroupCode(BaseModel):
    config_id: str
    customer: Customer | None = None
    external_userid: str = ""


@router.post("/scan_group_code")
def scan_group_code(request: Request, body: ScanGroupCode, wait: Wait = False) -> Json:
    """A customer scans a group code; answers which group they joined and whether WeCom opened
    it for them (``created``)."""
    runtime = runtime_for(request)
    with runtime.database.transaction() as session:
        way = session.scalar(select(JoinWay).where(JoinWay.config_id == body.config_id))
        if way is None:
            raise WeComError(41044)
        corp = corp_of(session, way.corp_id)
        customer = customer_of(
            session,
            corp.corp_id,
            body.customer or Customer(name="", external_userid=body.external_userid),
        )
        chat_ids = [str(c) for c in way.data.get("chat_id_list", [])]
        listed = {
            g.chat_id: g
            for g in session.scalars(
                select(GroupChat).where(
                    GroupChat.corp_id == corp.corp_id,
                    GroupChat.chat_id.in_(chat_ids),
                    GroupChat.dismissed.is_(False),
                )
            )
        }
        groups = [listed[c] for c in chat_ids if c in listed]
        for group in groups:
            if is_member(session, group.chat_id, customer.external_userid):
                # Already inside: WeCom opens the chat, nothing changes.
                return {
                    "chat_id": group.chat_id,
                    "external_userid": customer.external_userid,
                    "already_member": True,
                    "created": False,
                }
        target = next((g for g in groups if member_count(session, g.chat_id) < QR_JOIN_LIMIT), None)
        created = False
        if target is None:
            if int(way.data.get("auto_create_room", 1)) != 1:
                raise WeComError(40058, "every group of this join way is full")
            if not groups:
                raise WeComError(90501, "the join way lists no group to take its owner from")
            number = int(way.data.get("room_base_id", 1) or 1) + way.rooms_created
            owner = groups[0].owner
            target = new_group(
                session,
                runtime,
                corp,
                owner=owner,
                name=f"{way.data.get('room_base_name', '')}{number}",
                members=[(owner, 1)],
            )
            way.rooms_created += 1
            way.data = {**way.data, "chat_id_list": [*chat_ids, target.chat_id]}
            created = True
        add_member(
            session,
            runtime,
            corp,
            target,
            customer,
            join_scene=QR_SCENE,
            state=str(way.data.get("state", "")),
        )
        result = {
            "chat_id": target.chat_id,
            "external_userid": customer.external_userid,
            "already_member": False,
            "created": created,
        }
    return finish(runtime, result, wait)
