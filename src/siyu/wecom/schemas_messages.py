"""WeCom's answers about mass messages (企业群发): the task created, the corp's list of mass
messages, each member's confirmation and each recipient's result."""

from __future__ import annotations

from pydantic import Field

from siyu.wecom.schemas import Reply, WeComModel


class MsgTemplateCreated(Reply):
    msgid: str
    fail_list: list[str] = Field(default_factory=list)


class GroupMsg(WeComModel):
    msgid: str
    creator: str = ""
    create_time: int = 0
    create_type: int = 0  # 0 created by the corp (the API), 1 by a member


class GroupMsgList(Reply):
    group_msg_list: list[GroupMsg] = Field(default_factory=list)
    next_cursor: str = ""


class GroupMsgTask(WeComModel):
    userid: str
    status: int = 0  # 0 not sent yet, 2 sent
    send_time: int | None = None


class GroupMsgTaskList(Reply):
    task_list: list[GroupMsgTask] = Field(default_factory=list)
    next_cursor: str = ""


class GroupMsgSend(WeComModel):
    userid: str = ""
    external_userid: str = ""
    chat_id: str = ""
    # 0 not sent, 1 sent, 2 not a friend (any more), 3 over the customer's receive limit
    status: int = 0
    send_time: int | None = None


class GroupMsgSendResult(Reply):
    send_list: list[GroupMsgSend] = Field(default_factory=list)
    next_cursor: str = ""
