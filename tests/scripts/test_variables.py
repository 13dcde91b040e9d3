"""Variables in script texts: checked, rendered, never raising."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from siyu.scripts import variables


def test_known_variables_pass_and_unknown_ones_are_named() -> None:
    text = "{customer_name}您好，我是{store_name}的{staff_name}，{today}见；{coupon}{nick}{coupon}"
    assert variables.check(text) == ["coupon", "nick"]
    assert variables.check("没有变量 {} { customer_name } {1abc}") == []


def test_render_fills_values_and_empties_the_rest() -> None:
    text = "{customer_name}您好，{store_name}欢迎您{unknown}"
    values = {"customer_name": "王女士", "store_name": ""}
    assert variables.render(text, values) == "王女士您好，欢迎您"


def test_render_can_leave_other_scopes_for_later() -> None:
    text = "{customer_name}您好，我是{staff_name}"
    first = variables.render(text, {"staff_name": "小李"}, only=variables.SENDER)
    assert first == "{customer_name}您好，我是小李"
    assert variables.render(first, {"customer_name": "张先生"}) == "张先生您好，我是小李"


def test_every_variable_has_labels_and_a_scope() -> None:
    assert set(variables.VARIABLES) == {"customer_name", "staff_name", "store_name", "today"}
    assert {"staff_name", "store_name", "today"} == variables.SENDER
    for variable in variables.VARIABLES.values():
        assert variable["zh"]
        assert variable["en"]


@given(st.text(max_size=200), st.dictionaries(st.text(max_size=12), st.text(max_size=12)))
def test_render_never_raises(text: str, values: dict[str, str]) -> None:
    assert len(variables.render(text, {})) <= len(text)
    assert isinstance(variables.render(text, values), str)
    assert set(variables.check(text)) <= set(variables.names(text))
