"""A realistic, seeded stream of X API v2 envelopes for demos, tests and load.

What makes it realistic (each is a knob of `Simulator`):
- Korean and English posts from Zipf-ranked vocabularies (`simulator_vocab`), Korean nouns with the
  right particles ("코로나 확진자가 늘었다"), English from small templates.
- Topics around the keywords: a post about BTS mentions BTS with topic words (콘서트, 앨범, army...)
  far more often than other posts do; ~30 % of posts are chatter that matches no keyword.
- Bursts: now and then one topic rises to several times its base rate for 5-30 minutes.
- Retweets, replies and quotes of earlier posts chosen by preferential attachment (a Polya urn:
  every reference makes a post likelier to be referenced again), with the referenced post embedded
  in `includes.tweets` and its public metrics growing with every reference.
- Users with Zipf-like activity, log-normal follower counts, profile locations, a device each
  ("Twitter for iPhone", ...), and a place (Seoul, Busan, New York, ...) on ~8 % of non-retweets.

Same seed, same keywords -> the same posts in the same order. Timestamps follow the simulated clock
when `start` is given, else the real clock (so content stays deterministic, times are "now").
Ids are snowflake-like (milliseconds << 22), unique and increasing, sent as strings like X does.

Speed: everything per user, place and URL is prepared up front (users and places as pre-serialised
`orjson.Fragment`s), so one core makes well over 20,000 posts/s with `rate=0`.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import string
import threading
import time
from bisect import bisect
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from typing import Any

import orjson

from tweektrend_dagster.ingest.sources import simulator_vocab as V

TWITTER_EPOCH_MS = 1288834974657
CHATTER_SHARE = 0.30  # posts about no keyword at all
KIND_WEIGHTS = (("original", 0.55), ("retweet", 0.30), ("reply", 0.10), ("quote", 0.05))
PLACE_SHARE = 0.08
REFRESH_SECONDS = 10.0  # how often (simulated) topic weights follow bursts and the daily cycle
POST_MEMORY = 20_000  # recent posts that can still be retweeted, replied to or quoted
URN_SIZE = 100_000


class Zipf:
    """Sample `items` with weight 1/rank**s; `pick(u)` maps a uniform u in [0, 1) to an item."""

    __slots__ = ("items", "cum", "total")

    def __init__(self, items: tuple | list, s: float = 1.0) -> None:
        if not items:
            raise ValueError("Zipf needs at least one item")
        self.items = tuple(items)
        self.cum = list(accumulate(1.0 / (r + 1) ** s for r in range(len(self.items))))
        self.total = self.cum[-1]

    def pick(self, u: float) -> Any:
        return self.items[bisect(self.cum, u * self.total)]


def _has_batchim(word: str) -> bool:
    """True if the last Hangul syllable ends in a consonant (takes 이/은/을, not 가/는/를)."""
    code = ord(word[-1]) - 0xAC00
    if 0 <= code < 11172:
        return code % 28 != 0
    return word[-1].isdigit() and word[-1] in "0136780"  # "코로나19": 십구 -> vowel; crude but fine


def _ko_forms(noun: str) -> tuple[str, ...]:
    """(bare, subject, topic, object, at, in, also, of, with, to) forms of a Korean noun."""
    p = V.KO_PARTICLES_BATCHIM if _has_batchim(noun) else V.KO_PARTICLES_VOWEL
    subj, topic, obj, with_, to, also, at, in_, of = (noun + x for x in p)
    return (noun, subj, topic, obj, at, in_, also, of, with_, to)


# Which forms a clause's first noun (the subject) and second noun (object/place) take, with odds
# given by repetition: indexes into the `_ko_forms` tuple.
_SUBJECT_FORMS = (0, 0, 1, 1, 1, 2, 2, 6)
_OBJECT_FORMS = (0, 3, 3, 3, 4, 5, 7, 8, 9)


class _Topic:
    __slots__ = (
        "key",
        "keyword",
        "names_ko",
        "names_en",
        "related_ko",
        "related_en",
        "pred_ko",
        "pred_en",
        "hashtags",
        "urls",
        "popularity",
        "emoji",
    )

    def __init__(self, key: str, keyword: str, spec: dict, popularity: float) -> None:
        self.key = key
        self.keyword = keyword
        self.names_ko = spec["names_ko"]
        self.names_en = spec["names_en"]
        self.related_ko = Zipf([_ko_forms(w) for w in spec["related_ko"]], 0.9)
        self.related_en = Zipf(spec["related_en"], 0.9)
        self.pred_ko = Zipf(spec["predicates_ko"], 0.8)
        self.pred_en = Zipf(spec["predicates_en"], 0.8)
        self.hashtags = _tags_by_lang(spec["hashtags"])
        self.urls: Zipf | None = None  # t.co links to the topic's news sites, set by Simulator
        self.popularity = popularity
        self.emoji = "💜" if key == "bts" else ""


def _tags_by_lang(tags: tuple[str, ...]) -> dict[str, Zipf]:
    """Hashtags split by script: Korean posts use Hangul tags more, English posts Latin ones."""
    ko = [t for t in tags if _HANGUL.search(t)]
    en = [t for t in tags if not _HANGUL.search(t)]
    return {"ko": Zipf(ko + en if ko else en, 1.0), "en": Zipf(en + ko if en else ko, 1.0)}


_HANGUL = re.compile("[\uac00-\ud7a3]")


def _generic_topic_spec(keyword: str, rng: random.Random) -> dict:
    """A topic for a keyword the catalogue does not know: its words drawn from the vocabulary."""
    tag = "".join(ch for ch in keyword if ch.isalnum() or ch == "_") or "topic"
    return {
        "names_ko": (keyword,),
        "names_en": (keyword,),
        "related_ko": tuple(rng.sample(V.KO_NOUNS[20:], 12)),
        "related_en": tuple(rng.sample(V.EN_NOUNS[20:], 12)),
        "predicates_ko": tuple(rng.sample(V.KO_PREDICATES, 6)),
        "predicates_en": (
            "is trending",
            "is everywhere today",
            "news just came out",
            "is all over my timeline",
            "is getting wild",
            "is so underrated",
        ),
        "hashtags": (tag,),
        "domains": ("www.yna.co.kr", "www.reuters.com", "www.youtube.com"),
    }


def _topics_for(keywords: list[str], rng: random.Random) -> list[_Topic]:
    """One topic per catalogue entry the keywords name (코로나 and covid share one), in order."""
    by_name: dict[str, str] = {}
    for key, spec in V.TOPICS.items():
        for name in (key, *spec["names_ko"], *spec["names_en"]):
            by_name[name.casefold()] = key
    seen: dict[str, str] = {}
    for kw in keywords:
        kw = " ".join(kw.split()).lstrip("#")
        if not kw:
            continue
        key = by_name.get(kw.casefold(), "kw:" + kw.casefold())
        seen.setdefault(key, kw)
    # Popularity falls with position (a Zipf of exponent 0.6) so topics differ in volume.
    weights = [1.0 / (i + 1) ** 0.6 for i in range(len(seen))]
    total = sum(weights) or 1.0
    topics = []
    for (key, kw), w in zip(seen.items(), weights, strict=True):
        spec = V.TOPICS.get(key) or _generic_topic_spec(kw, rng)
        topics.append(_Topic(key, kw, spec, w / total))
    return topics


class _Burst:
    __slots__ = ("start", "end", "topic", "mult")

    def __init__(self, start: float, end: float, topic: int, mult: float) -> None:
        self.start, self.end, self.topic, self.mult = start, end, topic, mult

    def factor(self, t: float) -> float:
        """Extra multiplier at t: a fast rise (first 10 %) then a linear decay to the end."""
        x = (t - self.start) / (self.end - self.start)
        if x < 0.0 or x >= 1.0:
            return 0.0
        shape = x / 0.1 if x < 0.1 else (1.0 - x) / 0.9
        return (self.mult - 1.0) * shape


class Intensity:
    """Relative posting intensity over (simulated) time: topic weights with bursts and daily cycle.

    The burst schedule comes from its own random stream, so two instances with the same seed see
    the same bursts however many posts were generated in between.
    """

    def __init__(
        self,
        seed: int,
        t0: float,
        popularity: list[float],
        *,
        burst_every: float = 900.0,
        burst_peak: tuple[float, float] = (4.0, 10.0),
        burst_minutes: tuple[float, float] = (5.0, 30.0),
        diurnal: float = 0.0,
    ) -> None:
        self.popularity = popularity
        self.diurnal = diurnal
        self._rng = random.Random(seed * 1_000_003 + 7)
        self._every = burst_every
        self._peak = burst_peak
        self._minutes = burst_minutes
        self._next_start = (
            t0 + self._rng.expovariate(1.0 / burst_every) * 0.5
            if (popularity and burst_every > 0)
            else math.inf
        )
        self.active: list[_Burst] = []
        self.history: list[_Burst] = []

    def _advance(self, t: float) -> None:
        while self._next_start <= t:
            r = self._rng
            start = self._next_start
            topic = min(int(r.random() * len(self.popularity)), len(self.popularity) - 1)
            dur = r.uniform(*self._minutes) * 60.0
            burst = _Burst(start, start + dur, topic, r.uniform(*self._peak))
            self.active.append(burst)
            self.history.append(burst)
            self._next_start = start + r.expovariate(1.0 / self._every)
        if self.active:
            self.active = [b for b in self.active if b.end > t]

    def weights(self, t: float) -> list[float]:
        """[chatter, topic 1, topic 2, ...] at t; sums to 1 without bursts and daily cycle."""
        self._advance(t)
        mult = [1.0] * len(self.popularity)
        for b in self.active:
            mult[b.topic] += b.factor(t)
        chatter = CHATTER_SHARE if self.popularity else 1.0
        out = [chatter] + [
            (1.0 - CHATTER_SHARE) * p * m for p, m in zip(self.popularity, mult, strict=True)
        ]
        if self.diurnal:
            # Busiest at 13:00 UTC (22:00 in Seoul), quietest twelve hours later.
            day = 1.0 + self.diurnal * math.cos(2 * math.pi * ((t / 3600.0 - 13.0) % 24) / 24.0)
            out = [w * day for w in out]
        return out


class _User:
    __slots__ = ("id", "username", "lang", "followers", "fragment", "device")

    def __init__(
        self,
        uid: str,
        username: str,
        lang: str,
        followers: int,
        fragment: orjson.Fragment,
        device: str,
    ) -> None:
        self.id, self.username, self.lang, self.followers = uid, username, lang, followers
        self.fragment, self.device = fragment, device


class _Post:
    """A post that later posts may reference; `data` is its v2 object, metrics grow in place."""

    __slots__ = ("data", "user", "topic", "entities", "slot")

    def __init__(self, data: dict, user: _User, topic: int, entities: dict | None) -> None:
        self.data, self.user, self.topic, self.entities = data, user, topic, entities
        self.slot = -1


def _fmt_ms(ms: int, cache: list) -> str:
    sec, milli = divmod(ms, 1000)
    if cache[0] != sec:  # one strftime per simulated second
        cache[0] = sec
        cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return f"{cache[1]}.{milli:03d}Z"


class Simulator:
    """Seeded stream of X API v2 envelopes (`{"data", "includes"}`), one post per payload.

    rate: posts per second at the base level (bursts add to it); 0 = as fast as possible.
    keywords: topics to talk about (default 코로나, BTS, 넷플릭스, covid, Netflix, 아이폰, bitcoin).
    start: simulated start time (historical data); None = now, with real-time created_at.
    users: size of the simulated user base.
    duration: stop after this many simulated seconds; limit: stop after this many posts.
    sim_rate: posts per simulated second when rate=0 (sets how fast the simulated clock runs).
    burst_every: mean simulated seconds between bursts (0 = never).
    diurnal: amplitude of the daily cycle (0 = flat, 0.45 = busy evenings in Seoul).
    clock/sleep: injectable for tests (clock gives epoch seconds).
    """

    name = "simulator"

    def __init__(
        self,
        seed: int = 42,
        rate: float = 200.0,
        keywords: list[str] | None = None,
        start: datetime | None = None,
        users: int = 5000,
        *,
        duration: float | None = None,
        limit: int | None = None,
        sim_rate: float = 200.0,
        burst_every: float = 900.0,
        diurnal: float = 0.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        if rate < 0 or sim_rate <= 0:
            raise ValueError("rate must be >= 0 and sim_rate > 0")
        if users < 10:
            raise ValueError("users must be at least 10")
        self.seed = seed
        self.rate = float(rate)
        self.keywords = list(V.DEFAULT_KEYWORDS if keywords is None else keywords)
        self.start = start
        self.duration = duration
        self.limit = limit
        self._density = self.rate if self.rate > 0 else float(sim_rate)
        self._clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or self._stop.wait
        self._times: Iterator[float] | None = None  # set by generate(): exact timeline
        self.sent = 0
        self.intensity: Intensity | None = None  # the live schedule, once payloads() runs

        rng = self._rng = random.Random(seed)
        self.topics = _topics_for(self.keywords, rng)
        self._burst_every = burst_every
        self._diurnal = diurnal
        self._build_users(users, rng)
        self._build_places(rng)
        self._build_urls(rng)
        self._ko_nouns = Zipf([_ko_forms(w) for w in V.KO_NOUNS], 1.0)
        self._ko_preds = Zipf(V.KO_PREDICATES, 1.0)
        self._ko_adverbs = Zipf(V.KO_ADVERBS, 1.0)
        self._ko_tails = Zipf(V.KO_TAILS, 1.0)
        self._en_nouns = Zipf(V.EN_NOUNS, 1.0)
        self._en_subjects = Zipf(V.EN_SUBJECTS, 1.0)
        self._en_verbs = Zipf(V.EN_VERBS, 1.0)
        self._en_dets = Zipf(V.EN_DETERMINERS, 1.0)
        self._en_tails = Zipf(V.EN_TAILS, 1.0)
        self._en_openers = Zipf(V.EN_OPENERS, 1.0)
        self._emojis = Zipf(V.EMOJIS, 1.0)
        self._general_tags = _tags_by_lang(V.GENERAL_HASHTAGS)
        self._kind_cum = list(accumulate(w for _, w in KIND_WEIGHTS))
        self._posts: list[_Post | None] = [None] * POST_MEMORY
        self._post_seq = 0
        # One urn per topic (index 0 = chatter): entries are (slot, post id) pairs.
        self._urns: list[list[tuple[int, str]]] = [[] for _ in range(len(self.topics) + 1)]
        self._last_id = 0
        self._fmt_cache: list = [None, ""]

    # ---- preparation ---------------------------------------------------------------------------

    def _build_users(self, n: int, rng: random.Random) -> None:
        users: list[_User] = []
        by_name: dict[str, _User] = {}
        base_day = datetime(2009, 1, 1, tzinfo=UTC)
        for _ in range(n):
            lang = "ko" if rng.random() < 0.58 else "en"
            if lang == "ko":
                name = rng.choice(V.KO_SURNAMES) + rng.choice(V.KO_GIVEN)
                if rng.random() < 0.15:
                    name += rng.choice(("💜", "🐰", "✨", "🌙"))
                location = rng.choice(V.KO_LOCATIONS) if rng.random() < 0.65 else None
            else:
                name = f"{rng.choice(V.EN_FIRST)} {rng.choice(V.EN_LAST)}"
                location = rng.choice(V.EN_LOCATIONS) if rng.random() < 0.7 else None
            while True:
                handle = rng.choice(V.HANDLE_WORDS)
                if rng.random() < 0.6:
                    handle += rng.choice(("_", "")) + rng.choice(V.HANDLE_WORDS)
                handle = (handle + str(rng.randrange(1, 9999)))[:15]
                if handle not in by_name:
                    break
            # Log-normal followers (median ~150) and a few big accounts.
            followers = int(rng.lognormvariate(5.0, 1.7))
            if rng.random() < 0.004:
                followers = followers * 1000 + rng.randrange(100_000, 3_000_000)
            created = base_day + timedelta(days=rng.randrange(0, 5000))
            # Old accounts have small ids, newer ones snowflakes.
            uid = str(
                rng.randrange(10**7, 4 * 10**9)
                if created.year < 2014
                else rng.randrange(7 * 10**17, 17 * 10**17)
            )
            weights = [d[1] if lang == "ko" else d[2] for d in V.DEVICES]
            device = rng.choices([d[0] for d in V.DEVICES], weights)[0]
            obj = {
                "id": uid,
                "name": name,
                "username": handle,
                "created_at": created.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "verified": followers > 500_000,
                "description": "",
                "public_metrics": {
                    "followers_count": followers,
                    "following_count": int(rng.lognormvariate(5.5, 1.0)),
                    "tweet_count": int(rng.lognormvariate(7.5, 1.5)),
                    "listed_count": followers // 200,
                    "like_count": int(rng.lognormvariate(7.0, 1.8)),
                },
                "profile_image_url": f"https://pbs.twimg.com/profile_images/{uid}/p_normal.jpg",
            }
            if location:
                obj["location"] = location
            user = _User(uid, handle, lang, followers, orjson.Fragment(orjson.dumps(obj)), device)
            users.append(user)
            by_name[handle] = user
        self.users = users
        self._by_username = by_name
        # Activity: Zipf over a shuffled order, so activity and followers are independent.
        order = users[:]
        rng.shuffle(order)
        self._active = Zipf(order, 1.0)
        # Mentions go mostly to well-followed accounts.
        self._famous = Zipf(sorted(users, key=lambda u: -u.followers)[:500], 1.0)

    def _build_places(self, rng: random.Random) -> None:
        self._places: dict[str, list[tuple[str, orjson.Fragment]]] = {"ko": [], "en": []}
        for name, full, cc, bbox, lang in V.PLACES:
            pid = hashlib.sha1(full.encode()).hexdigest()[:16]
            obj = {
                "full_name": full,
                "id": pid,
                "country": V.COUNTRIES[cc],
                "country_code": cc,
                "name": name,
                "place_type": "city",
                "geo": {"type": "Feature", "bbox": list(bbox), "properties": {}},
            }
            self._places[lang].append((pid, orjson.Fragment(orjson.dumps(obj))))
        self._place_zipf = {lang: Zipf(v, 0.8) for lang, v in self._places.items()}

    def _build_urls(self, rng: random.Random) -> None:
        alphabet = string.ascii_letters + string.digits

        def tco() -> str:
            return "https://t.co/" + "".join(rng.choices(alphabet, k=10))

        self._url_info: dict[str, tuple[str, str]] = {}

        def make(domains: tuple[str, ...], n: int) -> list[str]:
            out = []
            for _ in range(n):
                short = tco()
                path = "".join(rng.choices(string.ascii_lowercase + string.digits, k=12))
                expanded = f"https://{rng.choice(domains)}/article/{path}"
                display = expanded.removeprefix("https://")
                display = display[:24] + "…" if len(display) > 25 else display
                self._url_info[short] = (expanded, display)
                out.append(short)
            return out

        general = (
            "www.youtube.com",
            "www.instagram.com",
            "blog.naver.com",
            "www.nytimes.com",
            "www.bbc.com",
            "www.chosun.com",
            "open.spotify.com",
        )
        self._general_urls = Zipf(make(general, 300), 0.7)
        for topic in self.topics:
            spec = V.TOPICS.get(topic.key)
            domains = spec["domains"] if spec else ("www.reuters.com", "www.yna.co.kr")
            topic.urls = Zipf(make(domains, 120), 0.7)
        self._tco = tco

    # ---- text ----------------------------------------------------------------------------------

    def _ko_text(self, topic: _Topic | None, parts: list[str]) -> None:
        rnd = self._rng.random
        if rnd() < 0.25:
            parts.append(("오늘", "어제", "요즘", "방금", "드디어", "아니")[int(rnd() * 6)])
        if topic is not None:
            names = topic.names_ko if rnd() < 0.75 else topic.names_en
            kw = names[0] if rnd() < 0.7 else names[int(rnd() * len(names))]
            r = rnd()
            if r < 0.15:
                kw = "#" + kw.replace(" ", "")
            elif r < 0.4 and kw[-1] != "9":  # "코로나는", "BTS가"
                kw = _ko_forms(kw)[(1, 2, 2)[int(rnd() * 3)]]
            parts.append(kw)  # "코로나 확진자가 늘었다"
            first = topic.related_ko.pick(rnd())
            parts.append(first[_SUBJECT_FORMS[int(rnd() * 8)]])
            if rnd() < 0.4:
                second = topic.related_ko.pick(rnd())
                if second is not first:
                    parts.append(second[_OBJECT_FORMS[int(rnd() * 9)]])
            if rnd() < 0.4:
                parts.append(self._ko_adverbs.pick(rnd()))
            parts.append(topic.pred_ko.pick(rnd()) if rnd() < 0.6 else self._ko_preds.pick(rnd()))
            clauses = 1 if rnd() < 0.4 else 0
        else:
            clauses = 1 if rnd() < 0.6 else 2
        for _ in range(clauses):
            parts.append(self._ko_nouns.pick(rnd())[_SUBJECT_FORMS[int(rnd() * 8)]])
            if rnd() < 0.5:
                parts.append(self._ko_nouns.pick(rnd())[_OBJECT_FORMS[int(rnd() * 9)]])
            if rnd() < 0.35:
                parts.append(self._ko_adverbs.pick(rnd()))
            parts.append(self._ko_preds.pick(rnd()))
        if rnd() < 0.3:
            parts.append(self._ko_tails.pick(rnd()))

    def _en_text(self, topic: _Topic | None, parts: list[str]) -> None:
        rnd = self._rng.random
        if rnd() < 0.2:
            parts.append(self._en_openers.pick(rnd()))
        if topic is not None:
            names = topic.names_en if rnd() < 0.85 else topic.names_ko
            kw = names[0] if rnd() < 0.6 else names[int(rnd() * len(names))]
            if rnd() < 0.15:
                kw = "#" + kw.replace(" ", "")
            if rnd() < 0.55:  # "covid vaccine cases are rising again"
                related = topic.related_en.pick(rnd())
                pred = topic.pred_en.pick(rnd())
                parts.append(kw)
                if related not in pred:  # not "battery battery is dying"
                    parts.append(related)
                parts.append(pred)
            else:  # "I watched the Netflix series tonight"
                parts.append(self._en_subjects.pick(rnd()))
                parts.append(self._en_verbs.pick(rnd()))
                parts.append(self._en_dets.pick(rnd()))
                parts.append(kw)
                parts.append(topic.related_en.pick(rnd()))
                if rnd() < 0.5:
                    parts.append(self._en_tails.pick(rnd()))
            clauses = 1 if rnd() < 0.35 else 0
        else:
            clauses = 1 if rnd() < 0.65 else 2
        for _ in range(clauses):
            parts.append(self._en_subjects.pick(rnd()))
            parts.append(self._en_verbs.pick(rnd()))
            parts.append(self._en_dets.pick(rnd()))
            parts.append(self._en_nouns.pick(rnd()))
            if rnd() < 0.4:
                parts.append(self._en_nouns.pick(rnd()))
            if rnd() < 0.6:
                parts.append(self._en_tails.pick(rnd()))

    def _compose(self, lang: str, topic: _Topic | None, lead: str | None) -> tuple[str, dict]:
        """Text and v2 `entities` of a new post; `lead` is a reply's "@user" prefix."""
        rnd = self._rng.random
        parts: list[str] = [lead] if lead else []
        if rnd() < 0.07:
            parts.append("@" + self._famous.pick(rnd()).username)
        if lang == "ko":
            self._ko_text(topic, parts)
        else:
            self._en_text(topic, parts)
        if rnd() < 0.35:
            tags = (topic.hashtags if topic is not None else self._general_tags)[lang]
            first = tags.pick(rnd())
            parts.append("#" + first)
            if rnd() < 0.3:
                second = tags.pick(rnd())
                if second != first:
                    parts.append("#" + second)
        if rnd() < 0.18:
            parts.append((topic.urls if topic is not None else self._general_urls).pick(rnd()))
        if rnd() < 0.15:
            parts.append(self._emojis.pick(rnd()) + (topic.emoji if topic is not None else ""))
        text = " ".join(parts)
        return text, self._entities(parts)

    def _entities(self, parts: list[str]) -> dict:
        hashtags: list[dict] = []
        mentions: list[dict] = []
        urls: list[dict] = []
        pos = 0
        for p in parts:
            c = p[0]
            if c == "#":
                hashtags.append({"start": pos, "end": pos + len(p), "tag": p[1:]})
            elif c == "@":
                user = self._by_username.get(p[1:])
                if user is not None:
                    mentions.append(
                        {
                            "start": pos,
                            "end": pos + len(p),
                            "username": user.username,
                            "id": user.id,
                        }
                    )
            elif c == "h" and p.startswith("https://t.co/"):
                expanded, display = self._url_info[p]
                urls.append(
                    {
                        "start": pos,
                        "end": pos + len(p),
                        "url": p,
                        "expanded_url": expanded,
                        "display_url": display,
                    }
                )
            pos += len(p) + 1
        ent: dict = {}
        if hashtags:
            ent["hashtags"] = hashtags
        if mentions:
            ent["mentions"] = mentions
        if urls:
            ent["urls"] = urls
        return ent

    # ---- posts ---------------------------------------------------------------------------------

    def _new_id(self, ms: int) -> str:
        cand = max(ms - TWITTER_EPOCH_MS, 1) << 22 | (self.seed & 0x3FF) << 12
        if cand <= self._last_id:
            cand = self._last_id + 1
        self._last_id = cand
        return str(cand)

    def _remember(self, post: _Post, topic_idx: int) -> None:
        slot = self._post_seq % POST_MEMORY
        self._post_seq += 1
        post.slot = slot
        self._posts[slot] = post
        # Bigger accounts start with more tickets in the urn: they get retweeted more.
        tickets = 1 + min(20, post.user.followers // 20_000)
        self._drop_tickets(topic_idx, slot, post.data["id"], tickets)

    def _drop_tickets(self, topic_idx: int, slot: int, pid: str, n: int) -> None:
        urn = self._urns[topic_idx]
        entry = (slot, pid)
        for _ in range(n):
            if len(urn) < URN_SIZE:
                urn.append(entry)
            else:  # replace a random ticket: popular posts hold many, so they survive
                urn[int(self._rng.random() * URN_SIZE)] = entry

    def _pick_referenced(self, topic_idx: int) -> _Post | None:
        urn = self._urns[topic_idx]
        if not urn:
            return None
        slot, pid = urn[int(self._rng.random() * len(urn))]
        post = self._posts[slot]
        if post is None or post.data["id"] != pid:
            return None  # forgotten: the caller writes an original instead
        return post

    def _engage(self, post: _Post, kind: str) -> None:
        """A reference makes the original more popular: metrics grow, and it gets a ticket."""
        m = post.data["public_metrics"]
        rnd = self._rng.random
        if kind == "retweet":
            m["retweet_count"] += 1
        elif kind == "reply":
            m["reply_count"] += 1
        else:
            m["quote_count"] += 1
        m["like_count"] += 1 + int(-4.0 * math.log(1.0 - rnd()))
        m["bookmark_count"] += 1 if rnd() < 0.1 else 0
        m["impression_count"] += 30 + int(rnd() * 400)

    def _make(self, ts: float) -> bytes:
        rnd = self._rng.random
        i = bisect(self._topic_cum, rnd() * self._topic_cum[-1])
        topic_idx = min(i, len(self._topic_cum) - 1)
        topic = self.topics[topic_idx - 1] if topic_idx > 0 else None
        kind = KIND_WEIGHTS[bisect(self._kind_cum, rnd())][0]
        ref = self._pick_referenced(topic_idx) if kind != "original" else None
        if ref is None:
            kind = "original"

        user = self._active.pick(rnd())
        lang = user.lang if rnd() < 0.9 else ("en" if user.lang == "ko" else "ko")
        pid = self._new_id(int(ts * 1000))
        created = _fmt_ms(int(ts * 1000), self._fmt_cache)
        users = [user.fragment]
        includes: dict = {"users": users}
        data: dict = {
            "id": pid,
            "text": "",
            "created_at": created,
            "author_id": user.id,
            "conversation_id": pid,
            "edit_history_tweet_ids": [pid],
            "lang": lang,
            "source": user.device,
            "possibly_sensitive": False,
        }

        if kind == "retweet":
            assert ref is not None
            self._engage(ref, kind)
            ru = ref.user
            prefix = f"RT @{ru.username}: "
            data["text"] = prefix + ref.data["text"]
            data["lang"] = ref.data["lang"]
            data["referenced_tweets"] = [{"type": "retweeted", "id": ref.data["id"]}]
            ent = {
                "mentions": [
                    {"start": 3, "end": 4 + len(ru.username), "username": ru.username, "id": ru.id}
                ]
            }
            if ref.entities:
                shift = len(prefix)
                for key, items in ref.entities.items():
                    ent.setdefault(key, []).extend(
                        {**e, "start": e["start"] + shift, "end": e["end"] + shift} for e in items
                    )
            data["entities"] = ent
            # A retweet shows the original's retweet count and none of its own likes.
            data["public_metrics"] = {
                "retweet_count": ref.data["public_metrics"]["retweet_count"],
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            }
            if ru is not user:
                users.append(ru.fragment)
            for mention in ent["mentions"][1:]:
                other = self._by_username[mention["username"]]
                if other.fragment not in users:
                    users.append(other.fragment)
            includes["tweets"] = [ref.data]
            self._drop_tickets(topic_idx, ref.slot, ref.data["id"], 1)
            return orjson.dumps({"data": data, "includes": includes})

        lead = None
        if kind == "reply":
            assert ref is not None
            lead = "@" + ref.user.username
        text, ent = self._compose(lang, topic, lead)
        if kind == "quote":
            assert ref is not None
            short = self._tco()
            status = f"twitter.com/{ref.user.username}/status/{ref.data['id']}"
            start = len(text) + 1
            text = f"{text} {short}"
            ent.setdefault("urls", []).append(
                {
                    "start": start,
                    "end": start + len(short),
                    "url": short,
                    "expanded_url": "https://" + status,
                    "display_url": status[:24] + "…",
                }
            )
        data["text"] = text
        if ent:
            data["entities"] = ent
        data["public_metrics"] = {
            "retweet_count": 0,
            "reply_count": 0,
            "like_count": 0,
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": 0,
        }
        for mention in ent.get("mentions", ()):
            other = self._by_username[mention["username"]]
            if other is not user and other.fragment not in users:
                users.append(other.fragment)
        if ref is not None:
            self._engage(ref, kind)
            rtype = "replied_to" if kind == "reply" else "quoted"
            data["referenced_tweets"] = [{"type": rtype, "id": ref.data["id"]}]
            if kind == "reply":
                data["in_reply_to_user_id"] = ref.user.id
                data["conversation_id"] = ref.data["conversation_id"]
            if ref.user is not user and ref.user.fragment not in users:
                users.append(ref.user.fragment)
            includes["tweets"] = [ref.data]
            self._drop_tickets(topic_idx, ref.slot, ref.data["id"], 1)
        if rnd() < PLACE_SHARE:
            place_id, place = self._place_zipf[lang].pick(rnd())
            data["geo"] = {"place_id": place_id}
            includes["places"] = [place]
        self._remember(_Post(data, user, topic_idx, ent or None), topic_idx)
        return orjson.dumps({"data": data, "includes": includes})

    # ---- the stream ----------------------------------------------------------------------------

    def payloads(self) -> Iterator[bytes]:
        """Yield envelopes until `limit`, `duration` or `close()`; paced when rate > 0."""
        real_time = self.start is None
        t0 = self._clock() if real_time else self.start.timestamp()  # type: ignore[union-attr]
        intensity = Intensity(
            self.seed,
            t0,
            [tp.popularity for tp in self.topics],
            burst_every=self._burst_every,
            diurnal=self._diurnal,
        )
        self.intensity = intensity
        end = t0 + self.duration if self.duration is not None else math.inf
        t = t0
        next_refresh = -math.inf
        lam = self._density
        expo = self._rng.expovariate
        wall0 = self._clock()
        pace = self.rate > 0
        times = self._times
        while not self._stop.is_set():
            if self.limit is not None and self.sent >= self.limit:
                return
            if times is not None:
                t = next(times, math.inf)
                if t == math.inf:
                    return
            if t >= next_refresh:
                w = intensity.weights(t)
                self._topic_cum = list(accumulate(w))
                lam = self._density * self._topic_cum[-1]
                next_refresh = t + REFRESH_SECONDS
            if t >= end:
                return
            if pace:
                target = wall0 + (t - t0)
                now = self._clock()
                if target - now > 0.001:
                    self._sleep(target - now)
                    if self._stop.is_set():
                        return
                elif now - target > 5.0:
                    wall0 += now - target  # too far behind: stop trying to catch up
            ts = self._clock() if real_time else t
            yield self._make(ts)
            self.sent += 1
            if times is None:
                t += expo(lam)

    def close(self) -> None:
        self._stop.set()

    # ---- fixed datasets ------------------------------------------------------------------------

    def timeline(self, n: int, t0: float, t1: float) -> list[float]:
        """n increasing times in [t0, t1) spread like the intensity (bursts, daily cycle)."""
        intensity = Intensity(
            self.seed,
            t0,
            [tp.popularity for tp in self.topics],
            burst_every=self._burst_every,
            diurnal=self._diurnal,
        )
        steps = max(100, min(50_000, int((t1 - t0) / REFRESH_SECONDS)))
        dt = (t1 - t0) / steps
        cum = [0.0]
        for j in range(steps):
            cum.append(cum[-1] + sum(intensity.weights(t0 + (j + 0.5) * dt)) * dt)
        total = cum[-1]
        rng = random.Random(self.seed * 31 + 5)
        out = []
        j = 0
        for i in range(n):
            # Stratified: one time in each 1/n of the cumulative intensity, so none overflows.
            c = (i + rng.random()) / n * total
            while cum[j + 1] < c:
                j += 1
            out.append(t0 + (j + (c - cum[j]) / (cum[j + 1] - cum[j])) * dt)
        return out


def generate(
    n: int,
    seed: int = 42,
    start: datetime | None = None,
    span: timedelta = timedelta(days=1),
    *,
    keywords: list[str] | None = None,
    **options: object,
) -> list[bytes]:
    """A fixed dataset: n envelopes spread over [start, start + span) with bursts and a daily
    cycle. `start` defaults to the last whole hour minus `span`; options go to `Simulator`."""
    if start is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        start = now - span
    if start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    options.setdefault("diurnal", 0.45)
    sim = Simulator(seed=seed, rate=0, keywords=keywords, start=start, limit=n, **options)
    t0 = start.timestamp()
    sim._times = iter(sim.timeline(n, t0, t0 + span.total_seconds()))
    return list(sim.payloads())
