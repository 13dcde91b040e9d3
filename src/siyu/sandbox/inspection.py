"""Inspection: what WeCom did on its side (effects), callbacks and their attempts, API call
counters and the chat log — what tests and benchmarks count."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import func, select

from siyu.sandbox import msgaudit
from siyu.sandbox.simulate import effects, runtime_of
from siyu.sandbox.state import ApiCall, Callback, CallbackAttempt, ChatMessage

router = APIRouter(prefix="/sandbox", tags=["sandbox"])
Json = dict[str, Any]


@router.get("/inspect/effects")
def inspect_effects(request: Request, corp_id: str = "", kind: str = "", since: int = 0) -> Json:
    """What WeCom did on its side: welcome, mass_message, mark_tag, corp_tag, remark, moment."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        found = effects(session, corp_id, kind, since)
    return {"effects": found, "count": len(found)}


@router.get("/inspect/callbacks")
def inspect_callbacks(request: Request, corp_id: str = "", status: str = "") -> Json:
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        query = select(Callback).order_by(Callback.id)
        if corp_id:
            query = query.where(Callback.corp_id == corp_id)
        if status:
            query = query.where(Callback.status == status)
        rows = list(session.scalars(query))
        attempts: dict[int, list[Json]] = {}
        for a in session.scalars(
            select(CallbackAttempt)
            .where(CallbackAttempt.callback_id.in_([r.id for r in rows]))
            .order_by(CallbackAttempt.id)
        ):
            attempts.setdefault(a.callback_id, []).append(
                {
                    "at": a.at,
                    "status_code": a.status_code,
                    "response": a.response,
                    "error": a.error,
                    "elapsed_ms": a.elapsed_ms,
                }
            )
        return {
            "callbacks": [
                {
                    "id": r.id,
                    "corp_id": r.corp_id,
                    "url": r.url,
                    "event": r.event,
                    "change_type": r.change_type,
                    "xml": r.xml,
                    "status": r.status,
                    "attempts": attempts.get(r.id, []),
                    "created_at": r.created_at,
                }
                for r in rows
            ]
        }


@router.get("/inspect/counters")
def inspect_counters(request: Request) -> Json:
    """API calls per path (after /cgi-bin/), and callbacks per status."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        runtime.flush_calls(session)
        session.flush()
        calls = {row.path: row.count for row in session.scalars(select(ApiCall))}
        by_status = dict(
            session.execute(select(Callback.status, func.count()).group_by(Callback.status)).all()
        )
    return {"api_calls": calls, "callbacks": {str(k): int(v) for k, v in by_status.items()}}


@router.get("/inspect/chat")
def inspect_chat(
    request: Request, corp_id: str = "", seq: int = 0, limit: Annotated[int, Query(le=1000)] = 100
) -> Json:
    """The chat log after ``seq`` (a chat-archive-like feed, oldest first)."""
    runtime = runtime_of(request)
    with runtime.database.transaction() as session:
        query = select(ChatMessage).where(ChatMessage.seq > seq).order_by(ChatMessage.seq)
        if corp_id:
            query = query.where(ChatMessage.corp_id == corp_id)
        rows = session.scalars(query.limit(limit)).all()
        messages = msgaudit.decrypted(session, rows)
        return {
            "chatdata": [
                {"seq": m.seq, **message} for m, message in zip(rows, messages, strict=True)
            ]
        }
