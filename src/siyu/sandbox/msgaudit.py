"""The chat archive (会话存档) of the sandbox: the chat log served as WeCom's GetChatData serves it,
and the ``msgaudit_notify`` callback when new chat data is there.

Real WeCom has no HTTP endpoint for this: the Finance SDK fetches encrypted pages. The sandbox
keeps the SDK's cursor semantics — messages with a seq greater than the one asked for, at most
``limit`` (1–1000), in seq order — and hands each message already decrypted:
``{"errcode": 0, "errmsg": "ok", "chatdata": [{seq, msgid, publickey_ver, message}]}`` where
``message`` is the JSON WeCom's DecryptData gives (msgid, action, from, tolist, roomid, msgtime
in ms, msgtype, text.content). A limit outside 1–1000 is refused with 10000 (the SDK's
"parameter error" [M: code from third-party notes]).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox import callbacks
from siyu.sandbox.core import new_id
from siyu.sandbox.demo import DEMO_CORP
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import ChatMessage, Corp

router = APIRouter(prefix="/sandbox/msgaudit", tags=["chat archive"])
Json = dict[str, Any]
MAX_LIMIT = 1000
# The chat archive's fixed app id in WeCom's callbacks [M: from third-party notes].
MSGAUDIT_AGENT_ID = 2000004


def record_chat(
    session: Session,
    corp_id: str,
    *,
    sender: str,
    receiver: str,
    text: str,
    msgtime_ms: int,
    ts: int,
) -> ChatMessage:
    """Keep one 1:1 text message in the archive (the seq grows with every message)."""
    row = ChatMessage(
        corp_id=corp_id,
        msgid=new_id("", 20) + "_" + str(ts),
        sender=sender,
        receiver=receiver,
        content=text,
        msgtime=msgtime_ms,
    )
    session.add(row)
    session.flush()
    return row


def notify(session: Session, runtime: Runtime, corp: Corp) -> None:
    """``msgaudit_notify``: new chat data is available. WeCom sends it to the archive's callback
    URL at most every ~15 s; the sandbox sends one per new message, to the corp's callback URL,
    with the chat archive's AgentID and nothing else [M: the event's exact fields]."""
    callbacks.emit(session, runtime, corp, "msgaudit_notify", {"AgentID": MSGAUDIT_AGENT_ID})


class ChatDataRequest(BaseModel):
    corpid: str = ""
    seq: int = Field(0, ge=0)
    limit: int = 100


def _entry(message: ChatMessage) -> Json:
    return {
        "seq": message.seq,
        "msgid": message.msgid,
        "publickey_ver": 1,
        "message": {
            "msgid": message.msgid,
            "action": "send",
            "from": message.sender,
            "tolist": [message.receiver],
            "roomid": message.roomid,
            "msgtime": message.msgtime,
            "msgtype": message.msgtype,
            "text": {"content": message.content},
        },
    }


@router.post("/chatdata")
def chat_data(request: Request, body: ChatDataRequest) -> Json:
    """GetChatData: the corp's messages after ``seq``, at most ``limit`` (≤ 1000)."""
    runtime: Runtime = request.app.state.runtime
    if not 1 <= body.limit <= MAX_LIMIT:
        return {"errcode": 10000, "errmsg": f"limit must be 1-{MAX_LIMIT}", "chatdata": []}
    corp_id = body.corpid or DEMO_CORP.corp_id
    with runtime.database.transaction() as session:
        if session.get(Corp, corp_id) is None:
            return {"errcode": 10000, "errmsg": "unknown corpid", "chatdata": []}
        rows = session.scalars(
            select(ChatMessage)
            .where(ChatMessage.corp_id == corp_id, ChatMessage.seq > body.seq)
            .order_by(ChatMessage.seq)
            .limit(body.limit)
        )
        return {"errcode": 0, "errmsg": "ok", "chatdata": [_entry(m) for m in rows]}


# --- the demo's chats ------------------------------------------------------------------------

