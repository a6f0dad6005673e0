"""Which earlier post a retweet, reply or quote points at: preferential attachment.

One Polya urn per topic holds tickets for recent posts; every reference adds a ticket, so a
post that was retweeted is likelier to be retweeted again, as on X. The referenced post's
public metrics grow in place, so later envelopes embedding it show the new counts.
"""

from __future__ import annotations

import math
import random

from tweektrend_dagster.ingest.sources.simulator.users import User

POST_MEMORY = 20_000  # recent posts that can still be retweeted, replied to or quoted
URN_SIZE = 100_000


class Post:
    """A post that later posts may reference; `data` is its v2 object, metrics grow in place."""

    __slots__ = ("data", "user", "topic", "entities", "slot")

    def __init__(self, data: dict, user: User, topic: int, entities: dict | None) -> None:
        self.data, self.user, self.topic, self.entities = data, user, topic, entities
        self.slot = -1


class ReferencePool:
    """The last POST_MEMORY posts and one urn per topic (index 0 = chatter)."""

    def __init__(self, rng: random.Random, topics: int) -> None:
        self._rng = rng
        self._posts: list[Post | None] = [None] * POST_MEMORY
        self._post_seq = 0
        # Entries are (slot, post id) pairs: a slot reused by a newer post no longer matches.
        self._urns: list[list[tuple[int, str]]] = [[] for _ in range(topics + 1)]

    def remember(self, post: Post, topic_idx: int) -> None:
        slot = self._post_seq % POST_MEMORY
        self._post_seq += 1
        post.slot = slot
        self._posts[slot] = post
        # Bigger accounts start with more tickets in the urn: they get retweeted more.
        tickets = 1 + min(20, post.user.followers // 20_000)
        self.drop_tickets(topic_idx, slot, post.data["id"], tickets)

    def drop_tickets(self, topic_idx: int, slot: int, pid: str, n: int) -> None:
        urn = self._urns[topic_idx]
        entry = (slot, pid)
        for _ in range(n):
            if len(urn) < URN_SIZE:
                urn.append(entry)
            else:  # replace a random ticket: popular posts hold many, so they survive
                urn[int(self._rng.random() * URN_SIZE)] = entry

    def pick(self, topic_idx: int) -> Post | None:
        urn = self._urns[topic_idx]
        if not urn:
            return None
        slot, pid = urn[int(self._rng.random() * len(urn))]
        post = self._posts[slot]
        if post is None or post.data["id"] != pid:
            return None  # forgotten: the caller writes an original instead
        return post

    def engage(self, post: Post, kind: str) -> None:
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
