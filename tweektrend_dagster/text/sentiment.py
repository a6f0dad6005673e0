"""Lexicon sentiment of one tweet: "positive", "negative" or "neutral".

Each lexicon hit adds +1 or −1; negation flips it; the sign of the sum is the label.
- English: words of the text against `ENGLISH_POSITIVE/NEGATIVE`; a negator among the three
  preceding words of the same clause flips ("not good" → −1, "not bad" → +1) unless a scope
  breaker stands between ("can't believe how great" stays +1).
- Korean nouns: the tweet's tokens (Kiwi nouns, exact match) against the noun lexicons; a
  following 없/아니/하지 않 flips ("걱정 없어요" → +1, "행복하지 않다" → −1).
- Korean predicates: stems such as 좋/싫/재밌/슬프 found in the text (Kiwi tokens keep only nouns);
  a preceding 안/못 or a following 지 않/지 못 flips ("안 좋아", "좋지 않다").
- Emoji: a few unambiguous ones (❤👍 vs 😡💔); 😂 and 😭 are left out (laughing/crying at anything).

Limits, by design of a lexicon approach: no sarcasm or irony ("참 잘~ 했다"), no intensity
(최고 and 좋 weigh the same), no scope beyond a short window, mixed tweets net out to neutral,
slang and new coinages are missed unless added, and keyword-domain words (확진, cases) are
deliberately absent. It is good for shares over many tweets, not for judging one tweet.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from tweektrend_dagster.text.sentiment_lexicon import (
    EMOJI_NEGATIVE,
    EMOJI_POSITIVE,
    ENGLISH_NEGATION_BREAKERS,
    ENGLISH_NEGATIVE,
    ENGLISH_NEGATORS,
    ENGLISH_POSITIVE,
    KOREAN_NEGATION_PREFIXES,
    KOREAN_NEGATION_SUFFIX,
    KOREAN_NEGATIVE_NOUNS,
    KOREAN_NEGATIVE_STEMS,
    KOREAN_NOUN_NEGATION_SUFFIX,
    KOREAN_POSITIVE_NOUNS,
    KOREAN_POSITIVE_STEMS,
)

Sentiment = Literal["positive", "negative", "neutral"]

_NEGATION_WINDOW = 3
_NOISE = re.compile(r"https?://\S+|www\.\S+|(?<![\w@])@\w+", re.IGNORECASE)
_EN_WORD = re.compile(r"[a-z]+")
_CLAUSE = re.compile(r"[.,!?;:\n]+")
_APOSTROPHE = re.compile(r"['\u2019]")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def _stem_alternation(stems: Sequence[str]) -> str:
    # Longest first so "재미없" wins over any shorter overlapping stem.
    return "|".join(sorted(stems, key=len, reverse=True))


_KO_STEMS = re.compile(
    f"(?P<pos>{_stem_alternation(KOREAN_POSITIVE_STEMS)})"
    f"|(?P<neg>{_stem_alternation(KOREAN_NEGATIVE_STEMS)})"
)
_KO_NEG_SUFFIX = re.compile(KOREAN_NEGATION_SUFFIX)
_KO_NOUN_NEG_SUFFIX = re.compile(KOREAN_NOUN_NEGATION_SUFFIX)


def _negated(words: list[str], i: int) -> bool:
    # Look back at most _NEGATION_WINDOW words, stopping at a scope breaker.
    for word in reversed(words[max(0, i - _NEGATION_WINDOW) : i]):
        if word in ENGLISH_NEGATORS:
            return True
        if word in ENGLISH_NEGATION_BREAKERS:
            return False
    return False


def _english_score(text: str) -> int:
    score = 0
    # Punctuation ends a negation's scope too, so words are taken clause by clause.
    for clause in _CLAUSE.split(_APOSTROPHE.sub("", text.lower())):
        words = _EN_WORD.findall(clause)
        for i, word in enumerate(words):
            polarity = 1 if word in ENGLISH_POSITIVE else -1 if word in ENGLISH_NEGATIVE else 0
            if polarity == 0:
                continue
            score += -polarity if _negated(words, i) else polarity
    return score


def _korean_predicate_score(text: str) -> int:
    score = 0
    for match in _KO_STEMS.finditer(text):
        polarity = 1 if match.lastgroup == "pos" else -1
        start = match.start()
        negated = any(text.endswith(p, 0, start) for p in KOREAN_NEGATION_PREFIXES)
        if not negated:
            negated = _KO_NEG_SUFFIX.match(text, match.end()) is not None
        score += -polarity if negated else polarity
    return score


def _korean_noun_score(tokens: Sequence[str], text: str) -> int:
    score = 0
    for token in tokens:
        word = token[1:] if token.startswith("#") else token  # "#최악" counts like 최악
        polarity = (
            1 if word in KOREAN_POSITIVE_NOUNS else -1 if word in KOREAN_NEGATIVE_NOUNS else 0
        )
        if polarity == 0:
            continue
        at = text.find(word)
        if at >= 0 and _KO_NOUN_NEG_SUFFIX.match(text, at + len(word)) is not None:
            polarity = -polarity
        score += polarity
    return score


def sentiment_score(tokens: Sequence[str], text: str) -> int:
    """Net lexicon score (positive hits − negative hits, after negation)."""
    text = _NOISE.sub(" ", text or "")
    score = _english_score(text)
    if _HANGUL.search(text):
        score += _korean_predicate_score(text) + _korean_noun_score(tokens, text)
    for char in text:
        if char in EMOJI_POSITIVE:
            score += 1
        elif char in EMOJI_NEGATIVE:
            score -= 1
    return score


def sentiment(tokens: Sequence[str], text: str) -> Sentiment:
    """Label one tweet from its tokens (`tokenize(text)`) and its text; see the module limits."""
    score = sentiment_score(tokens, text)
    if score > 0:
        return "positive"
    if score < 0:
        return "negative"
    return "neutral"
