"""WeCom's customer-group calls: ``groupchat/list|get``, join ways (群活码) and the group welcome
template library. Mixed into :class:`siyu.wecom.client.WeComClient`."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from siyu.wecom import schemas

M = TypeVar("M", bound=BaseModel)
BASE = "/cgi-bin/externalcontact/"


class GroupCalls:
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

    def list_group_chats(
        self, *, cursor: str = "", limit: int = 1000, owners: list[str] | None = None
    ) -> schemas.GroupChatList:
        """One page of the corp's groups (dismissed ones are not listed). Without ``owners``
        WeCom answers 81017 when more than 1000 members are visible to the app."""
        body: dict[str, Any] = {"status_filter": 0, "cursor": cursor, "limit": limit}
        if owners:
            body["owner_filter"] = {"userid_list": owners}
        return self.post(BASE + "groupchat/list", schemas.GroupChatList, body, idempotent=True)

    def get_group_chat(self, chat_id: str) -> schemas.GroupChatDetail:
        body = {"chat_id": chat_id, "need_name": 1}
        path = BASE + "groupchat/get"
        return self.post(path, schemas.GroupChatReply, body, idempotent=True).group_chat

    def add_join_way(self, config: dict[str, Any]) -> str:
        """Create a 「加入群聊」 way; answers its config_id. Not idempotent: each call makes one."""
        return self.post(BASE + "groupchat/add_join_way", schemas.JoinWayCreated, config).config_id

    def get_join_way(self, config_id: str) -> schemas.JoinWay:
        body = {"config_id": config_id}
        path = BASE + "groupchat/get_join_way"
        return self.post(path, schemas.JoinWayReply, body, idempotent=True).join_way

    def update_join_way(self, config_id: str, config: dict[str, Any]) -> None:
        """Replace a way's settings (WeCom takes the whole configuration again)."""
        body = {"config_id": config_id, **config}
        self.post(BASE + "groupchat/update_join_way", schemas.Reply, body, idempotent=True)

    def del_join_way(self, config_id: str) -> None:
        body = {"config_id": config_id}
        self.post(BASE + "groupchat/del_join_way", schemas.Reply, body, idempotent=True)

    def add_group_welcome_template(self, content: dict[str, Any]) -> str:
        path = BASE + "group_welcome_template/add"
        return self.post(path, schemas.WelcomeTemplateCreated, content).template_id

    def edit_group_welcome_template(self, template_id: str, content: dict[str, Any]) -> None:
        body = {"template_id": template_id, **content}
        path = BASE + "group_welcome_template/edit"
        self.post(path, schemas.Reply, body, idempotent=True)

    def get_group_welcome_template(self, template_id: str) -> schemas.WelcomeTemplateReply:
        body = {"template_id": template_id}
        path = BASE + "group_welcome_template/get"
        return self.post(path, schemas.WelcomeTemplateReply, body, idempotent=True)

    def del_group_welcome_template(self, template_id: str) -> None:
        body = {"template_id": template_id}
        path = BASE + "group_welcome_template/del"
        self.post(path, schemas.Reply, body, idempotent=True)
