"""Shared steps of the keyword tests: a demo world ready to chat, a tag, a rule, a chat line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.tags.models import Tag
from tests.conftest import RunJobs, World

API = "/api/v1"
LIU = "wmSiyuDemoCust0001AAAAAAAAAAAA"  # 刘晓燕, a friend of wangfang
ZHAO = "wmSiyuDemoCust0002AAAAAAAAAAAA"  # 赵明, a friend of wangfang and zhangqiang


def ready(world: World, run_jobs: RunJobs) -> None:
    """Callbacks verified, the demo's syncs run (the demo tenant reads the sandbox archive)."""
    world.verify_callback_url()
    run_jobs()


def make_tag(world: World, run_jobs: RunJobs, session: Session, name: str = "亲子") -> int:
    response = world.siyu.post(f"{API}/tag-groups", json={"name": f"兴趣·{name}", "tags": [name]})
    assert response.status_code == 201, response.text
    run_jobs()
    tag_id = session.scalar(select(Tag.id).where(Tag.name == name))
    assert tag_id is not None
    return tag_id


def make_rule(world: World, tag_ids: list[int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "亲子客户",
        "keywords": ["宝宝", "儿童餐"],
        "tag_ids": tag_ids,
    } | overrides
    response = world.siyu.post(f"{API}/keyword-rules", json=body)
    assert response.status_code == 201, response.text
    rule: dict[str, Any] = response.json()
    return rule


def say(
    world: World,
    text: str,
    *,
    external_userid: str = LIU,
    userid: str = "wangfang",
    sender: str = "customer",
    wait: bool = True,
) -> dict[str, Any]:
    """A chat line in the sandbox; with ``wait`` its msgaudit_notify is delivered at once."""
    return world.sandbox_admin(
        "POST",
        f"/simulate/chat?wait={'true' if wait else 'false'}",
        json={"userid": userid, "external_userid": external_userid, "text": text, "sender": sender},
    )


def pull(world: World, run_jobs: RunJobs) -> None:
    """Pull now, as the console's button does (notifies sent within one second of sandbox time
    are one event to Siyu, as WeCom's identical retries are; the minute's pull reads the rest)."""
    response = world.siyu.post(f"{API}/chat-archive/pull")
    assert response.status_code == 202, response.text
    run_jobs()
