"""The simulator's staff in the client: confirm mass messages, publish moments; and customers
liking or commenting on those moments, and answering a transfer."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select

from siyu.sandbox import callbacks
from siyu.sandbox.api import mass_messages, moments, transfer
from siyu.sandbox.api.base import follow
from siyu.sandbox.core import WeComError
from siyu.sandbox.simulate import PREFIX, Json, Wait, corp_of, finish, runtime_of
from siyu.sandbox.state import Transfer

router = APIRouter(prefix=PREFIX, tags=["simulator"])


class ConfirmMass(BaseModel):
    msgid: str
    userid: str
    corp_id: str = ""


@router.post("/confirm_mass")
def confirm_mass(request: Request, body: ConfirmMass) -> Json:
    """The staff member confirms a mass message: delivered within the receive limits."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        return mass_messages.confirm(session, corp, body.msgid, body.userid, runtime.clock.ts())


class PublishMoment(BaseModel):
    moment_id: str
    userid: str
    corp_id: str = ""


@router.post("/publish_moment")
def publish_moment(request: Request, body: PublishMoment) -> Json:
    """The staff member publishes a moment task to their Moments."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        return moments.publish(
            session, corp.corp_id, body.moment_id, body.userid, runtime.clock.ts()
        )


class MomentReaction(BaseModel):
    moment_id: str
    userid: str = Field(description="The staff member whose published moment it is")
    external_userid: str = Field(description="A customer who is their friend")
    kind: Literal["like", "comment"] = "like"
    corp_id: str = ""


@router.post("/moment_interaction")
def moment_interaction(request: Request, body: MomentReaction) -> Json:
    """A customer likes or comments on a moment a staff member published."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        if follow(session, corp.corp_id, body.userid, body.external_userid) is None:
            raise WeComError(84061)
        return moments.interact(
            session,
            corp.corp_id,
            body.moment_id,
            body.userid,
            body.external_userid,
            body.kind,
            runtime.clock.ts(),
        )


class TransferAnswer(BaseModel):
    external_userid: str
    accept: bool
    corp_id: str = ""


@router.post("/transfer_answer")
def transfer_answer(request: Request, body: TransferAnswer, wait: Wait = False) -> Json:
    """The customer accepts (done now) or refuses (status 3, ``transfer_fail``) a transfer."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, body.corp_id)
        row = session.scalar(
            select(Transfer).where(
                Transfer.corp_id == corp.corp_id,
                Transfer.external_userid == body.external_userid,
                Transfer.status == 2,
            )
        )
        if row is None:
            raise WeComError(40058, "no transfer waiting for this customer")
        if body.accept:
            transfer.complete(session, runtime, row, runtime.clock.ts())
        else:
            row.status = 3
            callbacks.emit(
                session,
                runtime,
                corp,
                "change_external_contact",
                {
                    "ChangeType": "transfer_fail",
                    "FailReason": "customer_refused",
                    "UserID": row.takeover_userid,
                    "ExternalUserID": row.external_userid,
                },
            )
        result = {"status": row.status}
    return finish(runtime, result, wait)
