"""Keyword matching: every enabled rule of a tenant in one Aho-Corasick automaton.

Text and keywords are normalised alike (:func:`normalise`): NFKC folds full-width letters, digits
and punctuation to their usual forms (ＡＢＣ → ABC, １２ → 12), Latin letters are lower-cased, and
runs of whitespace become one space. Chinese needs no word splitting: a keyword is found wherever
its characters appear in a row, emoji and punctuation around it or not.

``contains`` rules go in the automaton (one pass over the text finds every keyword of every rule);
``exact`` rules are a dictionary from the whole normalised message to the rules it equals.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from siyu.autotag.models import BOTH, EXACT

_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


@dataclass(frozen=True)
class RuleSpec:
    """What matching needs of a rule (loaded once per matcher build)."""

    id: int
    name: str
    keywords: tuple[str, ...]
    match_mode: str
    side: str
    tag_ids: tuple[int, ...]


class Matcher:
    """Finds, for a message and its side, every rule it hits and the first keyword of each."""

    def __init__(self, rules: Iterable[RuleSpec]) -> None:
        self.rules = {rule.id: rule for rule in rules}
        # normalised keyword -> ((rule id, side, original keyword), ...)
        contains: dict[str, list[tuple[int, str, str]]] = {}
        self.exact: dict[str, list[tuple[int, str, str]]] = {}
        for rule in self.rules.values():
            table = self.exact if rule.match_mode == EXACT else contains
            for keyword in rule.keywords:
                key = normalise(keyword)
                if key:
                    table.setdefault(key, []).append((rule.id, rule.side, keyword))
        self.automaton: ahocorasick.Automaton | None = None
        if contains:
            automaton = ahocorasick.Automaton()
            for key, owners in contains.items():
                automaton.add_word(key, tuple(owners))
            automaton.make_automaton()
            self.automaton = automaton

    def match(self, text: str, side: str) -> dict[int, str]:
        """``{rule id: keyword}`` for every rule that ``text``, written by ``side`` (customer
        or staff), hits; the keyword is the first of the rule's found in the text."""
        clean = normalise(text)
        if not clean:
            return {}
        found: dict[int, str] = {}
        for rule_id, rule_side, keyword in self.exact.get(clean, ()):
            if rule_side in (side, BOTH):
                found.setdefault(rule_id, keyword)
        if self.automaton is not None:
            for _end, owners in self.automaton.iter(clean):
                for rule_id, rule_side, keyword in owners:
                    if rule_id not in found and rule_side in (side, BOTH):
                        found[rule_id] = keyword
        return found


# A worker's matchers, one per tenant with the rules' version it was built from.
_cache: dict[int, tuple[int, Matcher]] = {}
_cache_lock = threading.Lock()


def cached(tenant_id: int, version: int) -> Matcher | None:
    with _cache_lock:
        entry = _cache.get(tenant_id)
    return entry[1] if entry is not None and entry[0] == version else None


def remember(tenant_id: int, version: int, matcher: Matcher) -> None:
    with _cache_lock:
        _cache[tenant_id] = (version, matcher)


def forget_all() -> None:
    with _cache_lock:
        _cache.clear()
