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

from tweektrend_dagster.keywords.normalize import normalize_keyword, normalize_text
from tweektrend_dagster.tweets.model import Tweet

# Scripts written without spaces between words: substrings are real matches there.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1100, 0x11FF),  # Hangul jamo
    (0x1780, 0x17FF),  # Khmer
    (0x2E80, 0x2FDF),  # CJK radicals
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3130, 0x318F),  # Hangul compatibility jamo
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xA960, 0xA97F),  # Hangul jamo extended A
    (0xAC00, 0xD7FF),  # Hangul syllables, jamo extended B
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF66, 0xFFDC),  # half-width Katakana and Hangul
    (0x20000, 0x3134F),  # CJK extensions B-G
)


def _unspaced(ch: str) -> bool:
    code = ord(ch)
    if code < 0x0E00:
        return False
    return any(lo <= code <= hi for lo, hi in _UNSPACED_RANGES)


def _is_word_char(ch: str) -> bool:
    """A letter or digit of a space-separated script."""
    if ch < "\x80":
        return ch.isalnum()
    return ch.isalnum() and not _unspaced(ch)


def _is_word_letter(ch: str) -> bool:
    if ch < "\x80":
        return ch.isalpha()
    return ch.isalpha() and not _unspaced(ch)


class KeywordMatcher:
    """Finds followed keywords in tweets. Build once per keyword-set version; `match` is cheap."""

    def __init__(self, keywords: Iterable[str]) -> None:
        self._keywords: frozenset[str] = frozenset(normalize_keyword(k) for k in keywords)
        self._automaton: ahocorasick.Automaton | None = None
        if self._keywords:
            automaton = ahocorasick.Automaton()
            for kw in self._keywords:
                # Boundary needs are decided once per keyword, not per hit.
                automaton.add_word(kw, (kw, len(kw), _is_word_char(kw[0]), _is_word_char(kw[-1])))
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
            if need_left and start > 0 and _is_word_char(text[start - 1]):
                continue
            if need_right and end < last and _is_word_letter(text[end + 1]):
                continue
            found.add(kw)
        return found
