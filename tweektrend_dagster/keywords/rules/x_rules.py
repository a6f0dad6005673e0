"""A rule as X filtered-stream rule values.

X receives the rule as written where it can: the canonical text, with a negated OR group sent
as its negated parts (`-(a OR b)` → `-a -b`, X does not take negated groups). A rule longer than
X allows is split at its top-level OR (or at the largest OR group of a top-level AND) into several
values that together match the same posts. What X cannot express (`-(a b)`), or what still does
not fit, becomes the tightest superset X can take: without the exclusions, else only the rule's
anchor words, hashtags and mentions OR-ed together. TweekTrend evaluates the whole rule on every
post X delivers, so the counts stay exact either way; `note` says in plain words what X receives.

X has no network operator and every post it delivers is on X, so a rule is first read as it reads
for X posts (`network:x` true, any other network false, simplified through negations and ORs):
`코로나 -network:bluesky` is sent as `코로나`, and a rule only other networks can match
(`코로나 network:bluesky`) sends X nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tweektrend_dagster.keywords.boundaries import unspaced
from tweektrend_dagster.keywords.rules.rule import Rule, rule_from_canonical
from tweektrend_dagster.keywords.rules.tree import (
    NETWORK_VALUES,
    And,
    Node,
    Not,
    Or,
    Text,
    anchor_cover,
    canonical_text,
    make_and,
    make_or,
    network_name,
    on_network,
)

X_MAX_RULE_LENGTH = 512  # X API v2 filtered stream, Basic and Pro access
_MAX_READING_SHOWN = 200
# A word X reads as one plain term; anything else (spaces, punctuation) is sent as an exact phrase
# so X cannot read it as an operator.
_PLAIN_TERM = re.compile(r"[^\W_](?:\w*[^\W_])?")
_KOREAN_CAVEAT = (
    " X matches whole words, so a post where a particle is attached to a Korean or other "
    "unspaced word (코로나가) may not be delivered by X."
)


@dataclass(frozen=True)
class XTranslation:
    values: list[str]  # X rule values; their union is what X delivers (none: X has no posts for it)
    exact: bool  # True: X delivers exactly the rule's X posts (before X's word matching)
    note: str  # what X receives, in plain words


def x_rules(rule: Rule | str, max_length: int = X_MAX_RULE_LENGTH) -> XTranslation:
    """The X filtered-stream rule values for a rule (or its canonical text)."""
    if isinstance(rule, str):
        rule = rule_from_canonical(rule)
    on_x = on_network(rule.tree, "x")
    if on_x is False:
        networks = [n for n in NETWORK_VALUES if on_network(rule.tree, n) is not False]
        shown = " or ".join(network_name(n) for n in networks)
        note = (
            f"The rule matches only posts on {shown}; X delivers only posts on X, so X receives "
            "nothing for it."
        )
        return XTranslation([], True, note)
    if on_x is True:  # never for a parsed rule: its words stay (see `on_network`)
        raise ValueError(f"rule matches every X post: {rule.canonical}")
    read_for_x = ""
    if on_x != rule.tree:
        reading = x_text(on_x)
        # A long rule is not repeated in full: the rest of the note says how it is sent.
        shown = reading if len(reading) <= _MAX_READING_SHOWN else "without its network: parts"
        read_for_x = f"X has no network: operator; on X the rule reads {shown}. "
    caveat = _KOREAN_CAVEAT if _has_unspaced_words(on_x) else ""
    dropped: list[Node] = []
    tree = _x_form(on_x, dropped)
    written = x_text(tree)
    values = _fit(tree, max_length)
    if values is not None:
        if dropped:
            shown = ", ".join(canonical_text(d) for d in dropped)
            note = (
                f"X cannot exclude a group of words that must appear together ({shown}); X "
                f"receives {_received(values)} without that exclusion and TweekTrend removes "
                "those posts itself, so the counts stay exact."
            )
        elif len(values) == 1:
            note = "X receives " + ("that" if read_for_x else "the rule") + " as written."
        else:
            note = (
                f"The rule is longer than X allows ({len(written)} chars > {max_length}); X "
                f"receives it as {len(values)} rules split at OR, which together match the "
                "same posts."
            )
        return XTranslation(values, not dropped, read_for_x + note + caveat)
    too_long = f"The rule is longer than X allows ({len(written)} chars > {max_length})"
    loose = _without_exclusions(tree)
    values = _fit(loose, max_length) if loose != tree else None
    if values is not None:
        note = (
            f"{too_long}; X receives {_received(values)} without its exclusions, and "
            "TweekTrend removes the excluded posts itself, so the counts stay exact."
        )
        return XTranslation(values, False, read_for_x + note + caveat)
    anchors = [x_text(atom) for atom in dict.fromkeys(anchor_cover(on_x))]
    values = _pack(anchors, max_length)
    rules = "one rule" if len(values) == 1 else f"{len(values)} rules"
    note = (
        f"{too_long}; X receives only words, hashtags and mentions of it, OR-ed together in "
        f"{rules} ({_preview(anchors)}), and TweekTrend applies the whole rule itself, so the "
        "counts stay exact."
    )
    return XTranslation(values, False, read_for_x + note + caveat)


def x_literal(value: str) -> str:
    """A word or phrase as X reads it: `bts`, `코로나`, `"squid game"`, `"c++"`."""
    if _PLAIN_TERM.fullmatch(value) and value not in ("OR", "AND"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def x_text(node: Node) -> str:
    """A rule tree in X's spelling (words that are not plain terms quoted)."""
    return canonical_text(node, x_literal)


