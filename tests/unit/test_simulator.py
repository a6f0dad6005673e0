"""Simulator: seeded, realistic X API v2 envelopes (language, Zipf, topics, bursts, retweets)."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from tweektrend_dagster.ingest.sources import Source, make_source
from tweektrend_dagster.ingest.sources.simulator import (
    TWITTER_EPOCH_MS,
    Simulator,
    Zipf,
    generate,
)
from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.tweets.parsers import parse_payload

START = datetime(2024, 3, 1, tzinfo=UTC)
HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def day() -> list[dict]:
    """30,000 posts over 6 hours, decoded."""
    payloads = generate(30_000, seed=11, start=START, span=timedelta(hours=6))
    return [orjson.loads(p) for p in payloads]


def _texts(posts: list[dict], *, retweets: bool = False) -> list[str]:
    return [
        p["data"]["text"] for p in posts if retweets or not p["data"]["text"].startswith("RT @")
    ]


def _ref(post: dict) -> tuple[str, str] | None:
    refs = post["data"].get("referenced_tweets")
    return (refs[0]["type"], refs[0]["id"]) if refs else None


def test_same_seed_same_stream_other_seed_other_stream():
    a = generate(3000, seed=7, start=START, span=timedelta(hours=1))
    b = generate(3000, seed=7, start=START, span=timedelta(hours=1))
    c = generate(3000, seed=8, start=START, span=timedelta(hours=1))
    assert a == b
    assert a != c
    live_a = list(Simulator(seed=3, rate=0, start=START, limit=500).payloads())
    live_b = list(Simulator(seed=3, rate=0, start=START, limit=500).payloads())
    assert live_a == live_b


def test_real_time_mode_keeps_content_deterministic():
    clock = iter(range(10**6)).__next__  # every call is one second later
    a = [
        orjson.loads(p)["data"]
        for p in Simulator(seed=5, rate=0, limit=50, clock=lambda: 1.7e9 + clock()).payloads()
    ]
    b = [orjson.loads(p)["data"] for p in Simulator(seed=5, rate=0, limit=50).payloads()]
    assert [x["text"] for x in a] == [x["text"] for x in b]
    assert a[0]["created_at"].startswith("2023-11-14T22:13")  # from the injected clock
    now = datetime.now(UTC)
    assert abs(datetime.fromisoformat(b[-1]["created_at"]) - now) < timedelta(seconds=30)


def test_envelopes_are_v2_with_consistent_includes(day):
    for post in day[:3000]:
        data, inc = post["data"], post["includes"]
        assert set(post) == {"data", "includes"}
        users = {u["id"]: u for u in inc["users"]}
        assert data["author_id"] in users
        assert data["edit_history_tweet_ids"] == [data["id"]]
        assert set(data["public_metrics"]) == {
            "retweet_count",
            "reply_count",
            "like_count",
            "quote_count",
            "bookmark_count",
            "impression_count",
        }
        for m in data.get("entities", {}).get("mentions", []):
            assert data["text"][m["start"] : m["end"]] == "@" + m["username"]
            assert m["id"] in users
        for h in data.get("entities", {}).get("hashtags", []):
            assert data["text"][h["start"] : h["end"]] == "#" + h["tag"]
        for u in data.get("entities", {}).get("urls", []):
            assert data["text"][u["start"] : u["end"]] == u["url"]
        if "geo" in data:
            assert inc["places"][0]["id"] == data["geo"]["place_id"]
        if _ref(post):
            assert inc["tweets"][0]["id"] == _ref(post)[1]
            assert inc["tweets"][0]["author_id"] in users
    parsed = [parse_payload(orjson.dumps(p)) for p in day[:2000]]
    assert {t.format for t in parsed} == {"v2"}


def test_ids_unique_increasing_snowflakes_and_times_in_span(day):
    ids = [int(p["data"]["id"]) for p in day]
    assert all(a < b for a, b in zip(ids, ids[1:], strict=False))
    times = [datetime.fromisoformat(p["data"]["created_at"]) for p in day]
    assert all(a <= b for a, b in zip(times, times[1:], strict=False))
    assert START <= times[0] < START + timedelta(minutes=2)
    assert START + timedelta(hours=5, minutes=58) < times[-1] < START + timedelta(hours=6)
    for tid, ts in zip(ids, times, strict=True):
        assert (tid >> 22) + TWITTER_EPOCH_MS == int(ts.timestamp() * 1000)


def test_korean_and_english(day):
    langs = Counter(p["data"]["lang"] for p in day)
    assert set(langs) == {"ko", "en"}
    assert 0.45 < langs["ko"] / len(day) < 0.7
    ko = [p["data"]["text"] for p in day if p["data"]["lang"] == "ko"]
    en = [p["data"]["text"] for p in day if p["data"]["lang"] == "en"]
    assert sum(bool(HANGUL.search(t)) for t in ko) / len(ko) > 0.97
    assert sum(not HANGUL.search(t) for t in en) / len(en) > 0.8
    # Korean nouns carry particles chosen by the final consonant.
    joined = " ".join(ko)
    assert "확진자가" in joined and "콘서트가" in joined
    assert "확진자이" not in joined and "백신가" not in joined


def test_vocabulary_is_zipf_distributed(day):
    nouns = set(V.EN_NOUNS)
    counts = Counter(tok for t in _texts(day) for tok in t.split() if tok in nouns)
    freq = [n for _, n in counts.most_common(50)]
    assert counts.most_common(1)[0][0] == V.EN_NOUNS[0]  # rank 1 of the vocabulary
    assert 1.6 < freq[0] / freq[1] < 2.6  # ~2 for exponent 1
    assert 5 < freq[0] / freq[9] < 15  # ~10
    xs = [math.log(r) for r in range(1, 51)]
    ys = [math.log(f) for f in freq]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    assert -1.3 < slope < -0.75


def test_keywords_co_occur_with_topic_words(day):
    texts = _texts(day)

    def share(group: list[str], words: tuple[str, ...]) -> float:
        return sum(
            any(w in t.split() or any(tok.startswith(w) for tok in t.split()) for w in words)
            for t in group
        ) / len(group)

    bts_words = ("콘서트", "앨범", "아미", "concert", "album", "army")
    with_bts = [t for t in texts if "BTS" in t or "방탄" in t]
    without = [t for t in texts if "BTS" not in t and "방탄" not in t]
    assert len(with_bts) > 1000
    assert share(with_bts, bts_words) > 0.25
    assert share(with_bts, bts_words) > 10 * share(without, bts_words)

    covid_words = ("확진자", "백신", "마스크", "vaccine", "mask", "cases")
    with_covid = [t for t in texts if "코로나" in t or "covid" in t.lower()]
    no_covid = [t for t in texts if "코로나" not in t and "covid" not in t.lower()]
    assert share(with_covid, covid_words) > 10 * share(no_covid, covid_words)
    # 30 % of posts are chatter matching no keyword (less while a topic bursts).
    names = [n for spec in V.TOPICS.values() for n in (*spec["names_ko"], *spec["names_en"])]
    chatter = sum(not any(n in t for n in names) for t in texts) / len(texts)
    assert 0.15 < chatter < 0.35


def test_bursts_raise_a_topic_several_times_its_base_rate(day):
    counts: dict[int, int] = Counter()
    for p in day:
        text = p["data"]["text"]
        if "코로나" in text or "covid" in text.lower():
            ts = datetime.fromisoformat(p["data"]["created_at"])
            counts[int((ts - START).total_seconds() // 600)] += 1
    per_10min = [counts.get(i, 0) for i in range(36)]
    assert max(per_10min) > 3 * statistics.median(per_10min)

    # The live stream has them too: topic volume inside a burst vs the same time before it.
    sim = Simulator(seed=11, rate=0, start=START, sim_rate=2, duration=3 * 3600)
    posts = [orjson.loads(p) for p in sim.payloads()]
    bursts = [b for b in sim.intensity.history if b.start > START.timestamp() + b.end - b.start]
    assert bursts, "no burst in 3 simulated hours"
    burst = bursts[0]
    assert 4.0 <= burst.mult <= 10.0 and 300 <= burst.end - burst.start <= 1800
    topic = sim.topics[burst.topic]
    names = (*V.TOPICS[topic.key]["names_ko"], *V.TOPICS[topic.key]["names_en"])
    length = burst.end - burst.start

    def volume(t0: float) -> int:
        return sum(
            1
            for p in posts
            if any(n in p["data"]["text"] for n in names)
            and t0 <= datetime.fromisoformat(p["data"]["created_at"]).timestamp() < t0 + length
        )

    assert volume(burst.start) > 2 * volume(burst.start - length)


def test_retweets_reference_earlier_posts_with_growing_metrics(day):
    seen: dict[str, dict] = {}
    rt_counts: Counter[str] = Counter()
    last_metrics: dict[str, tuple[int, int]] = {}
    kinds = Counter()
    for p in day:
        data = p["data"]
        ref = _ref(p)
        kinds[ref[0] if ref else "original"] += 1
        if ref:
            kind, rid = ref
            assert rid in seen and int(rid) < int(data["id"])  # an earlier post
            orig = p["includes"]["tweets"][0]
            pm = orig["public_metrics"]
            metrics = (pm["retweet_count"], pm["like_count"])
            prev = last_metrics.get(rid, (0, 0))
            assert metrics[0] >= prev[0] and metrics[1] >= prev[1]  # only ever grow
            last_metrics[rid] = metrics
            if kind == "retweeted":
                author = next(u for u in p["includes"]["users"] if u["id"] == orig["author_id"])
                assert data["text"] == f"RT @{author['username']}: {orig['text']}"
                rt_counts[rid] += 1
            elif kind == "replied_to":
                assert data["in_reply_to_user_id"] == orig["author_id"]
                assert data["conversation_id"] == orig["conversation_id"]
        seen[data["id"]] = data
    assert 0.45 < kinds["original"] / len(day) < 0.65
    assert kinds["retweeted"] > 0.2 * len(day)
    assert kinds["replied_to"] > 0.05 * len(day) and kinds["quoted"] > 0.02 * len(day)
    # Preferential attachment: a few posts collect many retweets, most none.
    assert rt_counts.most_common(1)[0][1] >= 20
    top = sum(n for _, n in rt_counts.most_common(len(rt_counts) // 100))
    assert top > 0.08 * sum(rt_counts.values())


def test_users_places_and_devices(day):
    activity = Counter(p["data"]["author_id"] for p in day)
    top = activity.most_common()
    assert top[0][1] > 20 * statistics.median(n for _, n in top)  # Zipf-like activity
    users = {u["id"]: u for p in day for u in p["includes"]["users"]}
    assert len(users) > 2000
    with_loc = [u for u in users.values() if "location" in u]
    assert 0.5 < len(with_loc) / len(users) < 0.8
    followers = [u["public_metrics"]["followers_count"] for u in users.values()]
    assert max(followers) > 100_000 and statistics.median(followers) < 1000

    originals = [p for p in day if not p["data"]["text"].startswith("RT @")]
    placed = [p for p in originals if "geo" in p["data"]]
    assert 0.05 < len(placed) / len(originals) < 0.12
    names = Counter(p["includes"]["places"][0]["name"] for p in placed)
    assert {"Seoul", "Busan", "New York"} <= set(names)
    assert names.most_common(1)[0][0] == "Seoul"
    devices = Counter(p["data"]["source"] for p in day)
    assert {"Twitter for iPhone", "Twitter for Android", "Twitter Web App"} <= set(devices)
    assert set(devices) <= {d[0] for d in V.DEVICES}


def test_custom_keywords_get_their_own_topics():
    posts = [
        orjson.loads(p)
        for p in generate(
            3000, seed=2, start=START, span=timedelta(hours=1), keywords=["우주", "mars"]
        )
    ]
    texts = _texts(posts)
    assert sum("우주" in t for t in texts) > 300 and sum("mars" in t for t in texts) > 200
    assert not any("BTS" in t or "코로나" in t for t in texts)


def test_rate_paces_on_the_clock():
    now = [1_700_000_000.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    sim = Simulator(seed=1, rate=100, limit=1000, burst_every=0, clock=lambda: now[0], sleep=sleep)
    posts = [orjson.loads(p) for p in sim.payloads()]
    assert len(posts) == 1000
    assert 9.0 < now[0] - 1_700_000_000.0 < 11.0  # 1000 posts at 100/s
    assert sum(slept) == pytest.approx(now[0] - 1_700_000_000.0)
    # created_at follows that clock.
    last = datetime.fromisoformat(posts[-1]["data"]["created_at"]).timestamp()
    assert last == pytest.approx(now[0], abs=0.01)


def test_duration_limit_and_close():
    sim = Simulator(seed=1, rate=0, start=START, duration=60, sim_rate=50)
    n = sum(1 for _ in sim.payloads())
    assert 2500 < n < 3500  # ~60 s x 50/s, plus bursts
    sim = make_source("simulator", seed=1, rate=0, limit=10)
    assert isinstance(sim, Source) and sim.name == "simulator"
    assert len(list(sim.payloads())) == 10
    sim = Simulator(seed=1, rate=0)
    it = sim.payloads()
    next(it)
    sim.close()
    assert list(it) == []


def test_zipf_sampler():
    z = Zipf(["a", "b", "c", "d"], 1.0)
    assert z.pick(0.0) == "a" and z.pick(0.999999) == "d"
    assert abs(z.cum[0] / z.total - 1 / (1 + 1 / 2 + 1 / 3 + 1 / 4)) < 1e-12
    with pytest.raises(ValueError):
        Zipf([])


def test_make_source_unknown_kind_lists_known_ones():
    with pytest.raises(ValueError, match="bluesky, mastodon, replay, simulator, x-api, x-sample"):
        make_source("threads")
