"""The matcher: Chinese first, normalised alike on both sides, and equal to a naive scan."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from siyu.autotag.keywords import Matcher, RuleSpec, normalise
from siyu.autotag.keywords_service import excerpt


def rule(
    rule_id: int, *keywords: str, mode: str = "contains", side: str = "both", name: str = "r"
) -> RuleSpec:
    return RuleSpec(rule_id, name, keywords, mode, side, (1,))


def test_normalising_folds_full_width_case_and_spaces() -> None:
    assert normalise("ＡＢＣ") == "abc"
    assert normalise("  宝宝\u3000 椅\n") == "宝宝 椅"
    assert normalise("１２人包间") == "12人包间"
    assert normalise("VIP会员") == "vip会员"


def test_chinese_keywords_are_found_among_emoji_and_punctuation() -> None:
    matcher = Matcher([rule(1, "宝宝"), rule(2, "儿童餐"), rule(3, "团建")])
    assert matcher.match("周六带🍼宝宝来，有儿童餐吗？😊", "customer") == {1: "宝宝", 2: "儿童餐"}
    assert matcher.match("👶宝宝👶", "customer") == {1: "宝宝"}
    assert matcher.match("宝贝要儿童套餐", "customer") == {}


def test_full_width_and_upper_case_match_their_plain_forms() -> None:
    matcher = Matcher([rule(1, "abc"), rule(2, "ＶＩＰ")])
    assert matcher.match("我要ＡＢＣ套餐", "customer") == {1: "abc"}
    assert matcher.match("我是vip", "customer") == {2: "ＶＩＰ"}


def test_exact_rules_match_the_whole_message_only() -> None:
    matcher = Matcher([rule(1, "订位", mode="exact"), rule(2, "订位")])
    assert matcher.match(" 订位 ", "customer") == {1: "订位", 2: "订位"}
    assert matcher.match("我要订位", "customer") == {2: "订位"}


def test_side_filters_whose_messages_a_rule_reads() -> None:
    matcher = Matcher([rule(1, "宝宝", side="customer"), rule(2, "宝宝", side="staff")])
    assert matcher.match("宝宝", "customer") == {1: "宝宝"}
    assert matcher.match("宝宝", "staff") == {2: "宝宝"}


def test_a_rule_reports_the_first_of_its_keywords_in_the_text() -> None:
    matcher = Matcher([rule(1, "儿童餐", "宝宝")])
    assert matcher.match("宝宝想吃儿童餐", "customer") == {1: "宝宝"}


def test_no_rules_no_matches() -> None:
    assert Matcher([]).match("宝宝", "customer") == {}


def test_an_excerpt_keeps_the_keyword_of_a_long_message() -> None:
    text = "前" * 200 + "宝宝椅" + "后" * 200
    cut = excerpt(text, "宝宝椅")
    assert "宝宝椅" in cut
    assert cut.startswith("…")
    assert cut.endswith("…")
    assert excerpt("短消息", "短") == "短消息"


CHARS = "宝贝儿童餐团建包间年会订过敏辣忌口的了吗我你有没ＡＢａｂ 😊，"


@settings(max_examples=200, deadline=None)
@given(
    keywords=st.lists(st.text(alphabet=CHARS, min_size=1, max_size=4), min_size=1, max_size=12),
    text=st.text(alphabet=CHARS, max_size=60),
)
def test_the_automaton_finds_exactly_what_a_naive_scan_finds(
    keywords: list[str], text: str
) -> None:
    rules = [rule(i, kw) for i, kw in enumerate(keywords, start=1)]
    found = set(Matcher(rules).match(text, "customer"))
    clean = normalise(text)
    expected = {
        r.id for r in rules if normalise(r.keywords[0]) and normalise(r.keywords[0]) in clean
    }
    assert found == expected
