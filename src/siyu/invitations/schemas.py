from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import BaseModel, Field

from siyu.broadcasts.schemas import Id, SegmentAudience, TagsAudience

# An invitation goes to customers: a saved segment or tags.
InvitationAudience = Annotated[SegmentAudience | TagsAudience, Field(discriminator="kind")]


class InvitationIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    audience: InvitationAudience
    code_id: Id = Field(description="The group code whose groups the customers are invited to")
    text: str = Field(min_length=1, max_length=4000, description="The invitation's words")
    send_at: dt.datetime | None = Field(
        default=None, description="When to send (with a time zone); empty: now"
    )


class Numbers(BaseModel):
    invited: int = Field(description="Customers the invitation was planned for")
    delivered: int = Field(description="… who received it (the staff sent it)")
    joined: int = Field(description="… who joined a group of the code after it was sent")
    conversion: float = Field(description="joined / delivered, in percent (0 when none)")


class InvitationOut(BaseModel):
    id: int
    name: str
    audience: dict[str, object]
    text: str
    code_id: int
    code_name: str
    code_status: str
    broadcast_id: int | None
    broadcast_state: str
    send_at: dt.datetime | None
    material_id: int | None
    numbers: Numbers
    created_at: dt.datetime


class InvitationPage(BaseModel):
    items: list[InvitationOut]
    total: int
    page: int
    page_size: int


class GroupJoins(BaseModel):
    group_id: int
    name: str
    joined: int


class JoinedCustomer(BaseModel):
    customer_id: int
    name: str
    sender: str
    group_id: int
    group_name: str
    joined_at: dt.datetime
    state: str


class InvitationResults(BaseModel):
    invitation: InvitationOut
    groups: list[GroupJoins]
    joined: list[JoinedCustomer] = Field(description="The first 500, earliest join first")
