"""The sandbox's own state: a fake WeCom's rows, in their own SQLite database.

These tables live on :class:`SandboxBase`, not on ``siyu.db.Base``, so Siyu's Alembic never sees
them: they are a test double's state, created with ``metadata.create_all``. Times are integer
epoch seconds of the sandbox clock (WeCom speaks epoch seconds), so moving the clock moves them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    inspect,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from siyu.db import NAMING_CONVENTION, Database, make_engine


class SandboxBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _id() -> Mapped[int]:
    return mapped_column(Integer, primary_key=True, autoincrement=True)


class Corp(SandboxBase):
    __tablename__ = "sb_corp"
    corp_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    callback_url: Mapped[str] = mapped_column(String(500), default="")
    callback_token: Mapped[str] = mapped_column(String(64))
    encoding_aes_key: Mapped[str] = mapped_column(String(43))
    # Mass-message receive limit: days_in_month (WeCom's default), week7, day1, legacy4.
    receive_policy: Mapped[str] = mapped_column(String(20), default="days_in_month")


class App(SandboxBase):
    """One secret: the 客户联系 secret, or a self-built app (agent)."""

    __tablename__ = "sb_app"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(ForeignKey("sb_corp.corp_id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret: Mapped[str] = mapped_column(String(100), unique=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    customer_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    trusted_ips: Mapped[list[str]] = mapped_column(JSON, default=list)


class Token(SandboxBase):
    __tablename__ = "sb_token"
    token: Mapped[str] = mapped_column(String(200), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("sb_app.id"), index=True)
    expires_at: Mapped[int] = mapped_column(Integer)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Department(SandboxBase):
    __tablename__ = "sb_department"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    dept_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    parentid: Mapped[int] = mapped_column(Integer, default=0)
    order: Mapped[int] = mapped_column(Integer, default=0)
    leaders: Mapped[list[str]] = mapped_column(JSON, default=list)


class User(SandboxBase):
    __tablename__ = "sb_user"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    userid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    departments: Mapped[list[int]] = mapped_column(JSON, default=list)
    position: Mapped[str] = mapped_column(String(64), default="")
    mobile: Mapped[str] = mapped_column(String(32), default="")
    gender: Mapped[str] = mapped_column(String(2), default="0")
    email: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[int] = mapped_column(Integer, default=1)  # 1 active, 2 disabled, 4 inactive
    customer_contact: Mapped[bool] = mapped_column(Boolean, default=True)
    resigned_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ExternalContact(SandboxBase):
    __tablename__ = "sb_external_contact"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    external_userid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    type: Mapped[int] = mapped_column(Integer, default=1)
    gender: Mapped[int] = mapped_column(Integer, default=0)
    avatar: Mapped[str] = mapped_column(String(300), default="")
    unionid: Mapped[str] = mapped_column(String(64), default="")
    corp_name: Mapped[str] = mapped_column(String(100), default="")
    corp_full_name: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[str] = mapped_column(String(64), default="")
    mobile: Mapped[str] = mapped_column(String(32), default="")


class Follow(SandboxBase):
    """A customer being a friend of one staff member (follow_user)."""

    __tablename__ = "sb_follow"
    # (corp_id, userid, id) serves the keyset pages of ``batch/get_by_user`` and ``list``
    # (``corp_id = ? AND userid IN (…) AND id > ? ORDER BY id``) and every lookup by corp or by
    # corp and member, so neither column needs an index of its own.
    __table_args__ = (Index("ix_sb_follow_corp_userid_id", "corp_id", "userid", "id"),)
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64), index=True)
    remark: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    remark_corp_name: Mapped[str] = mapped_column(String(100), default="")
    remark_mobiles: Mapped[list[str]] = mapped_column(JSON, default=list)
    createtime: Mapped[int] = mapped_column(Integer)
    add_way: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(64), default="")
    oper_userid: Mapped[str] = mapped_column(String(64), default="")
    tag_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class TagGroup(SandboxBase):
    __tablename__ = "sb_tag_group"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    group_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    order: Mapped[int] = mapped_column(Integer, default=0)
    create_time: Mapped[int] = mapped_column(Integer)


class Tag(SandboxBase):
    __tablename__ = "sb_tag"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    tag_id: Mapped[str] = mapped_column(String(64), unique=True)
    group_id: Mapped[str] = mapped_column(String(64), index=True)
    name: Mapped[str] = mapped_column(String(64))
    order: Mapped[int] = mapped_column(Integer, default=0)
    create_time: Mapped[int] = mapped_column(Integer)


class ContactWay(SandboxBase):
    __tablename__ = "sb_contact_way"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    config_id: Mapped[str] = mapped_column(String(64), unique=True)
    create_time: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the contact_way object as WeCom returns it
    picks: Mapped[int] = mapped_column(Integer, default=0)  # round-robin position over its staff


class WelcomeCode(SandboxBase):
    __tablename__ = "sb_welcome_code"
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    corp_id: Mapped[str] = mapped_column(String(64))
    userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[int] = mapped_column(Integer)
    used_at: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ChatMessage(SandboxBase):
    """A chat line between a customer and a staff member, for a later chat-archive feed."""

    __tablename__ = "sb_chat_message"
    seq: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    msgid: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    receiver: Mapped[str] = mapped_column(String(64))
    roomid: Mapped[str] = mapped_column(String(64), default="")
    msgtype: Mapped[str] = mapped_column(String(20), default="text")
    content: Mapped[str] = mapped_column(Text)
    msgtime: Mapped[int] = mapped_column(Integer)


class Effect(SandboxBase):
    """Something WeCom did towards a customer or the corp: what tests and benchmarks count."""

    __tablename__ = "sb_effect"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    at: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class Callback(SandboxBase):
    """An outbox row: one callback to deliver to the corp's callback URL."""

    __tablename__ = "sb_callback"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(500))
    event: Mapped[str] = mapped_column(String(60))
    change_type: Mapped[str] = mapped_column(String(60), default="")
    xml: Mapped[str] = mapped_column(Text)
    # pending → delivered | failed; held = kept back by the out-of-order fault
    status: Mapped[str] = mapped_column(String(20), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[float] = mapped_column(Float, default=0.0)  # wall clock
    created_at: Mapped[int] = mapped_column(Integer)


class CallbackAttempt(SandboxBase):
    __tablename__ = "sb_callback_attempt"
    id: Mapped[int] = _id()
    callback_id: Mapped[int] = mapped_column(ForeignKey("sb_callback.id"), index=True)
    at: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)


