"""Welcome content: variables filled in, the variant whose hours hold the moment (China time)."""

from __future__ import annotations

import datetime as dt

from siyu.codes import friends, routing

WELCOME = {
    "enabled": True,
    "text": "{客户昵称}您好，我是{员工姓名}",
    "attachments": [
        {"msgtype": "link", "link": {"title": "券", "url": "https://e.x/c", "desc": None}}
    ],
    "variants": [
        {
            "start": "21:00",
            "end": "08:00",
            "text": "{customer}晚上好，我是{staff}",
            "attachments": [],
        },
        {"start": "11:30", "end": "13:30", "text": "午安{客户昵称}", "attachments": []},
    ],
}


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, 24, hour, minute, tzinfo=routing.LOCAL_TZ)


def test_the_day_message_carries_its_attachments_and_fills_the_variables() -> None:
    content = friends.content_for(WELCOME, "刘姐", "王芳", at(10))
    assert content == {
        "text": {"content": "刘姐您好，我是王芳"},
        "attachments": [{"msgtype": "link", "link": {"title": "券", "url": "https://e.x/c"}}],
    }


def test_variants_take_over_at_their_hours_including_across_midnight() -> None:
    assert (
        friends.content_for(WELCOME, "刘姐", "王芳", at(22))["text"]["content"]
        == "刘姐晚上好，我是王芳"
    )
    assert (
        friends.content_for(WELCOME, "刘姐", "王芳", at(7, 59))["text"]["content"]
        == "刘姐晚上好，我是王芳"
    )
    assert (
        friends.content_for(WELCOME, "刘姐", "王芳", at(8))["text"]["content"]
        == "刘姐您好，我是王芳"
    )
    noon = friends.content_for(WELCOME, "刘姐", "王芳", at(12))
    assert noon == {"text": {"content": "午安刘姐"}}
    utc_noon = dt.datetime(2026, 11, 24, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai
    assert friends.content_for(WELCOME, "刘姐", "王芳", utc_noon) == noon


def test_a_customer_without_a_name_gets_no_dangling_variable() -> None:
    content = friends.content_for({"text": "{客户昵称}您好"}, "", "王芳", at(10))
    assert content == {"text": {"content": "您好"}}
