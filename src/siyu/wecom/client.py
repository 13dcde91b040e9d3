"""A small typed WeCom client over httpx.

- The access token is cached per (corp, secret) across processes by :class:`TokenStore` and
  refreshed once when WeCom says it is invalid (40001/40014/42001) — one fetch even when many
  workers see the expiry together.
- Network errors, 5xx and ``-1`` (system busy) are retried with jittered backoff; rate limits
  (45009/45033) slow down instead of failing at once.
- Every other error becomes the typed exception of :mod:`siyu.wecom.errors`.
- Responses are validated into :mod:`siyu.wecom.schemas` models.
- The base URL is a setting, so the same client talks to WeCom or to the sandbox.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from siyu.wecom import schemas
from siyu.wecom.client_groups import GroupCalls
from siyu.wecom.client_media import MediaCalls
from siyu.wecom.client_messages import MassMessageCalls
from siyu.wecom.client_moments import MomentCalls
from siyu.wecom.errors import (
    NotAFriend,
    RateLimited,
    TokenInvalid,
    UnexpectedResponse,
    WeComError,
    WeComUnavailable,
    error_for,
)
from siyu.wecom.tokens import TokenStore

log = logging.getLogger("siyu.wecom")

M = TypeVar("M", bound=BaseModel)

TOKEN_ERRORS = frozenset({40001, 40014, 42001})
TOKEN_PATH = "/cgi-bin/gettoken"  # noqa: S105 - a path, not a secret


class WeComClient(GroupCalls, MediaCalls, MassMessageCalls, MomentCalls):
    def __init__(
        self,
        corp_id: str,
        secret: str,
        *,
        tokens: TokenStore,
        base_url: str = "https://qyapi.weixin.qq.com",
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        rate_limit_budget: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.tokens = tokens
        self.base_url = base_url.rstrip("/")
        self.http = http or httpx.Client(timeout=timeout)
        self.retries = retries
        self.rate_limit_budget = rate_limit_budget
        self.sleep = sleep

    # --- plumbing -----------------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        params: dict[str, Any],
        body: Any,
        *,
        idempotent: bool = True,
        slow_down: bool = True,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> dict[str, Any]:
        """One HTTP exchange with retries for the network, 5xx, -1 and rate limits.

        A call that is not idempotent (sending a message, starting a transfer) is retried only
        when WeCom cannot have acted on it: the connection was never made, or WeCom said busy
        (-1). After a timeout or a 5xx it may have acted, so the error goes to the caller, whose
        idempotency record decides what happened."""
        attempt = 0
        slowed = 0.0
        while True:
            attempt += 1
            try:
                response = self.http.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=body if files is None else None,
                    files=files,
                )
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                if attempt > self.retries or not (idempotent or never_sent):
                    raise WeComUnavailable(endpoint=path, reason=type(exc).__name__) from exc
                self._backoff(attempt)
                continue
            if response.status_code >= 500:
                if attempt > self.retries or not idempotent:
                    raise WeComUnavailable(endpoint=path, reason=f"HTTP {response.status_code}")
                self._backoff(attempt)
                continue
            try:
                data = response.json()
            except ValueError:
                raise UnexpectedResponse(endpoint=path, problem="the body is not JSON") from None
            if not isinstance(data, dict):
                raise UnexpectedResponse(endpoint=path, problem="the body is not a JSON object")
            errcode = data.get("errcode", 0)
            if errcode == -1 and attempt <= self.retries:
                self._backoff(attempt)
                continue
            if errcode in RateLimited.errcodes and slow_down and slowed < self.rate_limit_budget:
                # Slow down rather than fail: WeCom's minute window clears by itself.
                delay = min(2.0 ** min(attempt, 5), self.rate_limit_budget - slowed)
                log.warning("WeCom rate limit %s on %s; waiting %.1fs", errcode, path, delay)
                self.sleep(delay)
                slowed += delay
                continue
            return data

    def _backoff(self, attempt: int) -> None:
        self.sleep(min(0.5 * 2 ** (attempt - 1), 8.0) * random.uniform(0.5, 1.5))  # noqa: S311

    def fetch_token(self) -> tuple[str, int]:
        params = {"corpid": self.corp_id, "corpsecret": self.secret}
        # No slowing down here: other processes may be waiting for this token.
        data = self._send("GET", TOKEN_PATH, params, None, slow_down=False)
        reply = self._parse(TOKEN_PATH, data, schemas.TokenReply)
        return reply.access_token, reply.expires_in

    def _parse(self, path: str, data: dict[str, Any], model: type[M]) -> M:
        errcode = data.get("errcode", 0)
        if errcode:
            raise error_for(int(errcode), str(data.get("errmsg", "")), path)
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(part) for part in first["loc"]) or "(root)"
            raise UnexpectedResponse(
                endpoint=path, problem=f"field {field}: {first['msg']}"
            ) from None

    def call(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        slow_down: bool = True,
        files: dict[str, tuple[str, bytes, str]] | None = None,
    ) -> M:
        """Call a WeCom API with the access token; refresh the token once if WeCom says so.
        GETs are idempotent; a POST is only if the caller says so (a read such as
        ``batch/get_by_user``)."""
        safe = method == "GET" if idempotent is None else idempotent
        refreshed = False
        while True:
            token = self.tokens.get(self.corp_id, self.secret, self.fetch_token)
            query = {**(params or {}), "access_token": token}
            data = self._send(
                method, path, query, body, idempotent=safe, slow_down=slow_down, files=files
            )
            errcode = data.get("errcode", 0)
            if errcode in TOKEN_ERRORS and not refreshed:
                self.tokens.invalidate(self.corp_id, self.secret, token)
                refreshed = True
                continue
            if errcode in TOKEN_ERRORS:
                raise TokenInvalid(int(errcode), str(data.get("errmsg", "")), path)
            return self._parse(path, data, model)

    def get(self, path: str, model: type[M], **params: Any) -> M:
        return self.call("GET", path, model, params=params)

    def post(
        self,
        path: str,
        model: type[M],
        body: dict[str, Any],
        *,
        idempotent: bool = False,
        slow_down: bool = True,
    ) -> M:
        return self.call("POST", path, model, body=body, idempotent=idempotent, slow_down=slow_down)

    def upload(
        self, path: str, model: type[M], params: dict[str, Any], file: tuple[str, bytes, str]
    ) -> M:
        """POST one file as the multipart field ``media`` (WeCom's name for it)."""
        return self.call("POST", path, model, params=params, files={"media": file}, idempotent=True)

    # --- organisation -------------------------------------------------------------------

    def list_departments(self, department_id: int | None = None) -> list[schemas.Department]:
        params = {"id": department_id} if department_id is not None else {}
        return self.get("/cgi-bin/department/list", schemas.DepartmentList, **params).department

    def list_members(self, department_id: int, *, recursive: bool = True) -> list[schemas.Member]:
        params: dict[str, Any] = {"department_id": department_id}
        if recursive:
            params["fetch_child"] = 1
        return self.get("/cgi-bin/user/list", schemas.MemberList, **params).userlist

    # --- customer contact ---------------------------------------------------------------

    def get_follow_user_list(self) -> list[str]:
        path = "/cgi-bin/externalcontact/get_follow_user_list"
        return self.get(path, schemas.FollowUserList).follow_user

    def list_external_contacts(self, userid: str) -> list[str]:
        """The member's customers; WeCom answers 84061 for a member who has none."""
        path = "/cgi-bin/externalcontact/list"
        try:
            return self.get(path, schemas.ExternalUserIdList, userid=userid).external_userid
        except NotAFriend:
            return []

    def get_external_contact(
        self, external_userid: str, cursor: str = ""
    ) -> schemas.ExternalContactDetail:
        path = "/cgi-bin/externalcontact/get"
        params = {"external_userid": external_userid}
        if cursor:
            params["cursor"] = cursor
        return self.get(path, schemas.ExternalContactDetail, **params)

    def batch_get_by_user(
        self, userids: list[str], cursor: str = "", limit: int = 100
    ) -> schemas.ContactsByUser:
        body = {"userid_list": userids, "cursor": cursor, "limit": limit}
        path = "/cgi-bin/externalcontact/batch/get_by_user"
        return self.post(path, schemas.ContactsByUser, body, idempotent=True)

    def get_corp_tag_list(
        self, tag_ids: list[str] | None = None, group_ids: list[str] | None = None
    ) -> list[schemas.CorpTagGroup]:
        body = {"tag_id": tag_ids or [], "group_id": group_ids or []}
        path = "/cgi-bin/externalcontact/get_corp_tag_list"
        return self.post(path, schemas.CorpTagList, body, idempotent=True).tag_group

    def add_corp_tag(
        self, tags: list[str], *, group_id: str = "", group_name: str = "", order: int = 0
    ) -> schemas.CorpTagGroup:
        """Add tags to a group (by id), or to the group of that name (made when missing)."""
        body: dict[str, Any] = {"tag": [{"name": name} for name in tags]}
        if group_id:
            body["group_id"] = group_id
        else:
            body |= {"group_name": group_name, "order": order}
        path = "/cgi-bin/externalcontact/add_corp_tag"
        return self.post(path, schemas.AddedTagGroup, body).tag_group

    def edit_corp_tag(
        self, item_id: str, *, name: str | None = None, order: int | None = None
    ) -> None:
        """Rename or reorder a tag or a tag group (WeCom tells them apart by the id)."""
        body: dict[str, Any] = {"id": item_id}
        if name is not None:
            body["name"] = name
        if order is not None:
            body["order"] = order
        self.post("/cgi-bin/externalcontact/edit_corp_tag", schemas.Reply, body, idempotent=True)

    def del_corp_tag(
        self, tag_ids: list[str] | None = None, group_ids: list[str] | None = None
    ) -> None:
        body = {"tag_id": tag_ids or [], "group_id": group_ids or []}
        self.post("/cgi-bin/externalcontact/del_corp_tag", schemas.Reply, body, idempotent=True)

    def mark_tag(
        self, userid: str, external_userid: str, add: list[str], remove: list[str]
    ) -> None:
        """Tag one friendship. Setting tags is idempotent on WeCom's side."""
        body = {
            "userid": userid,
            "external_userid": external_userid,
            "add_tag": add,
            "remove_tag": remove,
        }
        self.post("/cgi-bin/externalcontact/mark_tag", schemas.Reply, body, idempotent=True)

    def remark(
        self, userid: str, external_userid: str, *, remark: str = "", description: str = ""
    ) -> None:
        """Set a member's remark (≤20 chars) and description (≤150) for a customer."""
        body: dict[str, Any] = {"userid": userid, "external_userid": external_userid}
        if remark:
            body["remark"] = remark[:20]
        if description:
            body["description"] = description[:150]
        self.post("/cgi-bin/externalcontact/remark", schemas.Reply, body, idempotent=True)

    # --- contact ways (联系我) and welcome messages ----------------------------------------

    def add_contact_way(self, body: dict[str, Any]) -> schemas.ContactWayAdded:
        """Make a contact way. Not idempotent: the caller marks its ``state`` first and, after
        an answer it never saw, finds the way by that state (:meth:`find_contact_way`)."""
        path = "/cgi-bin/externalcontact/add_contact_way"
        return self.post(path, schemas.ContactWayAdded, body)

    def get_contact_way(self, config_id: str) -> schemas.ContactWay:
        path = "/cgi-bin/externalcontact/get_contact_way"
        body = {"config_id": config_id}
        return self.post(path, schemas.ContactWayGot, body, idempotent=True).contact_way

    def update_contact_way(self, body: dict[str, Any]) -> None:
        """Overwrite a way's settings; ``user`` replaces its member list (no new QR)."""
        path = "/cgi-bin/externalcontact/update_contact_way"
        self.post(path, schemas.Reply, body, idempotent=True)

    def del_contact_way(self, config_id: str) -> None:
        path = "/cgi-bin/externalcontact/del_contact_way"
        self.post(path, schemas.Reply, {"config_id": config_id}, idempotent=True)

    def find_contact_way(self, state: str, since: int, until: int) -> schemas.ContactWay | None:
        """The way made (through the API, from ``since``) with this state, if any: how an add
        whose answer was lost is recognised instead of made twice. WeCom lists ≤90 days."""
        cursor = ""
        path = "/cgi-bin/externalcontact/list_contact_way"
        while True:
            body = {"start_time": since, "end_time": until, "cursor": cursor, "limit": 1000}
            page = self.post(path, schemas.ContactWayList, body, idempotent=True)
            for item in page.contact_way:
                way = self.get_contact_way(item.config_id)
                if way.state == state:
                    return way
            if not page.next_cursor:
                return None
            cursor = page.next_cursor

    def fetch_image(self, url: str, max_bytes: int = 4 * 1024 * 1024) -> bytes:
        """An image WeCom links to (a contact way's ``qr_code``), no token needed."""
        try:
            response = self.http.get(url, follow_redirects=True)
        except httpx.TransportError as exc:
            raise WeComUnavailable(endpoint=url, reason=type(exc).__name__) from exc
        if response.status_code != 200 or len(response.content) > max_bytes:
            raise WeComUnavailable(endpoint=url, reason=f"HTTP {response.status_code}")
        return response.content

    def send_welcome_msg(self, welcome_code: str, content: dict[str, Any]) -> None:
        """Greet a new friend: ``content`` holds ``text{content}`` and/or ``attachments``. The
        welcome code is good once, for 20 seconds; WeCom refuses it a second time (41051)."""
        path = "/cgi-bin/externalcontact/send_welcome_msg"
        self.post(path, schemas.Reply, {"welcome_code": welcome_code, **content})

    # --- succession (在职继承 / 离职继承) ------------------------------------------------

    def transfer_customer(
        self,
        handover_userid: str,
        takeover_userid: str,
        external_userids: list[str],
        *,
        message: str = "",
        resigned: bool = False,
    ) -> list[schemas.TransferOutcome]:
        """Begin transferring up to 100 customers; the answer has an errcode per customer. Not
        idempotent on WeCom's side: the caller records that it is asking before it asks."""
        body: dict[str, Any] = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "external_userid": external_userids,
        }
        if message and not resigned:
            body["transfer_success_msg"] = message
        path = "/cgi-bin/externalcontact/" + (
            "resigned/transfer_customer" if resigned else "transfer_customer"
        )
        return self.post(path, schemas.TransferStarted, body).customer

    def transfer_result(
        self,
        handover_userid: str,
        takeover_userid: str,
        cursor: str = "",
        *,
        resigned: bool = False,
    ) -> schemas.TransferResults:
        """One page of the customers transferred from one account to another, with status."""
        body = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "cursor": cursor,
        }
        path = "/cgi-bin/externalcontact/" + (
            "resigned/transfer_result" if resigned else "transfer_result"
        )
        return self.post(path, schemas.TransferResults, body, idempotent=True)

    def get_unassigned_list(
        self, cursor: str = "", page_size: int = 1000
    ) -> schemas.UnassignedList:
        """One page of the customers of staff who left, not yet given to anyone (离职待分配)."""
        body = {"cursor": cursor, "page_size": page_size}
        path = "/cgi-bin/externalcontact/get_unassigned_list"
        return self.post(path, schemas.UnassignedList, body, idempotent=True)


__all__ = ["WeComClient", "WeComError"]
