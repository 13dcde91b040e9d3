"""The console's view of a tenant's WeCom connection (request and response bodies)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

CORP_ID_PATTERN = r"^[A-Za-z0-9]{6,64}$"
CALLBACK_TOKEN_PATTERN = r"^[A-Za-z0-9]{3,32}$"  # noqa: S105 - a pattern
AES_KEY_PATTERN = r"^[A-Za-z0-9]{43}$"


class ConnectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    corp_id: str = Field(pattern=CORP_ID_PATTERN)
    # Secrets left out (or empty) keep their stored value, so the form never has to echo them.
    contact_secret: str | None = Field(default=None, max_length=128)
    agent_id: int | None = Field(default=None, ge=1)
    app_secret: str | None = Field(default=None, max_length=128)
    callback_token: str | None = Field(default=None, pattern=CALLBACK_TOKEN_PATTERN)
    encoding_aes_key: str | None = Field(default=None, pattern=AES_KEY_PATTERN)


class CallbackPanel(BaseModel):
    """Exactly what to paste into WeCom's admin console, and whether WeCom has been heard from."""

    url: str
    token: str
    encoding_aes_key: str
    verified_at: dt.datetime | None
    first_event_at: dt.datetime | None
    last_event_at: dt.datetime | None
    events_received: int


class CheckStep(BaseModel):
    key: str
    ok: bool
    message: str
    errcode: int | None = None


class CheckReport(BaseModel):
    ok: bool
    tested_at: dt.datetime
    steps: list[CheckStep]


class ConnectionOut(BaseModel):
    corp_id: str
    contact_secret: str
    agent_id: int | None
    app_secret: str | None
    api_base_url: str
    callback: CallbackPanel
    last_test: CheckReport | None


class ConnectionState(BaseModel):
    connection: ConnectionOut | None
