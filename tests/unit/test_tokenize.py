"""Tokeniser: real Korean sentences through Kiwi, English rules, hashtags, noise removal, cache."""

from __future__ import annotations

import pickle
import unicodedata

import pytest

from tweektrend_dagster.text import tokenize as tok_module
from tweektrend_dagster.text.tokenize import (
    add_user_words,
    clear_cache,
    keyword_tokens,
    token_kind,
    tokenize,
    tokenize_many,
)


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


def test_korean_concert_sentence_yields_nouns_and_latin_name():
    tokens = tokenize("BTS 콘서트 티켓 예매가 오늘 시작됐다")
    assert tokens == ["콘서트", "티켓", "예매", "bts"]


def test_particles_and_endings_are_stripped():
    tokens = tokenize("BTS 콘서트 티켓 예매가 오늘 시작됐다")
    assert "예매가" not in tokens
    assert not any(t.endswith(("가", "다")) for t in tokens)
    assert "시작됐다" not in tokens and "됐다" not in tokens


def test_covid_sentence_splits_number_and_particle():
    # 코로나19 → 코로나 + 19 (numbers-only dropped); 확진자가 → 확진자; 늘었다 is a verb: dropped
    assert tokenize("코로나19 확진자가 늘었다") == ["코로나", "확진자"]


def test_english_lowercased_stopwords_removed_and_numbers_dropped():
    tokens = tokenize("The stock market is crashing and I'm NOT happy about it in 2024")
    assert tokens == ["stock", "market", "crashing", "happy"]


def test_english_keeps_alphanumerics_and_possessives_fold():
    assert tokenize("BTS's new album covid19 5G a b") == ["bts", "new", "album", "covid19", "5g"]


def test_hashtags_are_kept_distinct_and_case_folded():
    tokens = tokenize("드라마 보는 중 #넷플릭스 #Netflix #1")
    assert tokens == ["드라마", "#넷플릭스", "#netflix"]  # "#1" has no letter: not a hashtag
    assert "넷플릭스" not in tokens  # the hashtag does not also count as the noun


def test_emoji_urls_mentions_and_retweet_marker_dropped():
    text = "RT @bts_bighit: 방탄소년단 신곡 너무 좋아요 😍🔥 https://t.co/AbC123 @army_kr"
    assert tokenize(text) == ["방탄소년단", "신곡"]
    assert tokenize("Loving it 😂😂 https://example.com/x?y=1 @someone rt") == ["loving"]


def test_mixed_scripts_in_one_tweet():
    tokens = tokenize("넷플릭스 오징어게임 시즌2 Netflix Squid Game 최고!!")
    assert tokens[:3] == ["넷플릭스", "오징어게임", "시즌"]
    assert {"netflix", "squid", "game", "최고"} <= set(tokens)
    assert "2" not in tokens


def test_korean_stopwords_and_single_syllable_fragments_removed():
    tokens = tokenize("오늘 사람들이 너무 많아서 돈 문제 때문에 힘들었다")
    assert "오늘" not in tokens and "때문" not in tokens and "사람" not in tokens
    assert "돈" in tokens  # a topical single-syllable noun survives


def test_empty_and_symbol_only_texts():
    assert tokenize("") == []
    assert tokenize("ㅋㅋㅋ ㅠㅠ !!! 😂") == []
    assert tokenize("@a @b https://t.co/x") == []


def test_run_on_garbage_yields_no_giant_tokens():
    assert tokenize("a" * 5000) == []
    assert tokenize("가" * 3000 + " 경제") == []  # capped at MAX_CHARS: 경제 lies beyond
    assert tokenize("#" + "x" * 60 + " ok fine") == ["fine"]


def test_lone_surrogate_does_not_break_kiwi():
    assert tokenize("\ud800 한국 경제") == ["한국", "경제"]


def test_tokenize_many_matches_tokenize_and_handles_duplicates():
    texts = [
        "BTS 콘서트 티켓 예매가 오늘 시작됐다",
        "RT @fan: BTS 콘서트 티켓 예매가 오늘 시작됐다",
        "Great game tonight",
        "",
        "Great game tonight",
        "코로나19 확진자가 늘었다",
    ]
    batch = tokenize_many(texts)
    clear_cache()
    assert batch == [tokenize(t) for t in texts]
    assert batch[0] == batch[1]  # the retweet shares its original's tokens
    assert batch[3] == []


def test_cached_result_is_a_copy():
    first = tokenize("Great game tonight")
    first.append("mutated")
    assert tokenize("Great game tonight") == ["great", "game", "tonight"]


def test_cache_is_bounded_by_its_setting(monkeypatch):
    monkeypatch.setenv("TWEEKTREND_TOKEN_CACHE_SIZE", "3")
    tok_module._settings.cache_clear()  # read once per process: read again with the new value
    try:
        tokenize_many([f"word{i} test" for i in range(10)])
        assert len(tok_module._cache) == 3
    finally:
        tok_module._settings.cache_clear()


def test_user_words_keep_a_keyword_whole(monkeypatch):
    # A private Kiwi for this test; monkeypatch restores the shared one afterwards.
    monkeypatch.setattr(tok_module, "_kiwi", None)
    monkeypatch.setattr(tok_module, "_user_words", {})
    assert "지민" not in tokenize("사랑해요 지민 정국")
    assert add_user_words(["지민", "bts", "오징어 게임"]) == 1  # only single Hangul words
    assert tokenize("사랑해요 지민 정국") == ["사랑", "지민", "정국"]


def test_token_kind():
    assert token_kind("#bts") == "hashtag"
    assert token_kind("#넷플릭스") == "hashtag"
    assert token_kind("콘서트") == "ko"
    assert token_kind("netflix") == "en"


def test_functions_pickle_by_reference():
    # Spark ships them to executors.
    assert pickle.loads(pickle.dumps(tokenize_many)) is tokenize_many


def test_decomposed_hangul_is_normalised():
    decomposed = unicodedata.normalize("NFD", "콘서트 티켓 예매가")
    assert tokenize(decomposed) == ["콘서트", "티켓", "예매"]


def test_keyword_tokens_cover_plain_and_hashtag_forms():
    assert keyword_tokens("BTS") == {"bts", "#bts"}
    assert keyword_tokens("#코로나") == {"코로나", "#코로나"}
    assert keyword_tokens("오징어 게임") == {"오징어", "게임", "#오징어", "#게임", "#오징어게임"}
