"""Topics: what the simulated posts talk about, one per keyword the stream is asked for.

A topic gathers the words that co-occur with its keyword (names in both languages, related
nouns, predicates, hashtags, news sites) and a popularity; keywords the catalogue in `vocab`
does not know get a topic drawn from the general vocabulary, so any keyword list works.
"""

from __future__ import annotations

import random

from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.ingest.sources.simulator.korean import HANGUL, ko_forms
from tweektrend_dagster.ingest.sources.simulator.zipf import Zipf


class Topic:
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
        self.related_ko = Zipf([ko_forms(w) for w in spec["related_ko"]], 0.9)
        self.related_en = Zipf(spec["related_en"], 0.9)
        self.pred_ko = Zipf(spec["predicates_ko"], 0.8)
        self.pred_en = Zipf(spec["predicates_en"], 0.8)
        self.hashtags = tags_by_lang(spec["hashtags"])
        self.urls: Zipf | None = None  # t.co links to the topic's news sites, set by TextWriter
        self.popularity = popularity
        self.emoji = "💜" if key == "bts" else ""


def tags_by_lang(tags: tuple[str, ...]) -> dict[str, Zipf]:
    """Hashtags split by script: Korean posts use Hangul tags more, English posts Latin ones."""
    ko = [t for t in tags if HANGUL.search(t)]
    en = [t for t in tags if not HANGUL.search(t)]
    return {"ko": Zipf(ko + en if ko else en, 1.0), "en": Zipf(en + ko if en else ko, 1.0)}


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


def topics_for(keywords: list[str], rng: random.Random) -> list[Topic]:
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
        topics.append(Topic(key, kw, spec, w / total))
    return topics
