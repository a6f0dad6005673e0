"""Korean tokenisers: kiwipiepy (what the product uses) against python-mecab-ko, on one core.

    .venv/bin/python bench/tokenizers.py [--tweets 100000] [--seed 7] [--cpu N] [--no-pin]

python-mecab-ko is NOT a product dependency. Install it for this bench (it brings the mecab-ko-dic
dictionary as the python-mecab-ko-dic wheel, nothing else to set up):

    .venv/bin/pip install python-mecab-ko==1.3.7     # + python-mecab-ko-dic 2.1.1.post2

Without it the script says so and measures kiwipiepy alone.

The texts: `--tweets` simulated posts of one fixed day (`simulator.generate(n, seed, start)`,
Korean and English, the default keywords), each parsed with `parse_payload`. Like the product's
Spark day, each distinct text key (the text without a leading "RT @user:", `text.tokenize`'s
cache key) is tokenised once.

Both tokenisers share everything but the Korean morphological analysis: the product's own
preparation (`_prepare`: URLs, mentions and hashtags out, English words and hashtags), noun
filter (`_korean_nouns`: NNG and NNP only, stopwords, single syllables) and merge (`_finish`).
MeCab's tags are mecab-ko-dic's (Sejong-based, the same NNG/NNP names as Kiwi's); its fused
entries ("그걸" NP+JKO) are split by their expression field and their noun parts kept.

What it prints:
1. speed on one core (the process is pinned to one CPU; `--no-pin` to leave it free): per
   tokeniser, distinct texts/s, Hangul texts/s and the day's tweets/s, by wall clock and by CPU
   time (the robust figure when the machine is shared). The texts go in chunks of 10,000 (Spark's
   Arrow batch size), each chunk through every tokeniser in turn, so load changes hit all alike.
   kiwipiepy runs as `tokenize_many` runs in Spark (one Kiwi worker thread,
   TWEEKTREND_KIWI_THREADS=1); its LRU cache is cleared before every chunk and the keys are
   distinct, so no call is answered from the cache. MeCab rows: "mecab (public API)"
   (`MeCab.parse`, a namedtuple per morpheme), "mecab" (the lattice read directly, what a product
   module would do; same tokens as the public API, printed) and "mecab+sfx" (the lattice, a noun
   and its directly following noun suffix joined: 확진+자 → 확진자, as Kiwi's dictionary has it).
2. agreement with kiwipiepy on the Hangul texts: equal noun sets, mean Jaccard, the sentiment
   labels (`text.sentiment` reads the Korean nouns too), the words whose day counts differ most.
3. related-word ranking of each keyword for the day with the product's scoring
   (`association.rank_related`, as documents.py and rollup_many call it: counts among the
   keyword's tweets, background over all tweets, N = all tweets, min count 3, top 50, the
   keyword's own tokens excluded): top-10 and top-20 overlap with kiwipiepy |A∩B|/k, the top-10
   among Korean words only, and the top-10 lists side by side for 코로나, 넷플릭스 and bts.
4. five Korean-only tweets and ~20 hand-written sentences with every token list.
It asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from tweektrend_dagster.text.tokenize import (
    _cache_key,
    _finish,
    _get_kiwi,
    _korean_nouns,
    _prepare,
    clear_cache,
    tokenize,
    tokenize_many,
)

DAY = datetime(2024, 3, 4, tzinfo=UTC)  # bench/batch.py's day
CHUNK = 10_000
MIN_COUNT = 3  # analytics.rollup.MIN_WORD_COUNT
TOP = 50  # documents.RELATED_WORDS
SIDE_BY_SIDE = ("코로나", "넷플릭스", "bts")
UNJOINED_SUFFIXES = frozenset({"들", "님", "씨", "적", "분", "짜리"})
COMPARED = ("kiwipiepy", "mecab", "mecab+sfx")
INSTALL = ".venv/bin/pip install python-mecab-ko==1.3.7  (brings python-mecab-ko-dic)"

# Real-looking Korean: particles, endings, compound nouns, informal spelling, numbers.
SENTENCES = (
    "코로나19 확진자가 어제보다 크게 늘었습니다",
    "오늘 넷플릭스에서 오징어게임 시즌2 봤는데 진짜 재밌었음",
    "방탄소년단 콘서트 티켓팅 또 실패했어요ㅠㅠ",
    "아이폰15 프로 배터리가 너무 빨리 닳네요",
    "비트코인 가격이 또 폭락해서 멘붕 왔다",
    "서울시청 앞 광장에서 크리스마스 트리 점등식이 열렸다",
    "백신 접종 예약 사이트가 아침부터 계속 먹통이에요",
    "삼성전자 주가가 외국인 매수세에 힘입어 상승했다",
    "재택근무 하니까 출퇴근 시간이 없어서 너무 좋다",
    "부동산 정책 발표 이후 아파트 매매가격이 하락세로 돌아섰다",
    "우리 강아지가 산책을 너무 좋아해요",
    "기상청은 내일 전국에 비가 내릴 것으로 예보했다",
    "대통령선거 사전투표율이 역대 최고를 기록했다",
    "손흥민 선수가 토트넘에서 시즌 10호골을 터뜨렸다",
    "인공지능 챗봇 서비스가 출시 두 달 만에 사용자 1억 명을 돌파했다",
    "마스크 착용 의무가 해제되면서 지하철 풍경도 달라졌다",
    "떡볶이 먹고 싶닼ㅋㅋ 배달앱 켜야지",
    "사회적거리두기 4단계 연장 발표에 자영업자들 한숨",
    "블랙핑크 신곡 뮤직비디오 조회수 1억뷰 돌파",
    "전기차 충전소가 부족해서 장거리 운전이 걱정된다",
    "중앙방역대책본부는 신규 확진자 수가 감소세라고 밝혔다",
)


class Morph(NamedTuple):
    """What `_korean_nouns` reads of a morpheme (Kiwi's Token has the same two fields)."""

    form: str
    tag: str


# ---------------------------------------------------------------- MeCab, product-shaped
def _split_fused(tag: str, expression: str | None) -> list[Morph]:
    # mecab-ko-dic fuses some forms ("그걸" = 그거/NP + ㄹ/JKO); only noun parts matter here.
    if "NN" not in tag or not expression:
        return []
    parts = (p.split("/") for p in expression.split("+"))
    return [Morph(p[0], p[1]) for p in parts if len(p) >= 2]


class MecabLattice:
    """MeCab through the lattice (one feature string per morpheme, no namedtuples).

    `join_suffix`: a noun directly followed by a noun suffix (XSN) becomes one noun, as Kiwi's
    dictionary has them (확진+자 → 확진자, 자영업+자 → 자영업자); plural and honorific suffixes
    and 적 (사회적) are left off, as Kiwi leaves them.
    """

    def __init__(self, join_suffix: bool = False) -> None:
        import _mecab
        import mecab

        self._tagger = mecab.MeCab()._tagger
        self._lattice = _mecab.Lattice()
        self._lattice.add_request_type(_mecab.MECAB_ALLOCATE_SENTENCE)
        self._join = join_suffix

    def morphs(self, text: str) -> list[Morph]:
        lattice = self._lattice
        lattice.clear()
        lattice.set_sentence(text)
        if not self._tagger.parse(lattice):
            raise RuntimeError(self._tagger.what())
        out: list[Morph] = []
        noun_end = -1  # where the last noun ended, for suffix joining
        for (start, end), node in lattice:
            feature = node.feature
            tag = feature[: feature.find(",")]
            if "+" in tag:
                out.extend(_split_fused(tag, feature.rsplit(",", 1)[-1]))
            elif (self._join and tag == "XSN" and start == noun_end
                  and node.surface not in UNJOINED_SUFFIXES):
                out[-1] = Morph(out[-1].form + node.surface, out[-1].tag)
                noun_end = end
                continue
            else:
                out.append(Morph(node.surface, tag))
            noun_end = end if tag in ("NNG", "NNP") else -1
        return out


class MecabPublic:
    """MeCab through its public API (`MeCab.parse` → Morpheme namedtuples)."""

    def __init__(self) -> None:
        import mecab

        self._mecab = mecab.MeCab()

    def morphs(self, text: str) -> list[Morph]:
        out: list[Morph] = []
        for m in self._mecab.parse(text):
            if "+" in m.pos:
                out.extend(_split_fused(m.pos, m.feature.expression))
            else:
                out.append(Morph(m.surface, m.pos))
        return out


def mecab_tokenize_many(analyser: MecabLattice | MecabPublic,
                        texts: Sequence[str]) -> list[list[str]]:
    """`tokenize_many` with MeCab in Kiwi's place (no cache: the keys are distinct)."""
    out = []
    for text in texts:
        prepared = _prepare(_cache_key(text))
        korean = _korean_nouns(analyser.morphs(prepared.clean)) if prepared.has_hangul else []
        out.append(list(_finish(prepared, korean)))
    return out


# ---------------------------------------------------------------- inputs
def day_of_tweets(n: int, seed: int) -> tuple[list[str], list[list[str]], list[str]]:
    """(texts, matched keywords per tweet, keywords) of n simulated tweets."""
    from tweektrend_dagster.ingest.sources.simulator import DEFAULT_KEYWORDS, generate
    from tweektrend_dagster.keywords import KeywordMatcher
    from tweektrend_dagster.tweets.parsers import parse_payload

    matcher = KeywordMatcher(DEFAULT_KEYWORDS)
    texts, matched = [], []
    # A fixed day: the simulator's daily cycle depends on the clock hour, so "now" would vary.
    for payload in generate(n, seed=seed, start=DAY):
        tweet = parse_payload(payload)
        texts.append(tweet.text)
        matched.append(matcher.match(tweet))
    return texts, matched, sorted(matcher.keywords)


def pin_to_one_cpu(cpu: int | None) -> int | None:
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None else allowed[-1]
    os.sched_setaffinity(0, {chosen})
    return chosen


# ---------------------------------------------------------------- 1. speed
def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def time_chunks(keys: list[str], runners: dict[str, Callable[[list[str]], list[list[str]]]]
                ) -> tuple[dict[str, list[list[str]]], dict[str, tuple[float, float]]]:
    """Each chunk through every runner in turn: results and (wall, cpu) seconds per runner."""
    results: dict[str, list[list[str]]] = {name: [] for name in runners}
    spent = dict.fromkeys(runners, (0.0, 0.0))
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start:start + CHUNK]
        for name, run in runners.items():
            wall, cpu = time.perf_counter(), time.process_time()
            results[name].extend(run(chunk))
            w, c = spent[name]
            spent[name] = (w + time.perf_counter() - wall, c + time.process_time() - cpu)
    return results, spent


