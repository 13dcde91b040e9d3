"""The sandbox's own controls: corps and apps (the admin console), inspection, faults, clock."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy import select, update

from siyu.sandbox import callbacks
from siyu.sandbox.bulk import seed_bulk
from siyu.sandbox.core import Faults, InjectedError, WeComError
from siyu.sandbox.runtime import Runtime
from siyu.sandbox.simulate import corp_of
from siyu.sandbox.state import (
    App,
    Corp,
    Department,
    Token,
    User,
)

router = APIRouter(prefix="/sandbox", tags=["sandbox"])
Json = dict[str, Any]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


# --- corps, apps, staff (what WeCom's admin console does) -----------------------------------


class CallbackSetting(BaseModel):
    url: str = Field(min_length=1, max_length=500)
    token: str | None = Field(None, min_length=3, max_length=32)
    encoding_aes_key: str | None = Field(None, min_length=43, max_length=43)


@router.post("/corps/{corp_id}/callback")
def set_callback(request: Request, corp_id: str, body: CallbackSetting) -> Json:
    """Set the 客户联系 callback URL as the admin console does: only if it passes verification."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        if body.token:
            corp.callback_token = body.token
        if body.encoding_aes_key:
            corp.encoding_aes_key = body.encoding_aes_key
        session.flush()
        session.expunge(corp)
    result = callbacks.verify_url(runtime, corp, body.url)
    if result.ok:
        with runtime.database.transaction() as session:
            stored = corp_of(session, corp_id)
            stored.callback_url = body.url
            if body.token:
                stored.callback_token = body.token
            if body.encoding_aes_key:
                stored.encoding_aes_key = body.encoding_aes_key
    return {
        "verified": result.ok,
        "reason": result.reason,
        "status_code": result.status_code,
        "callback_url": body.url if result.ok else "",
    }


@router.delete("/corps/{corp_id}/callback")
def clear_callback(request: Request, corp_id: str) -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp_of(session, corp_id).callback_url = ""
    return {"callback_url": ""}


@router.get("/corps/{corp_id}")
def get_corp(request: Request, corp_id: str) -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        apps = session.scalars(select(App).where(App.corp_id == corp.corp_id).order_by(App.id))
        return {
            "corp_id": corp.corp_id,
            "name": corp.name,
            "callback_url": corp.callback_url,
            "callback_token": corp.callback_token,
            "encoding_aes_key": corp.encoding_aes_key,
            "receive_policy": corp.receive_policy,
            "apps": [
                {
                    "name": a.name,
                    "agent_id": a.agent_id,
                    "secret": a.secret,
                    "customer_contact": a.customer_contact,
                    "trusted_ips": a.trusted_ips,
                }
                for a in apps
            ],
        }


