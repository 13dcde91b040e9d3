from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from siyu.api.deps import DbSession, require
from siyu.api.errors import responses
from siyu.auth.api import AUTH
from siyu.auth.permissions import Permission
from siyu.auth.principal import Principal
from siyu.dashboard import service
from siyu.i18n import pick

router = APIRouter(tags=["dashboard"])


class CardOut(BaseModel):
    key: str
    label: str
    value: int


class ActivityOut(BaseModel):
    label: str
    days: list[str]
    values: list[int]


class DashboardOut(BaseModel):
    cards: list[CardOut]
    activity: ActivityOut


ReadDashboard = Annotated[Principal, Depends(require(Permission.DASHBOARD_READ))]


@router.get(
    "/dashboard",
    operation_id="getDashboard",
    response_model=DashboardOut,
    responses=responses(*AUTH),
)
def get_dashboard(session: DbSession, principal: ReadDashboard) -> DashboardOut:
    locale = principal.locale
    days, values = service.activity(session, principal.tenant_id)
    return DashboardOut(
        cards=[
            CardOut(
                key=c.key, label=pick(c.labels, locale), value=c.count(session, principal.tenant_id)
            )
            for c in service.cards()
        ],
        activity=ActivityOut(
            label=pick({"zh-CN": "每日操作数", "en": "Actions per day"}, locale),
            days=days,
            values=values,
        ),
    )