def kiwi_product(chunk: list[str]) -> list[list[str]]:
    clear_cache()  # time the tokenizer, not the LRU cache
    return tokenize_many(chunk)


# ---------------------------------------------------------------- 3. ranking
def related(tokens_per_tweet: list[list[str]], matched: list[list[str]], keywords: list[str],
            own: Callable[[str], list[str]]) -> dict[str, list[dict[str, Any]]]:
    """Each keyword's related words for the day, as the product ranks them."""
    from tweektrend_dagster.text.association import rank_related

    background: Counter[str] = Counter()
    counts: dict[str, Counter[str]] = {k: Counter() for k in keywords}
    n_kw: Counter[str] = Counter()
    for toks, kws in zip(tokens_per_tweet, matched, strict=True):
        background.update(toks)
        for k in kws:
            n_kw[k] += 1
            counts[k].update(toks)
    n = len(tokens_per_tweet)
    return {
        k: [dict(r) for r in rank_related(counts[k], n_kw[k], background, n,
                                          min_count=MIN_COUNT, top=TOP, exclude=own(k))]
        for k in keywords
    }


def overlap(a: list[dict[str, Any]], b: list[dict[str, Any]], k: int) -> float:
    return len({r["word"] for r in a[:k]} & {r["word"] for r in b[:k]}) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin to one CPU")
    args = parser.parse_args()

    try:
        import mecab

        have_mecab = True
    except ImportError:
        have_mecab = False
        print(f"python-mecab-ko is not installed: measuring kiwipiepy alone. Install: {INSTALL}\n")

    import kiwipiepy

    cpu = None if args.no_pin else pin_to_one_cpu(args.cpu)
    print(f"kiwipiepy {kiwipiepy.__version__}"
          + (f", python-mecab-ko {mecab.__version__}" if have_mecab else "")
          + (f"; pinned to CPU {cpu}" if cpu is not None else "; not pinned"))

    t0 = time.perf_counter()
    texts, matched, keywords = day_of_tweets(args.tweets, args.seed)
    key_of = [_cache_key(t) for t in texts]
    keys = list(dict.fromkeys(key_of))
    prepared = [_prepare(k) for k in keys]
    hangul = sum(p.has_hangul for p in prepared)
    print(f"{len(texts):,} tweets (seed {args.seed}), {len(keys):,} distinct texts, {hangul:,} "
          f"with Hangul; simulated and parsed in {time.perf_counter() - t0:.1f} s (not timed)")

    # Load both analysers before timing (a Spark worker pays this once per process).
    loads = {}
    t0 = time.perf_counter()
    _get_kiwi()
    tokenize_many(["준비 문장입니다"])
    loads["kiwipiepy"] = time.perf_counter() - t0
    runners: dict[str, Callable[[list[str]], list[list[str]]]] = {"kiwipiepy": kiwi_product}
    if have_mecab:
        t0 = time.perf_counter()
        public = MecabPublic()
        loads["mecab (public API)"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        lattice = MecabLattice()
        loads["mecab"] = loads["mecab+sfx"] = time.perf_counter() - t0
        runners["mecab (public API)"] = lambda chunk: mecab_tokenize_many(public, chunk)
        runners["mecab"] = lambda chunk: mecab_tokenize_many(lattice, chunk)
        joined = MecabLattice(join_suffix=True)
        runners["mecab+sfx"] = lambda chunk: mecab_tokenize_many(joined, chunk)

    t0, c0 = time.perf_counter(), time.process_time()
    for k in keys:
        _prepare(k)
    prep_wall, prep_cpu = time.perf_counter() - t0, time.process_time() - c0
    load_before = loadavg()
    results, spent = time_chunks(keys, runners)

    print(f"\n1. Speed, one core ({len(keys):,} distinct texts in chunks of {CHUNK:,}; "
          f"load average before {load_before}, after {loadavg()})")
    print(f"  {'tokeniser':22s} {'load s':>7s} {'wall s':>7s} {'cpu s':>7s} {'texts/cpu-s':>12s} "
          f"{'Hangul/cpu-s':>13s} {'tweets/cpu-s':>13s} {'tweets/wall-s':>14s}")
    for name, (wall, cpu_s) in spent.items():
        print(f"  {name:22s} {loads[name]:7.2f} {wall:7.1f} {cpu_s:7.1f} "
              f"{len(keys) / cpu_s:12,.0f} {hangul / cpu_s:13,.0f} {len(texts) / cpu_s:13,.0f} "
              f"{len(texts) / wall:14,.0f}")
    print(f"  shared preparation alone (_prepare, part of every row above): {prep_cpu:.2f} cpu-s "
          f"({prep_wall:.2f} s wall)")
    for name, (_, cpu_s) in spent.items():
        if name != "kiwipiepy":
            print(f"  {name}: {spent['kiwipiepy'][1] / cpu_s:.1f}x kiwipiepy by CPU time")
    if not have_mecab:
        print(f"\n(mecab comparison skipped: {INSTALL})")
        return
    same = results["mecab (public API)"] == results["mecab"]
    print(f"  mecab public API and lattice give the same tokens: {'yes' if same else 'NO'}")

    by_key = {name: dict(zip(keys, results[name], strict=True)) for name in COMPARED}
    day = {name: [by_key[name][k] for k in key_of] for name in COMPARED}
    analysers = {"mecab": lattice, "mecab+sfx": joined}
    agreement(keys, prepared, by_key, day)
    ranking(day, matched, keywords, analysers)
    samples(keys, prepared, by_key, analysers)


def pad(text: str, width: int) -> str:
    """Left-justify by display width (Hangul takes two columns in a terminal)."""
    wide = sum(unicodedata.east_asian_width(ch) in "WF" for ch in text)
    return text + " " * max(0, width - len(text) - wide)


def _korean(tokens: list[str]) -> set[str]:
    return {w for w in tokens if not w.startswith("#") and not w.isascii()}


def agreement(keys: list[str], prepared: list[Any], by_key: dict[str, dict[str, list[str]]],
              day: dict[str, list[list[str]]]) -> None:
    n_ko = sum(p.has_hangul for p in prepared)
    print(f"\n2. Agreement with kiwipiepy on the {n_ko:,} distinct Hangul texts (Korean nouns)")
    background = {name: Counter(w for toks in tweets for w in toks) for name, tweets in day.items()}
    for name in COMPARED[1:]:
        equal, jaccard = 0, 0.0
        for key, p in zip(keys, prepared, strict=True):
            if p.has_hangul:
                a, b = _korean(by_key["kiwipiepy"][key]), _korean(by_key[name][key])
                equal += a == b
                jaccard += len(a & b) / len(a | b) if a | b else 1.0
        print(f"  {name:10s} same noun set {equal / n_ko:6.1%}, mean Jaccard {jaccard / n_ko:.3f}, "
              f"distinct words over the day {len(background[name]):,} "
              f"(kiwipiepy {len(background['kiwipiepy']):,})")
    # Sentiment reads the Korean nouns too (lexicon nouns such as 대박, 최악).
    from tweektrend_dagster.text.sentiment import sentiment

    moods = {name: Counter() for name in COMPARED}
    same_mood = dict.fromkeys(COMPARED, 0)
    for key in keys:
        kiwi_mood = sentiment(by_key["kiwipiepy"][key], key)
        for name in COMPARED:
            mood = kiwi_mood if name == "kiwipiepy" else sentiment(by_key[name][key], key)
            moods[name][mood] += 1
            same_mood[name] += mood == kiwi_mood
    for name in COMPARED:
        print(f"  sentiment of the distinct texts, {name:10s}: "
              + ", ".join(f"{m} {moods[name][m]:,}" for m in ("positive", "negative", "neutral"))
              + f"; same label as kiwipiepy {same_mood[name] / len(keys):.1%}")
    kiwi, mecab = background["kiwipiepy"], background["mecab"]
    diff = Counter({w: kiwi[w] - mecab[w] for w in kiwi.keys() | mecab.keys()})
    fmt = "{} {:,}/{:,}"
    print("  words in more tweets with kiwipiepy (word kiwi/mecab tweets of the day): "
          + ", ".join(fmt.format(w, kiwi[w], mecab[w]) for w, _ in diff.most_common(14)))
    print("  words in more tweets with mecab (word kiwi/mecab): "
          + ", ".join(fmt.format(w, kiwi[w], mecab[w])
                      for w, _ in sorted(diff.items(), key=lambda kv: (kv[1], kv[0]))[:14]))


def ranking(day: dict[str, list[list[str]]], matched: list[list[str]], keywords: list[str],
            analysers: dict[str, MecabLattice]) -> None:
    def own_tokens(tok: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
        # analytics.pipeline.own_tokens, with the tokeniser under test
        return lambda k: sorted(set(tok(k)) | {"#" + k.replace(" ", "")})

    tokenisers: dict[str, Callable[[str], list[str]]] = {"kiwipiepy": tokenize}
    for name, analyser in analysers.items():
        tokenisers[name] = lambda k, a=analyser: mecab_tokenize_many(a, [k])[0]
    ranks = {name: related(day[name], matched, keywords, own_tokens(tokenisers[name]))
             for name in COMPARED}
    n_kw = Counter(k for kws in matched for k in kws)
    print("\n3. Related-word ranking of the day per keyword (rank_related: NPMI, min count 3, "
          "top 50), overlap with kiwipiepy |A∩B|/k")
    print(f"  {'':19s}" + "".join(f"{name:>27s}" for name in COMPARED[1:]))
    print(f"  {'keyword':10s} {'tweets':>7s}" + " {:>8s} {:>8s} {:>8s}".format(
        "top-10", "top-20", "ko top10") * len(COMPARED[1:]))
    for k in keywords:
        cells = []
        for name in COMPARED[1:]:
            a, b = ranks["kiwipiepy"][k], ranks[name][k]
            ko_a, ko_b = ([r for r in rows if r["kind"] == "ko"] for rows in (a, b))
            cells.append(f" {overlap(a, b, 10):8.2f} {overlap(a, b, 20):8.2f} "
                         f"{overlap(ko_a, ko_b, 10):8.2f}")
        print(f"  {pad(k, 10)} {n_kw[k]:7,}" + "".join(cells))
    for k in SIDE_BY_SIDE:
        print(f"\n  {k}: top 10 (word, tweets, NPMI)")
        print("    " + "".join(f"{name:31s}" for name in COMPARED))
        for i in range(10):
            row = []
            for name in COMPARED:
                rows = ranks[name][k]
                r = rows[i] if i < len(rows) else None
                row.append(f"{pad(r['word'], 14)} {r['count']:5,} {r['score']:.3f}" if r else "")
            print(("    " + "".join(pad(cell, 31) for cell in row)).rstrip())


def samples(keys: list[str], prepared: list[Any], by_key: dict[str, dict[str, list[str]]],
            analysers: dict[str, MecabLattice]) -> None:
    print("\n4a. Five Korean-only tweets of the day")
    shown = 0
    for key, p in zip(keys, prepared, strict=True):
        if p.has_hangul and not p.english and not p.hashtags and len(p.clean.split()) >= 5:
            print(f"  {key}")
            for name in COMPARED:
                print(f"    {name:10s} {by_key[name][key]}")
            shown += 1
            if shown == 5:
                break
    print("\n4b. Hand-written sentences")
    for sentence in SENTENCES:
        print(f"  {sentence}\n    {'kiwipiepy':10s} {tokenize(sentence)}")
        for name, analyser in analysers.items():
            print(f"    {name:10s} {mecab_tokenize_many(analyser, [sentence])[0]}")

if __name__ == "__main__":
    main()