class ApiCall(SandboxBase):
    __tablename__ = "sb_api_call"
    path: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class Meta(SandboxBase):
    """Small documents: the clock offset, the fault switches."""

    __tablename__ = "sb_meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON)


class MassMessage(SandboxBase):
    __tablename__ = "sb_mass_message"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    msgid: Mapped[str] = mapped_column(String(64), unique=True)
    chat_type: Mapped[str] = mapped_column(String(10))
    creator: Mapped[str] = mapped_column(String(64), default="")
    create_type: Mapped[int] = mapped_column(Integer, default=0)
    create_time: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # text + attachments
    reminders: Mapped[list[int]] = mapped_column(JSON, default=list)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class MassTask(SandboxBase):
    __tablename__ = "sb_mass_task"
    id: Mapped[int] = _id()
    msgid: Mapped[str] = mapped_column(String(64), index=True)
    userid: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer, default=0)  # 0 not sent, 2 sent
    send_time: Mapped[int] = mapped_column(Integer, default=0)


class MassSend(SandboxBase):
    __tablename__ = "sb_mass_send"
    id: Mapped[int] = _id()
    msgid: Mapped[str] = mapped_column(String(64), index=True)
    userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64), default="")
    chat_id: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[int] = mapped_column(Integer, default=0)  # 0 unsent 1 sent 2 not friend 3 limit
    send_time: Mapped[int] = mapped_column(Integer, default=0)


class GroupChat(SandboxBase):
    __tablename__ = "sb_group_chat"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    chat_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    owner: Mapped[str] = mapped_column(String(64))
    create_time: Mapped[int] = mapped_column(Integer)
    notice: Mapped[str] = mapped_column(Text, default="")
    admin_list: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[int] = mapped_column(Integer, default=0)
    member_version: Mapped[str] = mapped_column(String(64), default="")
    dismissed: Mapped[bool] = mapped_column(Boolean, default=False)


