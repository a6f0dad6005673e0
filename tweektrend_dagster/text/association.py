"""Related-word ranking: how specific is a word to a keyword, compared with the period background?

All counts are document counts (tweets) over one period:
- N        tweets in the background (every keyword's tweets plus the unmatched raw archive),
- n_kw     tweets matching the keyword,
- c_w      background tweets containing the word,
- c_kw_w   keyword tweets containing the word.

The ranking uses NPMI (normalised pointwise mutual information,
Bouma 2009): npmi = log(p(kw,w) / (p(kw)·p(w))) / -log p(kw,w).
It is bounded in [-1, 1] (1: the word occurs exactly in the keyword's tweets, 0: independent,
-1: never together), so scores are comparable across keywords and periods and can colour a
bubble chart directly. Its weakness, over-rewarding rare words, is handled by `min_count`.

Dunning's log-likelihood ratio G² is provided as the alternative (`method="g2"`). It is a
significance statistic: it grows with sample size and favours frequent words, so a word in 40% of
a big keyword's tweets outranks a perfectly specific but rarer word, and values are not comparable
between a small and a large keyword. Useful for "what is surely over-represented", not for the
cross-keyword charts, hence NPMI is the default and what `trends.related_words.score` stores.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Literal, TypedDict

from tweektrend_dagster.text.tokenize import TokenKind, token_kind


class RelatedWord(TypedDict):
    word: str
    count: int
    score: float
    kind: TokenKind


def _check(c_kw_w: int, n_kw: int, c_w: int, n: int) -> tuple[int, int, int, int]:
    if min(c_kw_w, n_kw, c_w, n) < 0:
        raise ValueError("counts must be non-negative")
    # Counts come from separate aggregates (and late data); clamp them into a consistent
    # 2x2 table instead of failing: c_kw_w <= n_kw, c_kw_w <= c_w, and n covers the rest.
    n_kw = max(n_kw, c_kw_w)
    c_w = max(c_w, c_kw_w)
    n = max(n, n_kw + c_w - c_kw_w)
    return c_kw_w, n_kw, c_w, n


def npmi(c_kw_w: int, n_kw: int, c_w: int, N: int) -> float:
    """NPMI of keyword and word in [-1, 1].

    Edge cases: c_kw_w == 0 → -1.0 (never together); p(kw,w) == 1, i.e. every background tweet
    has both → 1.0 (the 0/0 limit of perfect association). Inconsistent counts are clamped.
    """
    if c_kw_w == 0:
        if min(n_kw, c_w, N) < 0:
            raise ValueError("counts must be non-negative")
        return -1.0
    c_kw_w, n_kw, c_w, N = _check(c_kw_w, n_kw, c_w, N)
    if c_kw_w == N:
        return 1.0
    p_xy = c_kw_w / N
    pmi = math.log(c_kw_w * N / (n_kw * c_w))
    return max(-1.0, min(1.0, pmi / -math.log(p_xy)))


def _xlogx(x: float) -> float:
    return x * math.log(x) if x > 0 else 0.0


def log_likelihood(c_kw_w: int, n_kw: int, c_w: int, N: int, signed: bool = True) -> float:
    """Dunning's G² of the 2x2 table (keyword yes/no × word yes/no).

    With `signed` (default) the value is negative when the word is rarer in the keyword's tweets
    than expected, so sorting descending puts over-represented words first.
    """
    c_kw_w, n_kw, c_w, N = _check(c_kw_w, n_kw, c_w, N)
    if N == 0:
        return 0.0
    k11 = c_kw_w
    k12 = n_kw - c_kw_w
    k21 = c_w - c_kw_w
    k22 = N - n_kw - c_w + c_kw_w
    # G² = 2·(Σ k·ln k − Σ rows·ln rows − Σ cols·ln cols + N·ln N)
    g2 = 2.0 * (
        _xlogx(k11)
        + _xlogx(k12)
        + _xlogx(k21)
        + _xlogx(k22)
        - _xlogx(n_kw)
        - _xlogx(N - n_kw)
        - _xlogx(c_w)
        - _xlogx(N - c_w)
        + _xlogx(N)
    )
    g2 = max(0.0, g2)  # rounding can leave a tiny negative for independent words
    if signed and k11 * N < n_kw * c_w:
        return -g2
    return g2


def rank_related(
    counts: Mapping[str, int],
    n_kw: int,
    background: Mapping[str, int],
    N: int,
    min_count: int = 3,
    top: int = 50,
    exclude: Iterable[str] = (),
    method: Literal["npmi", "g2"] = "npmi",
) -> list[RelatedWord]:
    """Related words of a keyword, best first: score descending, then count, then word.

    counts: word → tweets of the keyword containing it (c_kw_w); background: word → c_w.
    Words seen in fewer than `min_count` keyword tweets are skipped (NPMI over-rewards rare
    words), as are `exclude` tokens (the keyword's own tokens, e.g. tokenize(keyword)).
    A word missing from the background is treated as occurring only in the keyword's tweets.
    Scores are rounded to 4 decimals for storage.
    """
    skip = set(exclude)
    scorer = npmi if method == "npmi" else log_likelihood
    rows: list[RelatedWord] = []
    for word, count in counts.items():
        if count < min_count or word in skip:
            continue
        score = scorer(count, n_kw, background.get(word, count), N)
        rows.append(
            {"word": word, "count": int(count), "score": round(score, 4), "kind": token_kind(word)}
        )
    rows.sort(key=lambda r: (-r["score"], -r["count"], r["word"]))
    return rows[:top]