class CorpCreate(BaseModel):
    corp_id: str = Field(min_length=4, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    callback_token: str = Field(min_length=3, max_length=32)
    encoding_aes_key: str = Field(min_length=43, max_length=43)
    contact_secret: str = Field(min_length=8, max_length=100)


@router.post("/corps")
def create_corp(request: Request, body: CorpCreate) -> Json:
    """Another corp (tenant isolation tests, benchmarks): a root department and a contact app."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        if session.get(Corp, body.corp_id) is not None:
            raise WeComError(40058, f"corp {body.corp_id} exists")
        session.add(
            Corp(
                corp_id=body.corp_id,
                name=body.name,
                callback_token=body.callback_token,
                encoding_aes_key=body.encoding_aes_key,
            )
        )
        session.flush()
        session.add(Department(corp_id=body.corp_id, dept_id=1, name=body.name, order=100000000))
        session.add(
            App(
                corp_id=body.corp_id,
                name="客户联系",
                secret=body.contact_secret,
                customer_contact=True,
            )
        )
    return {"corp_id": body.corp_id}


class AppSetting(BaseModel):
    secret: str = Field(min_length=8, max_length=100)
    name: str = "应用"
    agent_id: int | None = None
    customer_contact: bool = True
    trusted_ips: list[str] = []


@router.put("/corps/{corp_id}/apps")
def put_app(request: Request, corp_id: str, body: AppSetting) -> Json:
    """Create or change an app by its secret: trusted IPs, customer-contact permission."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        app = session.scalar(select(App).where(App.secret == body.secret))
        if app is None:
            app = App(corp_id=corp.corp_id, secret=body.secret, name=body.name)
            session.add(app)
        elif app.corp_id != corp.corp_id:
            raise WeComError(40058, "secret belongs to another corp")
        app.name = body.name
        app.agent_id = body.agent_id
        app.customer_contact = body.customer_contact
        app.trusted_ips = body.trusted_ips
    return body.model_dump()


class CorpSettings(BaseModel):
    receive_policy: Literal["days_in_month", "week7", "day1", "legacy4"]


@router.put("/corps/{corp_id}/settings")
def put_settings(request: Request, corp_id: str, body: CorpSettings) -> Json:
    """设置群发规则: each customer's receive limit (days-in-month/month, 7/week, 1/day, 4/month)."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp_of(session, corp_id).receive_policy = body.receive_policy
    return body.model_dump()


class StaffCreate(BaseModel):
    userid: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=64)
    department: list[int] = [1]
    position: str = ""
    mobile: str = ""
    gender: Literal["0", "1", "2"] = "0"
    email: str = ""
    customer_contact: bool = True


@router.post("/corps/{corp_id}/staff")
def add_staff(request: Request, corp_id: str, body: StaffCreate) -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        if session.scalar(
            select(User).where(User.corp_id == corp.corp_id, User.userid == body.userid)
        ):
            raise WeComError(60102, "userid existed")
        session.add(
            User(
                corp_id=corp.corp_id,
                userid=body.userid,
                name=body.name,
                departments=body.department,
                position=body.position,
                mobile=body.mobile,
                gender=body.gender,
                email=body.email,
                customer_contact=body.customer_contact,
            )
        )
        # As the admin console does: the contact-change event (通讯录变更) to the app.
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_contact",
            {
                "ChangeType": "create_user",
                "UserID": body.userid,
                "Name": body.name,
                "Department": ",".join(str(d) for d in body.department),
            },
        )
    return {"userid": body.userid}


@router.post("/corps/{corp_id}/staff/{userid}/resign")
def resign_staff(request: Request, corp_id: str, userid: str) -> Json:
    """A member leaves the corp: their customers become 'unassigned' (离职继承)."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        corp = corp_of(session, corp_id)
        member = session.scalar(
            select(User).where(User.corp_id == corp.corp_id, User.userid == userid)
        )
        if member is None:
            raise WeComError(60111)
        member.resigned_at = runtime.clock.ts()
        callbacks.emit(
            session,
            runtime,
            corp,
            "change_contact",
            {"ChangeType": "delete_user", "UserID": userid},
        )
    return {"userid": userid, "resigned": True}


class BulkSeed(BaseModel):
    staff: int = Field(5000, ge=1, le=100_000)
    customers: int = Field(1_000_000, ge=0, le=5_000_000)
    seed: int = 1


@router.post("/corps/{corp_id}/bulk_seed")
def bulk_seed(request: Request, corp_id: str, body: BulkSeed) -> Json:
    """Load many staff and customers at once (benchmarks), without callbacks; see
    :func:`siyu.sandbox.bulk.seed_bulk`. A corp already bulk-seeded is refused (40058)."""
    runtime = runtime_of(request)
    seeded = seed_bulk(
        runtime.database,
        corp_id,
        staff=body.staff,
        customers=body.customers,
        seed=body.seed,
        now=runtime.clock.ts(),
    )
    return seeded.to_dict()


# --- callbacks, faults, clock ---------------------------------------------------------------


@router.post("/callbacks/deliver")
def deliver(request: Request, release_held: bool = False) -> Json:
    """Send every pending callback now, ignoring retry delays (tests' synchronous mode)."""
    runtime = runtime_of(request)
    released = 0
    if release_held:
        with runtime.database.transaction() as session:
            released = callbacks.release_held(session, runtime)
    return {"attempts": callbacks.deliver_pending(runtime), "released": released}


class FaultsBody(BaseModel):
    latency_ms: dict[str, int] = Field({}, description="path pattern → added milliseconds")
    http_5xx_rate: float = Field(0.0, ge=0, le=1)
    errors: list[InjectedError] = Field(
        [], description="{path, errcode, times (null = always), errmsg}"
    )
    rate_limit_per_minute: dict[str, int] = {}
    duplicate_callbacks: bool = False
    shuffle_callbacks: int = Field(0, ge=0, description="hold this many, then send shuffled")
    callback_url_down: bool = False


@router.get("/faults")
def get_faults(request: Request) -> Json:
    return runtime_of(request).faults.faults.to_dict()


@router.put("/faults")
def put_faults(request: Request, body: FaultsBody) -> Json:
    runtime = runtime_of(request)
    faults = Faults.from_dict(body.model_dump(mode="json"))
    with runtime.database.transaction() as session:
        runtime.faults.save(session, faults)
    return faults.to_dict()


@router.delete("/faults")
def reset_faults(request: Request) -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        runtime.faults.save(session, Faults())
        callbacks.release_held(session, runtime)
    return Faults().to_dict()


@router.post("/faults/expire_tokens")
def expire_tokens(request: Request) -> Json:
    """Invalidate every access token now: the next call with one gets 42001."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        result = session.execute(update(Token).where(Token.revoked.is_(False)).values(revoked=True))
    return {"expired": result.rowcount}  # type: ignore[attr-defined]


class ClockMove(BaseModel):
    advance_seconds: float = Field(ge=0)


@router.get("/clock")
def get_clock(request: Request) -> Json:
    clock = runtime_of(request).clock
    return {"now": clock.ts(), "offset": clock.offset}


@router.post("/clock")
def move_clock(request: Request, body: ClockMove) -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        runtime.clock.advance(session, body.advance_seconds)
    return {"now": runtime.clock.ts(), "offset": runtime.clock.offset}