# A 兴趣偏好 tag group for the demo's keyword rules, and what the demo customers said:
# (external_userid, staff userid, sender "customer" | "staff", minutes before seeding, text).
DEMO_TAG_GROUP = (
    "兴趣偏好",
    "etSiyuDemoGroupInterestAAAA",
    (
        ("亲子", "etSiyuDemoTagFamilyAAAA"),
        ("团餐", "etSiyuDemoTagGroupMealAAAA"),
        ("过敏", "etSiyuDemoTagAllergyAAAA"),
    ),
)
DEMO_CHATS: tuple[tuple[str, str, str, int, str], ...] = (
    ("wmSiyuDemoCust0001AAAAAAAAAAAA", "wangfang", "customer", 300, "周六中午想带宝宝过来吃饭😊"),
    ("wmSiyuDemoCust0001AAAAAAAAAAAA", "wangfang", "customer", 299, "店里有宝宝椅吗？"),
    ("wmSiyuDemoCust0001AAAAAAAAAAAA", "wangfang", "staff", 296, "有的刘姐，给您留一把宝宝椅～"),
    ("wmSiyuDemoCust0002AAAAAAAAAAAA", "wangfang", "customer", 240, "下个月公司团建，20个人左右"),
    ("wmSiyuDemoCust0002AAAAAAAAAAAA", "wangfang", "customer", 239, "有没有能坐20人的包间？"),
    ("wmSiyuDemoCust0002AAAAAAAAAAAA", "wangfang", "staff", 230, "有的赵先生，大包间能坐24位"),
    ("wmSiyuDemoCust0003AAAAAAAAAAAA", "chenjie", "customer", 180, "我对花生过敏，菜里能不放吗"),
    ("wmSiyuDemoCust0003AAAAAAAAAAAA", "chenjie", "staff", 178, "好的，已经备注给后厨了"),
    ("wmSiyuDemoCust0004AAAAAAAAAAAA", "chenjie", "customer", 120, "年底年会想订餐，大概50人"),
    ("wmSiyuDemoCust0004AAAAAAAAAAAA", "chenjie", "customer", 119, "有几位同事不吃辣"),
    ("wmSiyuDemoCust0004AAAAAAAAAAAA", "chenjie", "staff", 110, "周总好，我把年会套餐发您"),
    ("wmSiyuDemoCust0005AAAAAAAAAAAA", "wangfang", "customer", 60, "孩子6岁，有儿童餐吗？"),
    ("wmSiyuDemoCust0005AAAAAAAAAAAA", "wangfang", "staff", 58, "有的，儿童餐送小玩具哦"),
    ("wmSiyuDemoCust0006AAAAAAAAAAAA", "liwen", "customer", 30, "今天营业到几点？"),
    ("wmSiyuDemoCust0006AAAAAAAAAAAA", "liwen", "staff", 29, "晚上十点，欢迎光临～"),
)


def seed_chats(session: Session, now: int, corp_id: str = DEMO_CORP.corp_id) -> int:
    """The demo corp's 兴趣偏好 tags and its customers' chats (once). Returns the messages added.
    Only ``serve`` seeds them (with the crowd): tests start from an empty archive."""
    from siyu.sandbox.state import Tag, TagGroup

    group_name, group_id, tags = DEMO_TAG_GROUP
    if session.scalar(select(TagGroup.id).where(TagGroup.group_id == group_id)) is not None:
        return 0
    session.add(TagGroup(corp_id=corp_id, group_id=group_id, name=group_name, create_time=now))
    for order, (name, tag_id) in enumerate(tags):
        session.add(
            Tag(
                corp_id=corp_id,
                tag_id=tag_id,
                group_id=group_id,
                name=name,
                order=order,
                create_time=now,
            )
        )
    for external, userid, side, minutes, text in DEMO_CHATS:
        sender, receiver = (external, userid) if side == "customer" else (userid, external)
        at = now - minutes * 60
        record_chat(
            session,
            corp_id,
            sender=sender,
            receiver=receiver,
            text=text,
            msgtime_ms=at * 1000,
            ts=at,
        )
    return len(DEMO_CHATS)
