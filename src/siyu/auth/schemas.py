from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from siyu.auth.permissions import Role
from siyu.i18n import Locale


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TenantOut(BaseModel):
    id: int
    name: str


class MeOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    locale: Locale
    tenant: TenantOut
    permissions: list[str]
    csrf_token: str


class LoginOut(BaseModel):
    user: MeOut
    csrf_token: str


class MeUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Locale


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class ApiTokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=20)


class ApiTokenCreated(BaseModel):
    token: str
    api_token: ApiTokenOut


class ApiTokenPage(BaseModel):
    items: list[ApiTokenOut]
    total: int
    page: int
    page_size: int


class ScopeOut(BaseModel):
    key: str
    label: str


class ScopeList(BaseModel):
    scopes: list[ScopeOut]
