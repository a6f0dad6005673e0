"""The one evaluator: which rules of a set a tweet matches (producer, Spark backfill, previews).

One Aho-Corasick pass over the normalised text finds every word, phrase, #hashtag and @mention
literal of all rules (with the keyword boundary rules of `keywords/boundaries.py`); hashtag and
mention entities and the author are dict lookups. Each rule is indexed under its *anchor cover*
(AND: one child's cover, OR: the union, NOT: none), so only rules with a found anchor have their
boolean part evaluated, and a rule that is a single word, phrase, #hashtag, @mention or from:
needs no evaluation at all (today's keyword speed).

Semantics per atom (docs/RULES.md):
- word/phrase: in the normalised text with the keyword boundaries, or equal to a hashtag entity;
- #tag: a hashtag entity, or `#tag` in the text not followed by a hashtag character;
- @user: a mention entity, or `@user` in the text not followed by [a-z0-9_];
- from:x: the author's username (case-folded) or id; lang:xx: the tweet's language (or a
  region of it: lang:zh matches zh-tw); is:/has: the tweet's relation, urls, media, entities.
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
from tweektrend_dagster.keywords.rules.syntax import rule_from_canonical
from tweektrend_dagster.keywords.rules.tree import (
    ANCHOR_TYPES,
    And,
    Has,
    Hashtag,
    Is,
    Lang,
    Mention,
    Node,
    Not,
    Rule,
    Text,
    anchor_cover,
)
from tweektrend_dagster.tweets.model import Tweet

Check = Callable[[set, "Tweet | None"], bool]
# How a literal found in the text is confirmed: by the keyword boundaries or as a whole tag/name.
_WORD, _TAG, _NAME = 0, 1, 2


class RuleSet:
    """Rules by key, matched together. Build once per rule-set version; `match` is cheap.
    Values may be Rules or canonical texts (Spark executors rebuild it from `{key: canonical}`)."""

    def __init__(self, rules: Mapping[str, Rule | str]) -> None:
        self._rules: dict[str, Rule] = {
            key: rule if isinstance(rule, Rule) else rule_from_canonical(rule)
            for key, rule in rules.items()
        }
        self._atoms: dict[Node, int] = {}
        self._literals: dict[str, list[tuple[int, int, int, bool, bool]]] = {}
        self._text_atoms: dict[str, int] = {}  # a hashtag entity equal to a word also counts
        self._hashtags: dict[str, int] = {}
        self._mentions: dict[str, int] = {}
        self._authors: dict[str, int] = {}
        self._direct: list[list[str]] = []  # atom id → keys of rules that are that atom
        self._candidates: list[list[int]] = []  # atom id → complex rules it anchors
        self._complex: list[tuple[str, Check]] = []
        for key, rule in self._rules.items():
            self._add(key, rule.tree)
        self._automaton = self._build_automaton()

    # ---- building --------------------------------------------------------------------------------

    def _add(self, key: str, tree: Node) -> None:
        if isinstance(tree, ANCHOR_TYPES):
            self._direct[self._atom(tree)].append(key)
            return
        index = len(self._complex)
        self._complex.append((key, self._compile(tree)))
        for atom in anchor_cover(tree):
            self._candidates[self._atom(atom)].append(index)

    def _atom(self, node: Node) -> int:
        found = self._atoms.get(node)
        if found is not None:
            return found
        aid = len(self._atoms)
        self._atoms[node] = aid
        self._direct.append([])
        self._candidates.append([])
        value = node.value
        if isinstance(node, Text):
            self._text_atoms[value] = aid
            entry = (aid, _WORD, len(value), is_word_char(value[0]), is_word_char(value[-1]))
            self._literals.setdefault(value, []).append(entry)
        elif isinstance(node, (Hashtag, Mention)):
            table, kind, sigils = (
                (self._hashtags, _TAG, "#＃")
                if isinstance(node, Hashtag)
                else (self._mentions, _NAME, "@＠")
            )
            table[value] = aid
            for sigil in sigils:
                literal = sigil + value
                self._literals.setdefault(literal, []).append(
                    (aid, kind, len(literal), False, False)
                )
        else:  # From
            self._authors[value] = aid
        return aid

    def _compile(self, node: Node) -> Check:
        if isinstance(node, ANCHOR_TYPES):
            aid = self._atom(node)
            return lambda hits, tweet: aid in hits
        if isinstance(node, Lang):
            code, region = node.value, node.value + "-"
            return lambda hits, tweet: tweet is not None and _lang_is(tweet.lang, code, region)
        if isinstance(node, Is):
            relation = node.value
            return lambda hits, tweet: tweet is not None and tweet.relation == relation
        if isinstance(node, Has):
            return _HAS[node.value]
        if isinstance(node, Not):
            inner = self._compile(node.child)
            return lambda hits, tweet: not inner(hits, tweet)
        checks = tuple(self._compile(child) for child in node.children)
        if isinstance(node, And):
            return lambda hits, tweet: all(check(hits, tweet) for check in checks)
        return lambda hits, tweet: any(check(hits, tweet) for check in checks)

    def _build_automaton(self) -> ahocorasick.Automaton | None:
        if not self._literals:
            return None
        automaton = ahocorasick.Automaton()
        for literal, entries in self._literals.items():
            automaton.add_word(literal, tuple(entries))
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
        # Shipped as {key: canonical}; the automaton is rebuilt where it is used.
        return (RuleSet, ({key: rule.canonical for key, rule in self._rules.items()},))

    # ---- matching --------------------------------------------------------------------------------

    def match(self, item: str | Tweet) -> list[str]:
        """Keys of the rules a tweet (or a bare text: no entities, language or relation)
        matches, sorted."""
        tweet = item if isinstance(item, Tweet) else None
        hits = self._hits(tweet.text if tweet is not None else item, tweet)
        if not hits:
            return []
        found: set[str] = set()
        candidates: set[int] = set()
        for aid in hits:
            found.update(self._direct[aid])
            candidates.update(self._candidates[aid])
        for index in candidates:
            key, check = self._complex[index]
            if key not in found and check(hits, tweet):
                found.add(key)
        return sorted(found)

    def _hits(self, raw_text: str, tweet: Tweet | None) -> set[int]:
        hits: set[int] = set()
        if self._automaton is not None:
            text = normalize_text(raw_text)
            last = len(text) - 1
            for end, entries in self._automaton.iter(text):
                for aid, kind, length, need_left, need_right in entries:
                    if aid in hits:
                        continue
                    if kind == _WORD:
                        start = end - length + 1
                        if need_left and start > 0 and is_word_char(text[start - 1]):
                            continue
                        if need_right and end < last and is_word_letter(text[end + 1]):
                            continue
                    elif end < last and (
                        is_hashtag_char(text[end + 1])
                        if kind == _TAG
                        else is_username_char(text[end + 1])
                    ):
                        continue
                    hits.add(aid)
        if tweet is not None:
            if tweet.hashtags and (self._text_atoms or self._hashtags):
                for tag in tweet.hashtags:
                    tag = normalize_text(tag).lstrip("#＃")
                    for table in (self._text_atoms, self._hashtags):
                        aid = table.get(tag)
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
        return hits


def _lang_is(lang: str | None, code: str, region: str) -> bool:
    if not lang:
        return False
    lang = lang.lower()
    return lang == code or lang.startswith(region)


_HAS: dict[str, Check] = {
    "links": lambda hits, tweet: tweet is not None and bool(tweet.urls),
    "media": lambda hits, tweet: tweet is not None and tweet.has_media,
    "hashtags": lambda hits, tweet: tweet is not None and bool(tweet.hashtags),
    "mentions": lambda hits, tweet: tweet is not None and bool(tweet.mentions),
}
