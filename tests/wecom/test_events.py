"""Callback XML parsing: WeCom's lists stay lists, whatever their length."""

from __future__ import annotations

import pytest

from siyu.wecom.events import parse_message


@pytest.mark.parametrize(
    ("items", "expected"),
    [("", []), ("<Item>wm1</Item>", ["wm1"]), ("<Item>wm1</Item><Item>wm2</Item>", ["wm1", "wm2"])],
)
def test_member_change_lists_are_lists_of_any_length(items: str, expected: list[str]) -> None:
    fields = parse_message(
        "<xml><Event>change_external_chat</Event><ChangeType>update</ChangeType>"
        f"<UpdateDetail>add_member</UpdateDetail><MemChangeList>{items}</MemChangeList></xml>"
    )
    assert fields["MemChangeList"] == expected
    assert fields["UpdateDetail"] == "add_member"
