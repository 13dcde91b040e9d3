"""WeCom's Moments calls (客户朋友圈): create a moment task, read how it went, list the corp's
moments, each account's publish status, and cancel. Mixed into
:class:`siyu.wecom.client.WeComClient`."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from siyu.wecom import schemas

M = TypeVar("M", bound=BaseModel)
BASE = "/cgi-bin/externalcontact/"
# WeCom pages the moment list by at most 20 and spans at most a month.
LIST_LIMIT = 20
TASK_LIMIT = 1000


class MomentCalls:
    def get(self, path: str, model: type[M], **params: Any) -> M:
        raise NotImplementedError

    def post(
        self, path: str, model: type[M], body: dict[str, Any], *, idempotent: bool = False
    ) -> M:
        raise NotImplementedError

    def add_moment_task(self, body: dict[str, Any]) -> str:
        """Create a moment task; answers its jobid. Not idempotent: each call makes a task."""
        return self.post(BASE + "add_moment_task", schemas.MomentTaskCreated, body).jobid

    def get_moment_task_result(self, jobid: str) -> schemas.MomentTaskResult:
        return self.get(BASE + "get_moment_task_result", schemas.MomentTaskResult, jobid=jobid)

    def get_moment_list(
        self, start_time: int, end_time: int, *, filter_type: int = 0, cursor: str = ""
    ) -> schemas.MomentList:
        """One page of the corp's moments created in the window (``filter_type`` 0: made by
        the corp, 1: by members, 2: both)."""
        body = {
            "start_time": start_time,
            "end_time": end_time,
            "filter_type": filter_type,
            "cursor": cursor,
            "limit": LIST_LIMIT,
        }
        return self.post(BASE + "get_moment_list", schemas.MomentList, body, idempotent=True)

    def get_moment_task(self, moment_id: str, cursor: str = "") -> schemas.MomentTaskList:
        """One page of the accounts a corp moment was given to, with ``publish_status``."""
        body = {"moment_id": moment_id, "cursor": cursor, "limit": TASK_LIMIT}
        return self.post(BASE + "get_moment_task", schemas.MomentTaskList, body, idempotent=True)

    def get_moment_comments(self, moment_id: str, userid: str) -> schemas.MomentComments:
        """The likes and comments on one account's copy of a moment."""
        body = {"moment_id": moment_id, "userid": userid}
        return self.post(
            BASE + "get_moment_comments", schemas.MomentComments, body, idempotent=True
        )

    def cancel_moment_task(self, moment_id: str) -> None:
        body = {"moment_id": moment_id}
        self.post(BASE + "cancel_moment_task", schemas.Reply, body, idempotent=True)
