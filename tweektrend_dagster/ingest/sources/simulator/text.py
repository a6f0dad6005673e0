"""The words of a simulated post: Korean and English sentences, hashtags, mentions, links.

Korean sentences put topic words in the right particle forms ("코로나 확진자가 늘었다"); English
ones come from small templates ("I watched the Netflix series tonight"). Every post's text comes
with the v2 `entities` (hashtags, mentions, urls with their offsets) that X would send for it.
"""

from __future__ import annotations

import random
import string

from tweektrend_dagster.ingest.sources.simulator import vocab as V
from tweektrend_dagster.ingest.sources.simulator.korean import OBJECT_FORMS, SUBJECT_FORMS, ko_forms
from tweektrend_dagster.ingest.sources.simulator.topics import Topic, tags_by_lang
from tweektrend_dagster.ingest.sources.simulator.users import UserBase
from tweektrend_dagster.ingest.sources.simulator.zipf import Zipf

# Sites of links in posts about no keyword; topics link to their own news sites.
GENERAL_DOMAINS = (
    "www.youtube.com",
    "www.instagram.com",
    "blog.naver.com",
    "www.nytimes.com",
    "www.bbc.com",
    "www.chosun.com",
    "open.spotify.com",
)


class TextWriter:
    """Writes post texts from `rng`; prepares the t.co links of every topic on creation."""

    def __init__(self, rng: random.Random, topics: list[Topic], users: UserBase) -> None:
        self._rng = rng
        self._famous = users.famous
        self._by_username = users.by_username
        self._build_urls(rng, topics)
        self._ko_nouns = Zipf([ko_forms(w) for w in V.KO_NOUNS], 1.0)
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
        self._general_tags = tags_by_lang(V.GENERAL_HASHTAGS)

    def _build_urls(self, rng: random.Random, topics: list[Topic]) -> None:
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

        self._general_urls = Zipf(make(GENERAL_DOMAINS, 300), 0.7)
        for topic in topics:
            spec = V.TOPICS.get(topic.key)
            domains = spec["domains"] if spec else ("www.reuters.com", "www.yna.co.kr")
            topic.urls = Zipf(make(domains, 120), 0.7)
        self.tco = tco  # a fresh t.co link (a quote's link to the quoted post)

    def _ko_text(self, topic: Topic | None, parts: list[str]) -> None:
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
                kw = ko_forms(kw)[(1, 2, 2)[int(rnd() * 3)]]
            parts.append(kw)  # "코로나 확진자가 늘었다"
            first = topic.related_ko.pick(rnd())
            parts.append(first[SUBJECT_FORMS[int(rnd() * 8)]])
            if rnd() < 0.4:
                second = topic.related_ko.pick(rnd())
                if second is not first:
                    parts.append(second[OBJECT_FORMS[int(rnd() * 9)]])
            if rnd() < 0.4:
                parts.append(self._ko_adverbs.pick(rnd()))
            parts.append(topic.pred_ko.pick(rnd()) if rnd() < 0.6 else self._ko_preds.pick(rnd()))
            clauses = 1 if rnd() < 0.4 else 0
        else:
            clauses = 1 if rnd() < 0.6 else 2
        for _ in range(clauses):
            parts.append(self._ko_nouns.pick(rnd())[SUBJECT_FORMS[int(rnd() * 8)]])
            if rnd() < 0.5:
                parts.append(self._ko_nouns.pick(rnd())[OBJECT_FORMS[int(rnd() * 9)]])
            if rnd() < 0.35:
                parts.append(self._ko_adverbs.pick(rnd()))
            parts.append(self._ko_preds.pick(rnd()))
        if rnd() < 0.3:
            parts.append(self._ko_tails.pick(rnd()))

    def _en_text(self, topic: Topic | None, parts: list[str]) -> None:
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

    def compose(self, lang: str, topic: Topic | None, lead: str | None) -> tuple[str, dict]:
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
