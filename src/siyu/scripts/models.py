"""The script library (话术库): categories, scripts, and sequences (多步话术) whose runs turn
each day's step into a task per staff account."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db import Base, BigId, IdMixin, JSONDoc, UTCDateTime, utcnow
from siyu.tenants.models import TenantMixin

# SequenceRun.state
ACTIVE, STOPPED, FINISHED = "active", "stopped", "finished"
# ScriptTask.state
OPEN, DONE = "open", "done"


class ScriptCategory(IdMixin, TenantMixin, Base):
    """A category of scripts; top-level ones may have one level of children."""

    __tablename__ = "script_categories"

    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("script_categories.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(30))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Script(IdMixin, TenantMixin, Base):
    __tablename__ = "scripts"
    __table_args__ = (Index("ix_scripts_tenant_category", "tenant_id", "category_id", "id"),)

    category_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("script_categories.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    keywords: Mapped[str] = mapped_column(String(300), default="")
    material_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    # Title, keywords and body in lower case: what search matches.
    search_text: Mapped[str] = mapped_column(Text, default="")
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Sequence(IdMixin, TenantMixin, Base):
    """A multi-day script (多步话术), e.g. a 7-day promotion: one step per day."""

    __tablename__ = "script_sequences"

    name: Mapped[str] = mapped_column(String(60))
    description: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SequenceStep(IdMixin, TenantMixin, Base):
    """Day ``day`` (1 = the run's start date) of a sequence: a script of the library or a text
    of its own, with materials."""

    __tablename__ = "script_sequence_steps"
    __table_args__ = (UniqueConstraint("sequence_id", "day"),)

    sequence_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("script_sequences.id", ondelete="CASCADE")
    )
    day: Mapped[int] = mapped_column(Integer)
    script_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("scripts.id", ondelete="SET NULL")
    )
    text: Mapped[str] = mapped_column(Text, default="")
    material_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)


class SequenceRun(IdMixin, TenantMixin, Base):
    """A sequence started for an audience (a saved segment's members when it started, or
    customers picked by hand) from a start date (China time)."""

    __tablename__ = "script_sequence_runs"
    __table_args__ = (Index("ix_script_sequence_runs_state", "state"),)

    sequence_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("script_sequences.id", ondelete="CASCADE"), index=True
    )
    segment_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("segments.id", ondelete="SET NULL")
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default=ACTIVE)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    # Customers without an owner account get no task.
    without_owner: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(BigId)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    stopped_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SequenceRunMember(TenantMixin, Base):
    """A customer of a run, fixed when it started."""

    __tablename__ = "script_sequence_run_members"
    __table_args__ = (PrimaryKeyConstraint("run_id", "customer_id"),)

    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("script_sequence_runs.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))


class ScriptTask(IdMixin, TenantMixin, Base):
    """One day's step for one staff account: its customers in the run and the text to send.
    Made once per (run, day, account) — the unique key is what makes the job safe to rerun."""

    __tablename__ = "script_tasks"
    __table_args__ = (
        UniqueConstraint("run_id", "day", "userid"),
        Index("ix_script_tasks_tenant_user", "tenant_id", "userid", "due_date"),
    )

    run_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("script_sequence_runs.id", ondelete="CASCADE")
    )
    day: Mapped[int] = mapped_column(Integer)
    userid: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(100))
    # Rendered for the sender; ``{customer_name}`` is filled per customer when shown.
    text: Mapped[str] = mapped_column(Text)
    material_ids: Mapped[list[int]] = mapped_column(JSONDoc, default=list)
    state: Mapped[str] = mapped_column(String(8), default=OPEN)
    customers: Mapped[int] = mapped_column(Integer, default=0)
    done_customers: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ScriptTaskItem(TenantMixin, Base):
    __tablename__ = "script_task_items"
    __table_args__ = (PrimaryKeyConstraint("task_id", "customer_id"),)

    task_id: Mapped[int] = mapped_column(BigId, ForeignKey("script_tasks.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigId, ForeignKey("customers.id", ondelete="CASCADE"))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