class GroupMember(SandboxBase):
    __tablename__ = "sb_group_member"
    id: Mapped[int] = _id()
    chat_id: Mapped[str] = mapped_column(String(64), index=True)
    userid: Mapped[str] = mapped_column(String(64))
    type: Mapped[int] = mapped_column(Integer)  # 1 staff, 2 external
    join_time: Mapped[int] = mapped_column(Integer)
    join_scene: Mapped[int] = mapped_column(Integer, default=1)
    invitor: Mapped[str] = mapped_column(String(64), default="")
    group_nickname: Mapped[str] = mapped_column(String(64), default="")
    name: Mapped[str] = mapped_column(String(64), default="")
    state: Mapped[str] = mapped_column(String(64), default="")


class JoinWay(SandboxBase):
    __tablename__ = "sb_join_way"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    config_id: Mapped[str] = mapped_column(String(64), unique=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)  # the join_way object as WeCom returns it
    # Groups WeCom opened for this way when all were full: the next is room_base_id + this.
    rooms_created: Mapped[int] = mapped_column(Integer, default=0)


class GroupWelcomeTemplate(SandboxBase):
    """A group welcome template (入群欢迎语素材): text plus at most one attachment."""

    __tablename__ = "sb_group_welcome_template"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    template_id: Mapped[str] = mapped_column(String(64), unique=True)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)  # text, image|link|miniprogram|…
    create_time: Mapped[int] = mapped_column(Integer)


class Moment(SandboxBase):
    __tablename__ = "sb_moment"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    jobid: Mapped[str] = mapped_column(String(64), unique=True)
    moment_id: Mapped[str] = mapped_column(String(64), unique=True)
    creator: Mapped[str] = mapped_column(String(64), default="")
    create_type: Mapped[int] = mapped_column(Integer, default=0)
    create_time: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    invalid_users: Mapped[list[str]] = mapped_column(JSON, default=list)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)


class MomentTask(SandboxBase):
    __tablename__ = "sb_moment_task"
    id: Mapped[int] = _id()
    moment_id: Mapped[str] = mapped_column(String(64), index=True)
    userid: Mapped[str] = mapped_column(String(64))
    publish_status: Mapped[int] = mapped_column(Integer, default=0)  # 0 not yet, 1 published


class MomentInteraction(SandboxBase):
    """A like or a comment on a staff member's published moment, by a customer (or a
    colleague)."""

    __tablename__ = "sb_moment_interaction"
    id: Mapped[int] = _id()
    moment_id: Mapped[str] = mapped_column(String(64), index=True)
    userid: Mapped[str] = mapped_column(String(64))  # whose Moments it is on
    kind: Mapped[str] = mapped_column(String(8))  # like, comment
    external_userid: Mapped[str] = mapped_column(String(64), default="")
    by_userid: Mapped[str] = mapped_column(String(64), default="")
    create_time: Mapped[int] = mapped_column(Integer)


class Transfer(SandboxBase):
    __tablename__ = "sb_transfer"
    id: Mapped[int] = _id()
    corp_id: Mapped[str] = mapped_column(String(64), index=True)
    resigned: Mapped[bool] = mapped_column(Boolean, default=False)
    handover_userid: Mapped[str] = mapped_column(String(64))
    takeover_userid: Mapped[str] = mapped_column(String(64))
    external_userid: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[int] = mapped_column(Integer, default=2)  # 1 done 2 waiting 3 refused
    started_at: Mapped[int] = mapped_column(Integer)
    takeover_time: Mapped[int] = mapped_column(Integer, default=0)


class Media(SandboxBase):
    __tablename__ = "sb_media"
    media_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    corp_id: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(10))
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[int] = mapped_column(Integer)
    # 0: temporary media (``media/upload``); 1: a Moments attachment, 2: a product album image
    # (``media/upload_attachment``). Moments take only attachments of type 1.
    attachment_type: Mapped[int] = mapped_column(Integer, default=0)


def open_database(url: str) -> Database:
    """The sandbox database, its tables created if absent (a restart forgets nothing)."""
    if url.startswith("sqlite:///"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    database = Database(make_engine(url))
    SandboxBase.metadata.create_all(database.engine)
    # create_all skips the tables that exist; a column or an index added since an older
    # database was made is added here (new columns all have defaults).
    with database.engine.begin() as connection:
        inspector = inspect(connection)
        for table in SandboxBase.metadata.sorted_tables:
            present = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(connection.dialect)
                    default = getattr(column.default, "arg", None)
                    value = f" DEFAULT {int(default)}" if isinstance(default, bool | int) else ""
                    connection.exec_driver_sql(
                        f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}{value}"
                    )
            for index in table.indexes:
                index.create(connection, checkfirst=True)
    return database
