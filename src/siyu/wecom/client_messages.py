"""WeCom's mass-message calls (企业群发): create a task for one member, list the corp's mass
messages, read who confirmed and what each recipient got, remind and cancel. Mixed into
:class:`siyu.wecom.client.WeComClient`."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from siyu.wecom import schemas
from siyu.wecom.schemas_messages import (
    GroupMsgList,
    GroupMsgSendResult,
    GroupMsgTaskList,
    MsgTemplateCreated,
)

M = TypeVar("M", bound=BaseModel)
BASE = "/cgi-bin/externalcontact/"
ADD_MSG_TEMPLATE = BASE + "add_msg_template"


class MassMessageCalls:
    def post(
        self,
        path: str,
        model: type[M],
        body: dict[str, Any],
        *,
        idempotent: bool = False,
        slow_down: bool = True,
    ) -> M:
        raise NotImplementedError

    def add_msg_template(self, body: dict[str, Any]) -> MsgTemplateCreated:
        """Create one mass-message task (the member confirms it in the client). Not idempotent:
        each call makes a task, so it is never retried after WeCom may have acted, and a rate
        limit is handed back at once (the caller reschedules instead of holding a worker)."""
        return self.post(ADD_MSG_TEMPLATE, MsgTemplateCreated, body, slow_down=False)

    def list_group_msgs(
        self, chat_type: str, start: int, end: int, *, creator: str = "", cursor: str = ""
    ) -> GroupMsgList:
        """One page of the corp-created mass messages (filter_type 0) made between two times
        (WeCom allows at most a month between them)."""
        body: dict[str, Any] = {
            "chat_type": chat_type,
            "start_time": start,
            "end_time": end,
            "filter_type": 0,
            "limit": 100,
            "cursor": cursor,
        }
        if creator:
            body["creator"] = creator
        path = BASE + "get_groupmsg_list_v2"
        return self.post(path, GroupMsgList, body, idempotent=True)

    def group_msg_tasks(self, msgid: str, cursor: str = "") -> GroupMsgTaskList:
        body = {"msgid": msgid, "limit": 1000, "cursor": cursor}
        return self.post(BASE + "get_groupmsg_task", GroupMsgTaskList, body, idempotent=True)

    def group_msg_results(self, msgid: str, userid: str, cursor: str = "") -> GroupMsgSendResult:
        body = {"msgid": msgid, "userid": userid, "limit": 1000, "cursor": cursor}
        path = BASE + "get_groupmsg_send_result"
        return self.post(path, GroupMsgSendResult, body, idempotent=True)

    def remind_group_msg(self, msgid: str) -> None:
        body = {"msgid": msgid}
        self.post(BASE + "remind_groupmsg_send", schemas.Reply, body)

    def cancel_group_msg(self, msgid: str) -> None:
        body = {"msgid": msgid}
        self.post(BASE + "cancel_groupmsg_send", schemas.Reply, body, idempotent=True)
