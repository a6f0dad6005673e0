"""The normalised tweet every part of TweekTrend works with, whatever payload format it came in.

`Tweet.to_json()` is the value written to Kafka and to the raw archive (the normalised JSON; its
`format` names the input format the tweet was read from, `notes` what the parser repaired);
`Tweet.from_json()` reads it back exactly, re-checking every field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import orjson

from tweektrend_dagster.tweets.checks import (
    MAX_FIELD_CHARS,
    MAX_TEXT_CHARS,
    MAX_TWEET_ID,
    NETWORKS,
    InvalidTweet,
    check_created_at,
    check_id,
    check_post_id,
    check_text,
    count,
    nfc,
    opt_count,
    opt_str,
    parse_iso_time,
    str_list,
)

__all__ = [
    "FORMATS",
    "MAX_TEXT_CHARS",
    "MAX_TWEET_ID",
    "NETWORKS",
    "RELATIONS",
    "Author",
    "InvalidTweet",
    "Tweet",
    "check_id",
    "check_post_id",
    "check_text",
    "nfc",
    "parse_iso_time",
    "tweet_from_dict",
]

RELATIONS = ("retweet", "quote", "reply")
# The input format a tweet was read from ("tweektrend" = our normalised JSON, written by hand or
# by another producer; "jetstream" = a Bluesky Jetstream commit; "mastodon" = a Mastodon Status).
FORMATS = ("v1.1", "v2", "twarc2", "activity", "csv", "tweektrend", "jetstream", "mastodon")
_NETWORK_SET = frozenset(NETWORKS)
_FORMAT_SET = frozenset(FORMATS)


@dataclass(slots=True, kw_only=True)
class Author:
    id: str
    username: str
    name: str | None = None
    followers: int | None = None
    location: str | None = None


@dataclass(slots=True, kw_only=True)
class Tweet:
    """One post of any network; its identity is (network, id)."""

    id: str  # the network's own id: X digits, a Bluesky at:// URI, a Mastodon host/status-id
    created_at: datetime  # aware, UTC
    text: str
    author: Author
    lang: str | None = None
    relation: str | None = None  # "retweet" | "quote" | "reply" | None
    related_id: str | None = None  # on the same network
    retweets: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    # The payload lists photos, videos or GIFs (`has:media` in rules).
    has_media: bool = False
    source: str | None = None
    place: str | None = None
    country: str | None = None
    format: str = "tweektrend"
    network: str = "x"  # "x" | "bluesky" | "mastodon"
    keywords: list[str] = field(default_factory=list)
    # The retweeted or quoted tweet when the payload embeds it (its own `original` is always None),
    # so the engagement of the original post can be recorded too.
    original: Tweet | None = None
    # What the parser repaired or dropped ("retweets clamped from 5000000000"); empty when clean.
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> bytes:
        """The normalised JSON ("tweektrend" format); created_at as ISO-8601 ending in Z."""
        # orjson serialises slotted dataclasses natively, which keeps this off the hot-path profile.
        return orjson.dumps(self, option=orjson.OPT_UTC_Z)

    @classmethod
    def from_json(cls, raw: bytes | str) -> Tweet:
        """Read what `to_json` wrote; raises InvalidTweet on anything else."""
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise InvalidTweet(f"not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise InvalidTweet("not a JSON object")
        return tweet_from_dict(obj)

    @property
    def url(self) -> str:
        """Link to the post on its own network."""
        return post_url(self.network, self.id, self.author.username)


def profile_url(username: str | None) -> str:
    """An author's page, told apart by how each network spells its users: a Bluesky DID, a
    Mastodon `user@host`, an X screen name."""
    username = username or "i"
    if username.startswith("did:"):
        return f"https://bsky.app/profile/{quote(username, safe=':')}"
    user, at, host = username.partition("@")
    if at and host:
        return f"https://{host}/@{quote(user)}"
    return f"https://x.com/{quote(username, safe='')}"


def post_url(network: str | None, post_id: str | int, username: str | None = None) -> str:
    """The web address of a post on its own network (`network` None: an X post stored before
    posts had a network)."""
    post_id = str(post_id)
    if network == "bluesky":
        # at://<did>/app.bsky.feed.post/<rkey> → bsky.app accepts the DID as the profile
        _, _, rest = post_id.partition("at://")
        did, _, tail = rest.partition("/")
        rkey = tail.rpartition("/")[2]
        return f"https://bsky.app/profile/{quote(did, safe=':')}/post/{quote(rkey)}"
    if network == "mastodon":
        # host/status-id: the instance shows any status it knows under its account's address
        host, _, local = post_id.partition("/")
        return f"https://{host}/@{quote(username or 'i', safe='@.')}/{quote(local)}"
    return f"https://x.com/{quote(username or 'i', safe='')}/status/{quote(post_id)}"


def tweet_from_dict(obj: dict[str, Any], *, nested: bool = False) -> Tweet:
    """Build a Tweet from a decoded normalised ("tweektrend") object, checking every field as the
    parsers do (it may come from another producer): bad required fields make it invalid, bad
    optional ones are dropped and counts clamped, each with a note."""
    author = obj.get("author")
    if not isinstance(author, dict):
        raise InvalidTweet("missing author")
    author_id = author.get("id")
    username = author.get("username")
    if author_id in (None, "") or type(author_id) not in (str, int):
        raise InvalidTweet("missing author id or username")
    if type(username) is not str or not username:
        raise InvalidTweet("missing author id or username")
    if len(username) > MAX_FIELD_CHARS:
        raise InvalidTweet(f"author username too long: {len(username)} chars")
    relation = obj.get("relation")
    if relation is not None and relation not in RELATIONS:
        raise InvalidTweet(f"unknown relation {str(relation)[:30]!r}")
    original = obj.get("original")
    fmt = obj.get("format") or "tweektrend"
    if type(fmt) is not str or fmt not in _FORMAT_SET:
        raise InvalidTweet(f"unknown format {str(fmt)[:30]!r}")
    network = obj.get("network") or "x"  # normalised JSON written before networks existed
    if type(network) is not str or network not in _NETWORK_SET:
        raise InvalidTweet(f"unknown network {str(network)[:30]!r}")
    notes = obj.get("notes")
    notes = str_list(notes) if notes else []
    has_media = obj.get("has_media", False)
    if type(has_media) is not bool:
        notes.append(f"has_media dropped: {str(has_media)[:30]!r} is not true or false")
        has_media = False
    return Tweet(
        id=check_post_id(network, obj.get("id")),
        created_at=check_created_at(parse_iso_time(obj.get("created_at"))),
        text=check_text(obj.get("text")),
        author=Author(
            id=str(author_id),
            username=username,
            name=opt_str(author.get("name"), "author name", notes),
            followers=opt_count(author.get("followers"), "followers", notes),
            location=opt_str(author.get("location"), "author location", notes),
        ),
        lang=opt_str(obj.get("lang"), "lang", notes),
        relation=relation,
        related_id=(None if obj.get("related_id") is None
                    else check_post_id(network, obj["related_id"], "related_id")),
        retweets=count(obj.get("retweets"), "retweets", notes),
        likes=count(obj.get("likes"), "likes", notes),
        replies=count(obj.get("replies"), "replies", notes),
        quotes=count(obj.get("quotes"), "quotes", notes),
        hashtags=str_list(obj.get("hashtags")),
        mentions=str_list(obj.get("mentions")),
        urls=str_list(obj.get("urls")),
        has_media=has_media,
        source=opt_str(obj.get("source"), "source", notes),
        place=opt_str(obj.get("place"), "place", notes),
        country=opt_str(obj.get("country"), "country", notes),
        format=fmt,
        network=network,
        keywords=str_list(obj.get("keywords")),
        # One level only: the original of an original is dropped.
        original=(
            tweet_from_dict(original, nested=True)
            if isinstance(original, dict) and not nested
            else None
        ),
        notes=notes,
    )

