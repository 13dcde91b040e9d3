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

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.sandbox import callbacks
from siyu.sandbox.core import new_id
from siyu.sandbox.demo import DEMO_CORP, DEMO_GROUPS
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.state import ChatMessage, Corp, GroupMember

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
    roomid: str = "",
) -> ChatMessage:
    """Keep one text message in the archive (the seq grows with every message): 1:1 to
    ``receiver``, or said in the group ``roomid``."""
    row = ChatMessage(
        corp_id=corp_id,
        msgid=new_id("", 20) + "_" + str(ts),
        sender=sender,
        receiver=receiver,
        roomid=roomid,
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


def decrypted(session: Session, rows: Sequence[ChatMessage]) -> list[Json]:
    """The messages as WeCom's DecryptData gives them. A group message (``roomid``) goes to
    everyone else in the group."""
    members: dict[str, list[str]] = defaultdict(list)
    rooms = {m.roomid for m in rows if m.roomid}
    if rooms:
        for chat_id, userid in session.execute(
            select(GroupMember.chat_id, GroupMember.userid).where(GroupMember.chat_id.in_(rooms))
        ):
            members[chat_id].append(userid)
    return [
        {
            "msgid": m.msgid,
            "action": "send",
            "from": m.sender,
            "tolist": [u for u in members[m.roomid] if u != m.sender] if m.roomid else [m.receiver],
            "roomid": m.roomid,
            "msgtime": m.msgtime,
            "msgtype": m.msgtype,
            "text": {"content": m.content},
        }
        for m in rows
    ]


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
        ).all()
        chatdata = [
            {"seq": m.seq, "msgid": m.msgid, "publickey_ver": 1, "message": message}
            for m, message in zip(rows, decrypted(session, rows), strict=True)
        ]
        return {"errcode": 0, "errmsg": "ok", "chatdata": chatdata}


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


# A week of talk in the demo's customer groups: messages per day, oldest first, for each group
# (in DEMO_GROUPS' order), and what is said there in turn.
DEMO_GROUP_DAYS = ((14, 9, 22, 11, 8, 31, 17), (6, 4, 9, 3, 12, 7, 5), (3, 5, 2, 8, 4, 6, 9), ())
DEMO_GROUP_LINES = (
    "今天有什么新品吗？",
    "下午茶拼团算我一个",
    "周末门店人多吗",
    "上次的蛋糕很好吃👍",
    "群里的优惠券怎么用？",
    "收到，谢谢～",
    "几点开始排队呀",
)


def seed_group_chats(session: Session, now: int, corp_id: str = DEMO_CORP.corp_id) -> int:
    """A week of messages in the demo's customer groups (once, with the groups' members as the
    speakers). Returns the messages added."""
    first = DEMO_GROUPS[0][0]
    if session.scalar(select(ChatMessage.seq).where(ChatMessage.roomid == first).limit(1)):
        return 0
    added = 0
    for (chat_id, *_rest), per_day in zip(DEMO_GROUPS, DEMO_GROUP_DAYS, strict=True):
        speakers = sorted(
            session.scalars(select(GroupMember.userid).where(GroupMember.chat_id == chat_id))
        )[:12]
        if not speakers:
            continue
        for days_ago, count in zip(range(len(per_day), 0, -1), per_day, strict=True):
            for n in range(count):
                at = now - days_ago * 86400 + 9 * 3600 + n * 1500  # through the day
                record_chat(
                    session,
                    corp_id,
                    sender=speakers[(added + n) % len(speakers)],
                    receiver="",
                    roomid=chat_id,
                    text=DEMO_GROUP_LINES[(added + n) % len(DEMO_GROUP_LINES)],
                    msgtime_ms=at * 1000,
                    ts=at,
                )
            added += count
    return added
