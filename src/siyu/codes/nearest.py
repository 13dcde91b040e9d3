"""Nearest-store routing (LBS): the code of the open store nearest to a visitor. Never commits."""

from __future__ import annotations

import math

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.codes.models import (
    LIVE,
    ChannelCode,
)
from siyu.stores.models import OPEN, Store

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def nearest_store_code(
    session: Session, code: ChannelCode, lat: float, lng: float
) -> tuple[ChannelCode, Store, float] | None:
    """The live code of the open store nearest to (lat, lng), among the tenant's codes that
    serve a store with coordinates; None when there is none."""
    best: tuple[ChannelCode, Store, float] | None = None
    for candidate, store in session.execute(
        select(ChannelCode, Store)
        .join(Store, Store.id == ChannelCode.store_id)
        .where(
            ChannelCode.tenant_id == code.tenant_id,
            ChannelCode.status == LIVE,
            ChannelCode.qr_content.is_not(None),
            Store.status == OPEN,
            Store.latitude.is_not(None),
            Store.longitude.is_not(None),
        )
        .order_by(ChannelCode.created_at.desc(), ChannelCode.id.desc())  # a store's newest code
    ).all():
        km = distance_km(lat, lng, float(store.latitude or 0), float(store.longitude or 0))
        if best is None or km < best[2]:
            best = (candidate, store, km)
    return best