def _received(values: list[str]) -> str:
    return "it as one rule" if len(values) == 1 else f"it as {len(values)} rules"


def _preview(anchors: list[str], shown: int = 5) -> str:
    head = " OR ".join(anchors[:shown])
    return head + (f" OR … ({len(anchors) - shown} more)" if len(anchors) > shown else "")


def _x_form(node: Node, dropped: list[Node]) -> Node | None:
    """The tree as X takes it; None for a part X cannot express (recorded in `dropped`)."""
    if isinstance(node, Not):
        child = node.child
        if isinstance(child, Or):  # De Morgan: -(a OR b) is -a -b
            parts = [_x_form(Not(c), dropped) for c in child.children]
            kept = [p for p in parts if p is not None]
            return make_and(kept) if kept else None
        if isinstance(child, And):  # -(a b) would need an OR of negations
            dropped.append(node)
            return None
        return node
    if isinstance(node, (And, Or)):
        parts = [_x_form(c, dropped) for c in node.children]
        kept = [p for p in parts if p is not None]
        if isinstance(node, Or):
            # A branch that became "anything" makes the whole OR "anything" (a superset).
            return make_or(kept) if len(kept) == len(parts) else None
        return make_and(kept) if kept else None
    return node


def _without_exclusions(node: Node) -> Node:
    if isinstance(node, (And, Or)):
        kept = [_without_exclusions(c) for c in node.children if not isinstance(c, Not)]
        return (make_and if isinstance(node, And) else make_or)(kept)
    return node


def _fit(node: Node, max_length: int) -> list[str] | None:
    """The node as values of at most max_length chars, split at OR; None if it cannot be."""
    text = x_text(node)
    if len(text) <= max_length:
        return [text]
    wrap: Callable[[Node], Node]
    if isinstance(node, Or):
        branches, wrap = node.children, lambda part: part
    elif isinstance(node, And) and any(isinstance(c, Or) for c in node.children):
        # (a OR b OR ...) lang:ko → (a OR ...) lang:ko, (... OR b) lang:ko
        group = max((c for c in node.children if isinstance(c, Or)), key=lambda c: len(x_text(c)))
        branches = group.children

        def wrap(part: Node) -> Node:
            return make_and([part if c is group else c for c in node.children])
    else:
        return None
    values: list[str] = []
    chunk: list[Node] = []
    for branch in branches:
        if chunk and len(x_text(wrap(make_or([*chunk, branch])))) <= max_length:
            chunk.append(branch)
            continue
        if chunk:
            values.append(x_text(wrap(make_or(chunk))))
            chunk = []
        alone = wrap(branch)
        if len(x_text(alone)) <= max_length:
            chunk = [branch]
            continue
        inner = _fit(alone, max_length)
        if inner is None:
            return None
        values.extend(inner)
    if chunk:
        values.append(x_text(wrap(make_or(chunk))))
    return values


def _pack(literals: list[str], max_length: int) -> list[str]:
    values: list[str] = []
    current = ""
    for literal in literals:
        joined = f"{current} OR {literal}" if current else literal
        if len(joined) <= max_length:
            current = joined
        else:
            if current:
                values.append(current)
            current = literal
    if current:
        values.append(current)
    return values


def _has_unspaced_words(node: Node) -> bool:
    if isinstance(node, Text):
        return any(unspaced(ch) for ch in node.value)
    if isinstance(node, Not):
        return False  # an exclusion X misses only lets more posts through
    if isinstance(node, (And, Or)):
        return any(_has_unspaced_words(c) for c in node.children)
    return False
