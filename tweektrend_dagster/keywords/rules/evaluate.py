"""The one evaluator: which rules of a set a tweet matches (producer, Spark backfill, previews).

One Aho-Corasick pass over the normalised text finds every word, phrase, #hashtag and @mention
literal of all rules (with the keyword boundary rules of `keywords/boundaries.py`); hashtag and
mention entities and the author are dict lookups. Each rule is indexed under its *anchor cover*
(AND: one child's cover, OR: the union, NOT: none), so only rules with a found anchor have their
boolean part evaluated; a rule that is one word, phrase, #hashtag, @mention or from: (or an OR
of them) needs no evaluation at all (today's keyword speed).

Speed: per atom, one generated function adds the rules the atom matches alone and evaluates the
rules it anchors (their boolean parts compiled to Python expressions), so a tweet costs one call
per atom found, however many rules follow it.

Semantics per atom (docs/RULES.md):
- word/phrase: in the normalised text with the keyword boundaries, or equal to a hashtag entity;
- #tag: a hashtag entity, or `#tag` in the text not followed by a hashtag character;
- @user: a mention entity, or `@user` in the text not followed by [a-z0-9_];
- from:x: the author's username (case-folded) or id; lang:xx: the tweet's language, any case (or
  a region of it: lang:zh matches zh-TW); network:n: the tweet's network; is:/has: the tweet's
  relation, urls, media, entities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import ahocorasick

from tweektrend_dagster.keywords.boundaries import (
    is_hashtag_char,
    is_username_char,
    is_word_char,
    is_word_letter,
)
from tweektrend_dagster.keywords.normalize import normalize_text
from tweektrend_dagster.keywords.rules.rule import Rule, rule_from_canonical
from tweektrend_dagster.keywords.rules.tree import (
    ANCHOR_TYPES,
    And,
    Has,
    Hashtag,
    Is,
    Lang,
    Mention,
    Network,
    Node,
    Not,
    Or,
    Text,
    anchor_cover,
)
from tweektrend_dagster.tweets.model import Author, Tweet

# (atom hits, found ranks, tweet, lower-case lang) → None; adds the ranks of matched rules
AtomPlan = Callable[[set, set, Tweet, str], None] | tuple[int, ...]
# How a literal found in the text is confirmed: by the keyword boundaries or as a whole tag/name.
_WORD, _TAG, _NAME = 0, 1, 2
_HAS_FIELDS = {
    "links": "urls",
    "media": "has_media",
    "hashtags": "hashtags",
    "mentions": "mentions",
}
# A bare text has no language, network, relation or entities.
_NO_TWEET = Tweet(
    id="0", created_at=None, text="", author=Author(id="", username=""), network=""  # type: ignore
)


class RuleSet:
    """Rules by key, matched together. Build once per rule-set version; `match` is cheap.
    Values may be Rules or canonical texts (Spark executors rebuild it from `{key: canonical}`)."""

    def __init__(self, rules: Mapping[str, Rule | str]) -> None:
        self._rules: dict[str, Rule] = {
            key: rule if isinstance(rule, Rule) else rule_from_canonical(rule)
            for key, rule in rules.items()
        }
        # Keys are handled as their rank in sorted order: int sets and sorts are cheap.
        self._order: list[str] = sorted(self._rules)
        self._atoms: dict[Node, int] = {}
        self._literals: dict[str, list[tuple[int, int, int, bool, bool]]] = {}
        self._text_atoms: dict[str, int] = {}  # a hashtag entity equal to a word also counts
        self._hashtags: dict[str, int] = {}
        self._mentions: dict[str, int] = {}
        self._authors: dict[str, int] = {}
        self._direct: list[list[int]] = []  # atom id → ranks of rules matched whenever it is
        self._anchored: list[list[int]] = []  # atom id → ranks of rules it anchors
        self._expressions: dict[int, str] = {}  # rank → boolean part as a Python expression
        self._referenced: set[int] = set()  # atoms some expression reads
        for rank, key in enumerate(self._order):
            self._add(rank, self._rules[key].tree)
        self._plans: list[AtomPlan | None] = self._compile_plans()
        self._automaton = self._build_automaton()

    # ---- building --------------------------------------------------------------------------------

    def _add(self, rank: int, tree: Node) -> None:
        if isinstance(tree, ANCHOR_TYPES) or (
            isinstance(tree, Or) and all(isinstance(c, ANCHOR_TYPES) for c in tree.children)
        ):
            for atom in tree.children if isinstance(tree, Or) else (tree,):
                self._direct[self._atom(atom)].append(rank)
            return
        self._expressions[rank] = self._expression(tree)
        for atom in anchor_cover(tree):
            self._anchored[self._atom(atom)].append(rank)

    def _atom(self, node: Node) -> int:
        found = self._atoms.get(node)
        if found is not None:
            return found
        aid = len(self._atoms)
        self._atoms[node] = aid
        self._direct.append([])
        self._anchored.append([])
        value = node.value
        if isinstance(node, Text):
            self._text_atoms[value] = aid
            entry = (aid, _WORD, len(value), is_word_char(value[0]), is_word_char(value[-1]))
            self._literals.setdefault(value, []).append(entry)
        elif isinstance(node, (Hashtag, Mention)):
            is_tag = isinstance(node, Hashtag)
            (self._hashtags if is_tag else self._mentions)[value] = aid
            for sigil in "#＃" if is_tag else "@＠":
                literal = sigil + value
                entry = (aid, _TAG if is_tag else _NAME, len(literal), False, False)
                self._literals.setdefault(literal, []).append(entry)
        else:  # From
            self._authors[value] = aid
        return aid

    def _expression(self, node: Node) -> str:
        """The node as a Python expression over the atom hits `h`, the tweet `t` and its
        lower-case `lang`. Only ints and checked values (language codes, network, is:/has: names)
        reach the text."""
        if isinstance(node, ANCHOR_TYPES):
            aid = self._atom(node)
            self._referenced.add(aid)
            return f"{aid} in h"
        if isinstance(node, Lang):
            code = node.value
            return f"(lang == {code!r} or lang[:{len(code) + 1}] == {code + '-'!r})"
        if isinstance(node, Network):
            return f"t.network == {node.value!r}"
        if isinstance(node, Is):
            return f"t.relation == {node.value!r}"
        if isinstance(node, Has):
            return f"t.{_HAS_FIELDS[node.value]}"
        if isinstance(node, Not):
            return f"not ({self._expression(node.child)})"
        joiner = " and " if isinstance(node, And) else " or "
        return "(" + joiner.join(f"({self._expression(c)})" for c in node.children) + ")"

    def _compile_plans(self) -> list[AtomPlan | None]:
        # One compile for the whole set; a function per atom runs its rules inline, which is
        # several times faster than a call per rule when a tweet anchors dozens of them.
        lines: list[str] = []
        for aid, (direct, anchored) in enumerate(zip(self._direct, self._anchored, strict=True)):
            if not anchored:
                continue
            lines.append(f"def a{aid}(h, found, t, lang):")
            if direct:
                lines.append(f"    found.update({tuple(direct)!r})")
            for rank in anchored:
                lines.append(f"    if {self._expressions[rank]}: found.add({rank})")
        namespace: dict = {"__builtins__": {}}
        exec(compile("\n".join(lines), "<rules>", "exec"), namespace)  # noqa: S102
        # An atom that only matches rules alone is its tuple of ranks: no call needed.
        return [
            namespace.get(f"a{aid}") or (tuple(direct) if direct else None)
            for aid, direct in enumerate(self._direct)
        ]

    def _build_automaton(self) -> ahocorasick.Automaton | None:
        if not self._literals:
            return None
        automaton = ahocorasick.Automaton()
        for literal, entries in self._literals.items():
            (aid, kind, _, need_left, need_right), *more = entries
            # Most literals are one word with nothing to check around it (Hangul): the rules it
            # matches alone (a tuple), or its atom id when rules read it, is the fast path.
            value: int | tuple | list = entries
            if not more and kind == _WORD and not need_left and not need_right:
                direct_only = aid not in self._referenced and not self._anchored[aid]
                value = tuple(self._direct[aid]) if direct_only else aid
            automaton.add_word(literal, value)
        automaton.make_automaton()
        return automaton

    # ---- the set ---------------------------------------------------------------------------------

    @property
    def keys(self) -> frozenset[str]:
        return frozenset(self._rules)

    @property
    def rules(self) -> Mapping[str, Rule]:
        return dict(self._rules)

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, key: object) -> bool:
        return key in self._rules

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __reduce__(self) -> tuple:
        # Shipped as {key: canonical}; the automaton and plans are rebuilt where they are used.
        return (RuleSet, ({key: rule.canonical for key, rule in self._rules.items()},))

    # ---- matching --------------------------------------------------------------------------------

    def match(self, item: str | Tweet) -> list[str]:
        """Keys of the rules a tweet (or a bare text: no entities, language, network or relation)
        matches, sorted."""
        if isinstance(item, Tweet):
            tweet, (hits, found) = item, self._hits(item.text, item)
        else:
            tweet, (hits, found) = _NO_TWEET, self._hits(item, None)
        if not hits and not found:
            return []
        lang = tweet.lang.lower() if tweet.lang else ""
        plans = self._plans
        for aid in hits:
            plan = plans[aid]
            if plan.__class__ is tuple:
                found.update(plan)
            elif plan is not None:
                plan(hits, found, tweet, lang)
        order = self._order
        return [order[rank] for rank in sorted(found)]

    def _evaluated_for(self, item: str | Tweet) -> set[str]:
        """Keys whose boolean part a match of `item` evaluates (the prefilter's candidates)."""
        tweet = item if isinstance(item, Tweet) else None
        hits, _ = self._hits(item.text if tweet is not None else item, tweet)
        return {self._order[rank] for aid in hits for rank in self._anchored[aid]}

    def _hits(self, raw_text: str, tweet: Tweet | None) -> tuple[set[int], set[int]]:
        """(atoms found, ranks of rules already matched by atoms no rule reads)."""
        hits, found = self._scan(raw_text)
        if tweet is not None:
            if tweet.hashtags and (self._text_atoms or self._hashtags):
                text_atoms, hashtags = self._text_atoms, self._hashtags
                for tag in tweet.hashtags:
                    tag = normalize_text(tag).lstrip("#＃")
                    aid = text_atoms.get(tag)
                    if aid is not None:
                        hits.add(aid)
                    aid = hashtags.get(tag)
                    if aid is not None:
                        hits.add(aid)
            if tweet.mentions and self._mentions:
                for name in tweet.mentions:
                    aid = self._mentions.get(name.casefold().lstrip("@＠"))
                    if aid is not None:
                        hits.add(aid)
            if self._authors:
                for who in (tweet.author.username.casefold(), tweet.author.id):
                    aid = self._authors.get(who)
                    if aid is not None:
                        hits.add(aid)
        return hits, found

    def _scan(self, raw_text: str) -> tuple[set[int], set[int]]:
        """What the text alone finds (as `_hits`)."""
        hits: set[int] = set()
        found: set[int] = set()
        if self._automaton is not None:
            text = normalize_text(raw_text)
            last = len(text) - 1
            for end, entries in self._automaton.iter(text):
                if entries.__class__ is tuple:
                    found.update(entries)
                    continue
                if entries.__class__ is int:
                    hits.add(entries)
                    continue
                for aid, kind, length, need_left, need_right in entries:
                    if aid in hits:
                        continue
                    if kind == _WORD:
                        # The keyword boundaries, with the ASCII case inline (the common one).
                        start = end - length + 1
                        if need_left and start > 0:
                            ch = text[start - 1]
                            if ch.isalnum() if ch < "\x80" else is_word_char(ch):
                                continue
                        if need_right and end < last:
                            ch = text[end + 1]
                            if ch.isalpha() if ch < "\x80" else is_word_letter(ch):
                                continue
                    elif end < last and (
                        is_hashtag_char(text[end + 1])
                        if kind == _TAG
                        else is_username_char(text[end + 1])
                    ):
                        continue
                    hits.add(aid)
        return hits, found
