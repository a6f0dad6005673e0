"""What a network's stream says besides new posts: a post was deleted, or someone reacted to one.

A parser of a live stream (Bluesky Jetstream, Mastodon streaming) returns a `Tweet` for a new or
edited post, a `Deletion` when its author deleted one, and a `Reaction` for a like or a repost of
a post (counted as engagement of that post where the stream carries them). Each names the post by
its identity: (network, id), the id as `Tweet.id` spells it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import orjson

REACTION_KINDS = ("like", "repost")


@dataclass(slots=True, frozen=True, kw_only=True)
class Deletion:
    network: str
    id: str
    deleted_at: datetime  # aware, UTC: when the network reported it
    origin: str  # where the deletion came from: "jetstream", "mastodon", "x-compliance"

    def to_json(self) -> bytes:
        return orjson.dumps(self, option=orjson.OPT_UTC_Z)


@dataclass(slots=True, frozen=True, kw_only=True)
class Reaction:
    network: str
    post_id: str  # the post reacted to
    kind: str  # "like" | "repost"
    id: str  # the reaction's own id on its network (a like record's at:// URI): dedupes replays
    actor_id: str
    reacted_at: datetime  # aware, UTC

    def to_json(self) -> bytes:
        return orjson.dumps(self, option=orjson.OPT_UTC_Z)
