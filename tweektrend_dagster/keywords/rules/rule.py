"""The Rule: a parsed, valid rule with its canonical text, key and version; the ways to make one.

`syntax.py` turns text into a tree, `tree.py` defines the nodes and the canonical text,
`explain.py` says a tree in plain words; this module ties them into one immutable value.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from tweektrend_dagster.keywords.normalize import normalize_keyword
from tweektrend_dagster.keywords.rules.errors import RuleError
from tweektrend_dagster.keywords.rules.explain import explain
from tweektrend_dagster.keywords.rules.syntax import parse_tree
from tweektrend_dagster.keywords.rules.tree import (
    From,
    Hashtag,
    Mention,
    Node,
    Text,
    anchor_cover,
    canonical_text,
    rule_key,
    rule_version,
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed, valid rule. Build it with `parse_rule`, `legacy_rule` or `rule_from_canonical`.

    - `tree`: the nodes; `canonical`: the rule in one deterministic spelling (parses back to an
      equal tree); `key`: where its data lives; `version`: 12 hex digits of sha256(canonical).
    """

    tree: Node
    canonical: str
    key: str
    version: str

    @classmethod
    def from_tree(cls, tree: Node) -> Rule:
        canonical = canonical_text(tree)
        return cls(tree, canonical, rule_key(tree, canonical), rule_version(canonical))

    @property
    def text_atom(self) -> str | None:
        """The word or phrase when the whole rule is one (matched exactly as a keyword is)."""
        return self.tree.value if isinstance(self.tree, Text) else None

    def anchor_words(self) -> list[str]:
        """What a matching post must contain one of, as text (`코로나`, `#bts`, `@nasa`): the
        words a simulator writes into posts so the rule has something to find."""
        sigil = {Hashtag: "#", Mention: "@"}
        return [sigil.get(type(atom), "") + atom.value for atom in anchor_cover(self.tree)
                if not isinstance(atom, From)]

    def explain(self) -> str:
        """What the rule matches, in plain English."""
        return explain(self.tree)

    def __reduce__(self) -> tuple:
        # Pickled as its canonical text: small, and rebuilt through the one parser.
        return (rule_from_canonical, (self.canonical,))

    def __str__(self) -> str:
        return self.canonical


def legacy_rule(keyword: str) -> Rule:
    """The rule of a keyword followed before rules existed: one word or phrase with exactly its
    normalised text. Never parsed, since a keyword may hold '-', '"', 'OR' or '('."""
    return Rule.from_tree(Text(normalize_keyword(keyword)))


def parse_rule(text: str) -> Rule:
    """Parse a rule as the user typed it; raises RuleError (an InvalidKeyword) with the reason
    and position of the first mistake, or why the rule is refused."""
    if not isinstance(text, str):
        raise RuleError("a rule must be text", 0, "")
    return _parse_cached(text)


@lru_cache(maxsize=8192)
def _parse_cached(text: str) -> Rule:
    # Rules are immutable, so executors rebuilding the same rule set reuse one parse.
    return Rule.from_tree(parse_tree(text))


def rule_from_canonical(canonical: str) -> Rule:
    """The Rule stored as canonical text (the registry's `rule`, a Spark job's parameter)."""
    return parse_rule(canonical)
