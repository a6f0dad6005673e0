"""Keyword normalisation and the Aho-Corasick matcher."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime

import pytest

from tweektrend_dagster.keywords import (
    InvalidKeyword,
    KeywordMatcher,
    display_keyword,
    normalize_keyword,
    normalize_text,
)
from tweektrend_dagster.tweets import Author, Tweet

# ---- normalize_keyword ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BTS", "bts"),
        ("#BTS", "bts"),
        ("  bts  ", "bts"),
        ("##bts", "bts"),
        ("@netflix", "netflix"),
        ("# Netflix", "netflix"),
        ("New   York", "new york"),
        ("new\tyork\n", "new york"),
        ("코로나", "코로나"),
        ("#코로나", "코로나"),
        ("넷플릭스\u3000드라마", "넷플릭스 드라마"),  # ideographic space
        ("C#", "c#"),  # a trailing '#' is part of the word
        ("Straße", "strasse"),
        ("COVID-19", "covid-19"),
        ("😷", "😷"),
    ],
)
def test_normalize_keyword(raw: str, expected: str) -> None:
    assert normalize_keyword(raw) == expected
    assert normalize_keyword(expected) == expected  # idempotent


def test_hangul_jamo_sequences_become_syllables() -> None:
    decomposed = unicodedata.normalize("NFD", "코로나")
    assert len(decomposed) == 6
    assert normalize_keyword(decomposed) == "코로나"
    assert normalize_keyword("\u110f\u1169\u1105\u1169\u1102\u1161") == "코로나"
    assert normalize_keyword("ㅋㅋ") == "ㅋㅋ"  # compatibility jamo stay as typed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty keyword"),
        ("   ", "empty keyword"),
        ("###", "empty keyword"),
        ("@# ", "empty keyword"),
        ("a" * 101, "too long"),
        ("bad\x00word", "control character"),
        ("bell\x07", "control character"),
        ("del\x7f", "control character"),
    ],
)
def test_invalid_keywords(raw: str, reason: str) -> None:
    with pytest.raises(InvalidKeyword, match=reason) as info:
        normalize_keyword(raw)
    assert isinstance(info.value, ValueError) and reason in info.value.reason


def test_length_limit_is_inclusive_and_non_text_rejected() -> None:
    assert normalize_keyword("a" * 100) == "a" * 100
    with pytest.raises(InvalidKeyword):
        normalize_keyword(None)  # type: ignore[arg-type]


def test_display_keeps_the_users_spelling() -> None:
    assert display_keyword("  #BTS ") == "#BTS"
    assert display_keyword("New   York") == "New York"
    assert display_keyword(unicodedata.normalize("NFD", "코로나")) == "코로나"
    with pytest.raises(InvalidKeyword):
        display_keyword("  ")


def test_normalize_text() -> None:
    assert normalize_text("Hello   WORLD\n#BTS") == "hello world #bts"
    assert normalize_text(unicodedata.normalize("NFD", "코로나 확진")) == "코로나 확진"


# ---- KeywordMatcher ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matcher() -> KeywordMatcher:
    return KeywordMatcher(
        ["코로나", "#BTS", "Netflix", "new york", "york", "covid", "cat", "C#", "넷플릭스", "😷"]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love BTS", ["bts"]),
        ("#BTS 최고!!", ["bts"]),
        ("@bts_twt new album", ["bts"]),
        ("subtsystem failure", []),  # no left boundary
        ("btsarmy forever", []),  # a letter follows
        ("한국BTS가 최고", ["bts"]),  # Hangul around a Latin keyword is a boundary
        ("코로나가 다시 유행", ["코로나"]),  # Korean particle attached
        ("코로나19 확진자", ["코로나"]),
        ("포스트코로나 시대", ["코로나"]),  # Hangul matches as a substring
        ("Visiting New  York\ncity", ["new york", "york"]),
        ("NEW YORK", ["new york", "york"]),
        ("newyork", []),
        ("covid19 is over", ["covid"]),  # a digit may follow
        ("covid-19", ["covid"]),
        ("the covidiots", []),
        ("my cat!", ["cat"]),
        ("category theory", []),
        ("C# and NETFLIX's new show", ["c#", "netflix"]),
        ("abc# code", []),
        ("https://www.netflix.com/title/1", ["netflix"]),
        ("마스크 😷 필수", ["😷"]),
        ("넷플릭스코리아 netflix netflix", ["netflix", "넷플릭스"]),  # distinct, sorted
        ("nothing here", []),
        ("", []),
    ],
)
def test_match_text(matcher: KeywordMatcher, text: str, expected: list[str]) -> None:
    assert matcher.match(text) == expected


def test_match_decomposed_hangul_text(matcher: KeywordMatcher) -> None:
    assert matcher.match(unicodedata.normalize("NFD", "코로나 조심")) == ["코로나"]


def _tweet(text: str, hashtags: list[str]) -> Tweet:
    return Tweet(
        id=1,
        created_at=datetime(2024, 3, 4, tzinfo=UTC),
        text=text,
        author=Author(id="1", username="u"),
        hashtags=hashtags,
    )


def test_match_tweet_counts_hashtags(matcher: KeywordMatcher) -> None:
    # A truncated retweet may carry hashtags that its text lost.
    assert matcher.match(_tweet("RT @x: big news…", ["Netflix", "코로나"])) == ["netflix", "코로나"]
    assert matcher.match(_tweet("cats", ["Cats"])) == []


def test_empty_matcher() -> None:
    m = KeywordMatcher([])
    assert len(m) == 0
    assert m.match("bts 코로나") == []


def test_keywords_are_normalised_and_deduplicated() -> None:
    m = KeywordMatcher(["BTS", "#bts", " bts "])
    assert m.keywords == frozenset({"bts"})
    assert "bts" in m and len(m) == 1
    with pytest.raises(InvalidKeyword):
        KeywordMatcher(["ok", ""])


def test_thousands_of_keywords() -> None:
    rng = random.Random(7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 12))) for _ in range(5000)}
    hangul = {"".join(chr(rng.randint(0xAC00, 0xD7A3)) for _ in range(3)) for _ in range(2000)}
    m = KeywordMatcher(words | hangul)
    assert len(m) == len(words | hangul)
    picked = sorted(words)[:3] + sorted(hangul)[:2]
    text = f"{picked[0].upper()} and #{picked[1]} with {picked[2]}. {picked[3]}가 {picked[4]}19"
    assert set(picked) <= set(m.match(text))
