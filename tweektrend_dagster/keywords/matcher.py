"""Which followed keywords a tweet mentions: one Aho-Corasick pass over the tweet's text.

Matching happens on the normalised text (NFC, case-folded, whitespace collapsed), so "#BTS",
"bts" and "New  York" find `bts` and `new york`. Boundary rule:
- keywords that start with a letter or digit of a space-separated script (Latin, Greek,
  Cyrillic, ...) need a LEFT boundary: the character before must not be such a letter or digit
  ("bts" does not match "subtsystem", but matches "#bts", "@bts_twt", "한국bts");
- keywords that end with such a letter or digit must not be followed by a LETTER of such a script;
  a digit may follow ("covid" matches "covid19" and "covid-19", not "covidiot"; "cat" does not
  match "category");
- Hangul, CJK, kana and Thai characters need no boundary: those scripts attach particles and
  numbers to words ("코로나가", "코로나19" match "코로나").
A hashtag of a Tweet that equals a keyword also counts (the payload may carry hashtags that are
not in the text, e.g. in a truncated retweet).
"""

from __future__ import annotations

from collections.abc import Iterable

import ahocorasick

from tweektrend_dagster.keywords.boundaries import is_word_char, is_word_letter
from tweektrend_dagster.keywords.normalize import normalize_keyword, normalize_text
from tweektrend_dagster.tweets.model import Tweet


class KeywordMatcher:
    """Finds followed keywords in tweets. Build once per keyword-set version; `match` is cheap."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._keywords: frozenset[str] = frozenset(normalize_keyword(k) for k in keywords)
        self._automaton: ahocorasick.Automaton | None = None
        if self._keywords:
            automaton = ahocorasick.Automaton()
            for kw in self._keywords:
                # Boundary needs are decided once per keyword, not per hit.
                automaton.add_word(kw, (kw, len(kw), is_word_char(kw[0]), is_word_char(kw[-1])))
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def keywords(self) -> frozenset[str]:
        return self._keywords

    def __len__(self) -> int:
        return len(self._keywords)

    def __contains__(self, keyword: object) -> bool:
        return keyword in self._keywords

    def match(self, item: str | Tweet) -> list[str]:
        """Distinct normalised keywords found in a text or a Tweet (text and hashtags), sorted."""
        if self._automaton is None:
            return []
        if isinstance(item, Tweet):
            found = self._scan(normalize_text(item.text))
            for tag in item.hashtags:
                tag = normalize_text(tag)
                if tag in self._keywords:
                    found.add(tag)
        else:
            found = self._scan(normalize_text(item))
        return sorted(found)

    def _scan(self, text: str) -> set[str]:
        found: set[str] = set()
        last = len(text) - 1
        for end, (kw, length, need_left, need_right) in self._automaton.iter(text):
            if kw in found:
                continue
            start = end - length + 1
            if need_left and start > 0 and is_word_char(text[start - 1]):
                continue
            if need_right and end < last and is_word_letter(text[end + 1]):
                continue
            found.add(kw)
        return found
