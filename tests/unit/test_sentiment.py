"""Lexicon sentiment on real English and Korean tweets, with negation."""

from __future__ import annotations

import pytest

from tweektrend_dagster.text.sentiment import sentiment, sentiment_score
from tweektrend_dagster.text.tokenize import tokenize


def _label(text: str) -> str:
    return sentiment(tokenize(text), text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I love this song so much", "positive"),
        ("Best day ever, our team won!", "positive"),
        ("This movie was terrible and boring", "negative"),
        ("Worst customer service ever 😡", "negative"),
        ("Apple announced the new iPhone today", "neutral"),
        ("방탄소년단 신곡 너무 좋아요", "positive"),
        ("오징어게임 시즌2 최고!!", "positive"),
        ("영화 진짜 재밌다", "positive"),
        ("이번 업데이트 최악이야", "negative"),
        ("너무 슬퍼요 ㅠㅠ", "negative"),
        ("영화 재미없어", "negative"),
        ("BTS 콘서트 티켓 예매가 오늘 시작됐다", "neutral"),
        ("#최고 ❤", "positive"),
    ],
)
def test_labels(text, expected):
    assert _label(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This is not good", "negative"),
        ("not bad at all", "positive"),
        ("I don't like it", "negative"),
        ("I can't believe how great this is", "positive"),  # scope breaker
        ("No. Great show", "positive"),  # punctuation ends the negation
        ("안 좋아요", "negative"),
        ("안좋아", "negative"),
        ("맛이 좋지 않다", "negative"),
        ("행복하지 않다", "negative"),
        ("걱정 없어요", "positive"),
    ],
)
def test_negation(text, expected):
    assert _label(text) == expected


def test_domain_words_and_false_friends_are_neutral():
    assert _label("코로나19 확진자가 늘었다") == "neutral"  # 확진 is left out on purpose
    assert _label("서울 아파트 가격 발표") == "neutral"  # 아파트 is not 아파
    assert _label("국정감사 일정") == "neutral"  # 감사 as audit


def test_mixed_tweet_nets_out():
    assert sentiment_score(tokenize("좋은데 싫어"), "좋은데 싫어") == 0
    assert _label("Great food but terrible service") == "neutral"


def test_urls_and_mentions_do_not_count():
    text = "@lovely_user https://t.co/great"
    assert sentiment_score(tokenize(text), text) == 0


def test_empty_input():
    assert sentiment([], "") == "neutral"
