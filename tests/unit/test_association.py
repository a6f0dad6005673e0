"""NPMI and G² against hand computations; related-word ranking order."""

from __future__ import annotations

import math

import pytest

from tweektrend_dagster.text.association import log_likelihood, npmi, rank_related


def test_npmi_hand_computed():
    # N=1000, n_kw=100, c_w=50, c_kw_w=40: p(x,y)=0.04, p(x)p(y)=0.005
    # pmi = ln 8, -ln p(x,y) = ln 25 → npmi = 3·ln2 / (2·ln5) = 0.646015
    assert npmi(40, 100, 50, 1000) == pytest.approx(3 * math.log(2) / (2 * math.log(5)))
    assert npmi(40, 100, 50, 1000) == pytest.approx(0.646015, abs=1e-6)


def test_npmi_negative_association_hand_computed():
    # p(x,y)=0.05, p(x)p(y)=0.2·0.5=0.1 → ln(0.5) / -ln(0.05) = -ln2 / ln20 = -0.231378
    assert npmi(5, 20, 50, 100) == pytest.approx(-0.231378, abs=1e-6)


def test_npmi_independent_is_zero():
    assert npmi(20, 100, 200, 1000) == pytest.approx(0.0, abs=1e-12)
    assert npmi(1, 10, 10, 100) == pytest.approx(0.0, abs=1e-12)


def test_npmi_edge_cases():
    assert npmi(0, 100, 50, 1000) == -1.0  # never together
    assert npmi(10, 10, 10, 1000) == pytest.approx(1.0)  # word only and always with the keyword
    assert npmi(1000, 1000, 1000, 1000) == 1.0  # p(x,y) = 1
    with pytest.raises(ValueError):
        npmi(1, -1, 5, 10)


def test_npmi_clamps_inconsistent_counts():
    # c_kw_w above c_w (late data): treated as c_w = c_kw_w, still within [-1, 1]
    assert -1.0 <= npmi(30, 40, 20, 100) <= 1.0
    assert npmi(30, 40, 20, 100) == pytest.approx(npmi(30, 40, 30, 100))


def test_log_likelihood_hand_computed():
    # table k11=40 k12=60 k21=10 k22=890, expected 5, 95, 45, 855
    expected = 2 * (
        40 * math.log(40 / 5)
        + 60 * math.log(60 / 95)
        + 10 * math.log(10 / 45)
        + 890 * math.log(890 / 855)
    )
    assert log_likelihood(40, 100, 50, 1000) == pytest.approx(expected)
    assert log_likelihood(40, 100, 50, 1000) == pytest.approx(152.5435, abs=1e-4)


def test_log_likelihood_sign_and_independence():
    assert log_likelihood(20, 100, 200, 1000) == pytest.approx(0.0, abs=1e-9)
    under = log_likelihood(2, 100, 200, 1000)  # expected 20, seen 2
    assert under < 0
    assert log_likelihood(2, 100, 200, 1000, signed=False) == pytest.approx(-under)


N, N_KW = 10_000, 200
COUNTS = {"music": 150, "concert": 100, "army": 20, "rare": 2, "bts": 200, "#bts": 40}
BACKGROUND = {"music": 7_500, "concert": 400, "army": 22, "rare": 2, "bts": 210, "#bts": 45}


def test_rank_related_puts_specific_words_above_ubiquitous_ones():
    ranked = rank_related(COUNTS, N_KW, BACKGROUND, N, exclude=["bts"])
    words = [r["word"] for r in ranked]
    # "music" is in 75% of tweets (in 150 of the keyword's 200): frequent but everywhere → 0
    assert words == ["#bts", "army", "concert", "music"]
    assert "rare" not in words  # below min_count
    assert "bts" not in words  # the keyword's own token
    music = ranked[-1]
    assert music == {"word": "music", "count": 150, "score": 0.0, "kind": "en"}
    army = ranked[1]
    assert army["score"] == pytest.approx(round(npmi(20, 200, 22, 10_000), 4))
    assert army["score"] == pytest.approx(0.6142, abs=1e-4)
    assert ranked[0]["kind"] == "hashtag"


def test_rank_related_g2_favours_frequent_words():
    ranked = rank_related(COUNTS, N_KW, BACKGROUND, N, exclude=["bts"], method="g2")
    words = [r["word"] for r in ranked]
    # concert (100 of 200) outranks the more specific but rarer army under G², not under NPMI
    assert words.index("concert") < words.index("army")
    assert ranked[0]["score"] == pytest.approx(399.0898, abs=1e-4)


def test_rank_related_ties_break_by_word_and_top_limits():
    counts = {"b": 5, "a": 5, "c": 9}
    background = {"b": 5, "a": 5, "c": 9}  # exclusive to the keyword; a and b tie exactly
    ranked = rank_related(counts, 50, background, 1000)
    assert [r["word"] for r in ranked] == ["c", "a", "b"]
    tied = pytest.approx(math.log(20) / math.log(200), abs=1e-4)
    assert ranked[1]["score"] == ranked[2]["score"] == tied
    assert [r["word"] for r in rank_related(counts, 50, background, 1000, top=2)] == ["c", "a"]


def test_rank_related_word_missing_from_background_counts_as_exclusive():
    ranked = rank_related({"새단어": 4}, 10, {}, 100)
    assert ranked == [
        {"word": "새단어", "count": 4, "score": round(npmi(4, 10, 4, 100), 4), "kind": "ko"}
    ]
