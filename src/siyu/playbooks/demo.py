"""The demo tenant's group playbook: breakfast at 08:30 every day and the new items at 15:00 on
weekdays, for every customer group, with New Year's Day off."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.codes.routing import local
from siyu.db import utcnow
from siyu.playbooks import service
from siyu.playbooks.models import Playbook
from siyu.playbooks.schemas import PlaybookIn

NAME = "门店群 · 每日节奏"


def seed(session: Session, tenant_id: int) -> None:
    if session.scalar(select(Playbook.id).where(Playbook.tenant_id == tenant_id)):
        return
    year = local(utcnow()).year + 1
    body = PlaybookIn.model_validate(
        {
            "name": NAME,
            "audience": {"kind": "groups", "group_ids": [], "owner_userids": []},
            "skip_dates": [dt.date(year, 1, 1)],
            "posts": [
                {
                    "at": "08:30",
                    "title": "早餐",
                    "text": "早上好！今日早餐券已放进群公告，8:30–10:00 到店出示立减 5 元～",
                },
                {
                    "at": "15:00",
                    "title": "新品",
                    "text": "下午三点新品上架：群内专享 9 折，喜欢的回复「1」帮你留货。",
                    "weekdays": [1, 2, 3, 4, 5],
                },
                {
                    "at": "20:30",
                    "title": "周末预告",
                    "text": "周末门店活动预告：满 199 送帆布袋，群里先报名先得。",
                    "weekdays": [5],
                },
            ],
        }
    )
    service.save(session, tenant_id, body)
