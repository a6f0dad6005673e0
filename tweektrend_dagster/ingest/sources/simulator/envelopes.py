"""One simulated post as the X API v2 JSON envelope (`{"data", "includes"}`) the stream sends.

Here the other parts meet: a topic by the current weights, a kind (original, retweet, reply,
quote), an author, the text and its entities, the referenced post embedded in
`includes.tweets`, sometimes a place. Ids are snowflake-like (milliseconds << 22), unique and
increasing, sent as strings like X does.
"""

from __future__ import annotations

import random
import time
from bisect import bisect
from itertools import accumulate

import orjson

from tweektrend_dagster.ingest.sources.simulator.references import Post, ReferencePool
from tweektrend_dagster.ingest.sources.simulator.text import TextWriter
from tweektrend_dagster.ingest.sources.simulator.topics import Topic
from tweektrend_dagster.ingest.sources.simulator.users import UserBase
from tweektrend_dagster.ingest.sources.simulator.zipf import Zipf

TWITTER_EPOCH_MS = 1288834974657
KIND_WEIGHTS = (("original", 0.55), ("retweet", 0.30), ("reply", 0.10), ("quote", 0.05))
PLACE_SHARE = 0.08


def _fmt_ms(ms: int, cache: list) -> str:
    sec, milli = divmod(ms, 1000)
    if cache[0] != sec:  # one strftime per simulated second
        cache[0] = sec
        cache[1] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
    return f"{cache[1]}.{milli:03d}Z"


class EnvelopeWriter:
    """Makes envelopes one at a time from the shared `rng`; the order of calls is the stream."""

    def __init__(
        self,
        seed: int,
        rng: random.Random,
        topics: list[Topic],
        users: UserBase,
        places: dict[str, Zipf],
        text: TextWriter,
    ) -> None:
        self._seed = seed
        self._rng = rng
        self._topics = topics
        self._active = users.active
        self._by_username = users.by_username
        self._place_zipf = places
        self._text = text
        self._refs = ReferencePool(rng, len(topics))
        self._kind_cum = list(accumulate(w for _, w in KIND_WEIGHTS))
        self._last_id = 0
        self._fmt_cache: list = [None, ""]

    def _new_id(self, ms: int) -> str:
        cand = max(ms - TWITTER_EPOCH_MS, 1) << 22 | (self._seed & 0x3FF) << 12
        if cand <= self._last_id:
            cand = self._last_id + 1
        self._last_id = cand
        return str(cand)

    def make(self, ts: float, topic_cum: list[float]) -> bytes:
        """The envelope of a post at epoch seconds `ts`; `topic_cum` are the cumulative
        [chatter, topic 1, ...] weights of the moment."""
        rnd = self._rng.random
        refs = self._refs
        i = bisect(topic_cum, rnd() * topic_cum[-1])
        topic_idx = min(i, len(topic_cum) - 1)
        topic = self._topics[topic_idx - 1] if topic_idx > 0 else None
        kind = KIND_WEIGHTS[bisect(self._kind_cum, rnd())][0]
        ref = refs.pick(topic_idx) if kind != "original" else None
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
            refs.engage(ref, kind)
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
            refs.drop_tickets(topic_idx, ref.slot, ref.data["id"], 1)
            return orjson.dumps({"data": data, "includes": includes})

        lead = None
        if kind == "reply":
            assert ref is not None
            lead = "@" + ref.user.username
        text, ent = self._text.compose(lang, topic, lead)
        if kind == "quote":
            assert ref is not None
            short = self._text.tco()
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
            refs.engage(ref, kind)
            rtype = "replied_to" if kind == "reply" else "quoted"
            data["referenced_tweets"] = [{"type": rtype, "id": ref.data["id"]}]
            if kind == "reply":
                data["in_reply_to_user_id"] = ref.user.id
                data["conversation_id"] = ref.data["conversation_id"]
            if ref.user is not user and ref.user.fragment not in users:
                users.append(ref.user.fragment)
            includes["tweets"] = [ref.data]
            refs.drop_tickets(topic_idx, ref.slot, ref.data["id"], 1)
        if rnd() < PLACE_SHARE:
            place_id, place = self._place_zipf[lang].pick(rnd())
            data["geo"] = {"place_id": place_id}
            includes["places"] = [place]
        refs.remember(Post(data, user, topic_idx, ent or None), topic_idx)
        return orjson.dumps({"data": data, "includes": includes})
