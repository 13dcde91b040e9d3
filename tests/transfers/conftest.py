"""Until the application lists the transfers router, these tests add it to the route table."""

from __future__ import annotations

import pytest

from siyu import app
from siyu.transfers.api import router


@pytest.fixture(autouse=True)
def transfers_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    if router not in app.DOMAIN_ROUTERS:
        monkeypatch.setattr(app, "DOMAIN_ROUTERS", (*app.DOMAIN_ROUTERS, router))
