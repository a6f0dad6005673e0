"""The parsed form of a rule: immutable nodes, their canonical text, the rule key and version.

Nodes compare by meaning only; `span` (where the node was typed) is kept for error messages and
ignored by equality, so a rule typed twice with different spacing is the same tree.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Union

from tweektrend_dagster.tweets.checks import NETWORKS

_NO_SPAN = (0, 0)


@dataclass(frozen=True, slots=True)
class Text:
    """A word or an exact phrase (normalised like a keyword), searched in the text."""

    value: str
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Hashtag:
    value: str  # case-folded, without '#'
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Mention:
    value: str  # case-folded, without '@'
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class From:
    value: str  # case-folded username or numeric user id
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Lang:
    value: str  # lower-case language code
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Network:
    value: str  # one of NETWORKS: "x" | "bluesky" | "mastodon"
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Is:
    value: str  # "retweet" | "reply" | "quote"
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Has:
    value: str  # "links" | "media" | "hashtags" | "mentions"
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    span: tuple[int, int] = field(default=_NO_SPAN, compare=False, repr=False)


Node = Union[Text, Hashtag, Mention, From, Lang, Network, Is, Has, Not, And, Or]  # noqa: UP007
# Atoms that anchor a rule: X calls the others (lang:, is:, has:) non-standalone operators, and
# network: is one as well.
ANCHOR_TYPES = (Text, Hashtag, Mention, From)
IS_VALUES = ("retweet", "reply", "quote")
HAS_VALUES = ("links", "media", "hashtags", "mentions")
NETWORK_VALUES = NETWORKS
# Other spellings a user may type for a network; the canonical text uses the network's name.
NETWORK_ALIASES = {"twitter": "x"}
NETWORK_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}


def network_name(value: str) -> str:
    """How a network is written for people: X, Bluesky, Mastodon."""
    return NETWORK_NAMES.get(value, value.capitalize())


def make_and(children: list[Node], span: tuple[int, int] = _NO_SPAN) -> Node:
    """AND of the children: nested ANDs flattened, repeats dropped, one child is itself."""
    return _combine(And, children, span)


def make_or(children: list[Node], span: tuple[int, int] = _NO_SPAN) -> Node:
    """OR of the children: nested ORs flattened, repeats dropped, one child is itself."""
    return _combine(Or, children, span)


def _combine(kind: type, children: list[Node], span: tuple[int, int]) -> Node:
    flat: list[Node] = []
    for child in children:
        for part in child.children if isinstance(child, kind) else (child,):
            if part not in flat:
                flat.append(part)
    if len(flat) == 1:
        return flat[0]
    return kind(tuple(flat), span)


def anchored(node: Node) -> bool:
    """Whether every post the node matches must contain one of its words, phrases, #hashtags,
    @mentions or be from: one of its authors (so a literal search can find its candidates)."""
    if isinstance(node, ANCHOR_TYPES):
        return True
    if isinstance(node, And):
        return any(anchored(child) for child in node.children)
    if isinstance(node, Or):
        return all(anchored(child) for child in node.children)
    return False


def anchor_cover(node: Node) -> list[Node]:
    """Atoms of which at least one is in every post the node matches (the node is anchored)."""
    if isinstance(node, ANCHOR_TYPES):
        return [node]
    if isinstance(node, Or):
        return [atom for child in node.children for atom in anchor_cover(child)]
    if isinstance(node, And):
        covers = [anchor_cover(child) for child in node.children if anchored(child)]
        # The fewest, longest literals: the rarest to be found, so the fewest evaluations.
        return min(covers, key=lambda atoms: (len(atoms), -min(_weight(a) for a in atoms)))
    raise ValueError(f"no anchor in {node!r}")


def _weight(atom: Node) -> int:
    # A from:, #tag or @name is rarer than a word of the same length.
    return len(atom.value) + (0 if isinstance(atom, Text) else 8)


def on_network(node: Node, network: str) -> Node | bool:
    """The node as it reads for posts of one network: its network: atoms replaced by True or
    False and simplified away (`-(a network:x)` on Bluesky is True, on X `-a`); True or False
    when the whole node is. An anchored node is never True: its words, hashtags, mentions and
    authors stay, so it reads as False or as an anchored node."""
    if isinstance(node, Network):
        return node.value == network
    if isinstance(node, Not):
        child = on_network(node.child, network)
        if isinstance(child, bool):
            return not child
        if isinstance(child, Not):  # -(-a network:x) on X is a, never a double exclusion
            return child.child
        return node if child is node.child else Not(child, node.span)
    if isinstance(node, (And, Or)):
        absorbing = isinstance(node, Or)  # True absorbs an OR, False an AND
        kept: list[Node] = []
        for c in node.children:
            part = on_network(c, network)
            if part is absorbing:
                return absorbing
            if part is not (not absorbing):
                kept.append(part)
        if not kept:
            return not absorbing
        if len(kept) == len(node.children) and all(
            k is c for k, c in zip(kept, node.children, strict=True)
        ):
            return node
        return (make_or if absorbing else make_and)(kept)
    return node


# ---- canonical text ------------------------------------------------------------------------------

_QUOTE_CHARS = frozenset(' ()"\u3000:')


def _text_literal(value: str) -> str:
    # Bare only when the tokenizer reads it back as the same single term.
    if (
        value[0] in "-#@＃＠"
        or value in ("OR", "AND")
        or any(ch in _QUOTE_CHARS or ch.isspace() for ch in value)
    ):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def canonical_text(node: Node, text_literal: Callable[[str], str] | None = None) -> str:
    """The rule in the language, one deterministic spelling: normalised values, written order,
    single spaces, ` OR ` between branches, parentheses only where needed (and around an AND
    inside an OR, for the reader). `text_literal` spells words and phrases another way (X)."""
    if isinstance(node, Text):
        return (text_literal or _text_literal)(node.value)
    if isinstance(node, Hashtag):
        return "#" + node.value
    if isinstance(node, Mention):
        return "@" + node.value
    if isinstance(node, From):
        return "from:" + node.value
    if isinstance(node, Lang):
        return "lang:" + node.value
    if isinstance(node, Network):
        return "network:" + node.value
    if isinstance(node, Is):
        return "is:" + node.value
    if isinstance(node, Has):
        return "has:" + node.value
    if isinstance(node, Not):
        inner = canonical_text(node.child, text_literal)
        return "-(" + inner + ")" if isinstance(node.child, (And, Or)) else "-" + inner
    if isinstance(node, And):
        return " ".join(
            "(" + canonical_text(c, text_literal) + ")"
            if isinstance(c, Or)
            else canonical_text(c, text_literal)
            for c in node.children
        )
    if isinstance(node, Or):
        return " OR ".join(
            "(" + canonical_text(c, text_literal) + ")"
            if isinstance(c, And)
            else canonical_text(c, text_literal)
            for c in node.children
        )
    raise TypeError(f"not a rule node: {node!r}")


def rule_version(canonical: str) -> str:
    """First 12 hex digits of sha256(canonical): which rule produced a document."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:12]


def rule_key(node: Node, canonical: str) -> str:
    """The key a rule's data is stored under: a single positive word or phrase keeps today's
    keyword (its normalised text); anything else is `q:` + 16 hex digits of sha256(canonical)."""
    if isinstance(node, Text):
        return node.value
    return "q:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]
