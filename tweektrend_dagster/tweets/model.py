"""The normalised tweet every part of TweekTrend works with, whatever payload format it came in.

`Tweet.to_json()` is the value written to Kafka and to the raw archive (format "tweektrend");
`Tweet.from_json()` reads it back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unicodedata import is_normalized, normalize

import orjson

# A tweet id is stored as a Cassandra bigint: positive and below 2**63.
MAX_TWEET_ID = 2**63 - 1
MAX_TEXT_CHARS = 100_000
RELATIONS = ("retweet", "quote", "reply")
FORMATS = ("v1.1", "v2", "activity", "tweektrend")


class InvalidTweet(ValueError):
    """A payload that is not a usable tweet; `reason` is short and meant for humans and the DLQ."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(slots=True, kw_only=True)
class Author:
    id: str
    username: str
    name: str | None = None
    followers: int | None = None
    location: str | None = None


@dataclass(slots=True, kw_only=True)
class Tweet:
    id: int
    created_at: datetime  # aware, UTC
    text: str
    author: Author
    lang: str | None = None
    relation: str | None = None  # "retweet" | "quote" | "reply" | None
    related_id: int | None = None
    retweets: int = 0
    likes: int = 0
    replies: int = 0
    quotes: int = 0
    hashtags: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    source: str | None = None
    place: str | None = None
    country: str | None = None
    format: str = "tweektrend"
    keywords: list[str] = field(default_factory=list)
    # The retweeted or quoted tweet when the payload embeds it (its own `original` is always None),
    # so the engagement of the original post can be recorded too.
    original: Tweet | None = None

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
        """Link to the post on X."""
        return f"https://x.com/{self.author.username}/status/{self.id}"


def tweet_from_dict(obj: dict[str, Any], *, nested: bool = False) -> Tweet:
    """Build a Tweet from a decoded normalised ("tweektrend") object, validating every field."""
    author = obj.get("author")
    if not isinstance(author, dict):
        raise InvalidTweet("missing author")
    author_id = author.get("id")
    username = author.get("username")
    if author_id in (None, "") or not isinstance(username, str) or not username:
        raise InvalidTweet("missing author id or username")
    original = obj.get("original")
    relation = obj.get("relation")
    if relation is not None and relation not in RELATIONS:
        raise InvalidTweet(f"unknown relation {relation!r}")
    fmt = obj.get("format") or "tweektrend"
    if fmt not in FORMATS:
        raise InvalidTweet(f"unknown format {fmt!r}")
    return Tweet(
        id=check_id(obj.get("id")),
        created_at=parse_iso_time(obj.get("created_at")),
        text=check_text(obj.get("text")),
        author=Author(
            id=str(author_id),
            username=username,
            name=author.get("name"),
            followers=_opt_int(author.get("followers")),
            location=author.get("location"),
        ),
        lang=obj.get("lang"),
        relation=relation,
        related_id=None if obj.get("related_id") is None else check_id(obj["related_id"]),
        retweets=_int(obj.get("retweets")),
        likes=_int(obj.get("likes")),
        replies=_int(obj.get("replies")),
        quotes=_int(obj.get("quotes")),
        hashtags=_str_list(obj.get("hashtags")),
        mentions=_str_list(obj.get("mentions")),
        urls=_str_list(obj.get("urls")),
        source=obj.get("source"),
        place=obj.get("place"),
        country=obj.get("country"),
        format=fmt,
        keywords=_str_list(obj.get("keywords")),
        # One level only: the original of an original is dropped.
        original=(
            tweet_from_dict(original, nested=True)
            if isinstance(original, dict) and not nested
            else None
        ),
    )


# ---- field checks shared with the parsers -------------------------------------------------------


def check_id(value: Any, what: str = "id") -> int:
    """A tweet id as int; accepts ints and digit strings (id_str), rejects anything else."""
    if value is None or value == "":
        raise InvalidTweet(f"missing {what}")
    if type(value) is int:
        out = value
    elif isinstance(value, str) and value.isascii() and value.isdigit():
        out = int(value)
    else:
        raise InvalidTweet(f"{what} is not an integer: {str(value)[:40]!r}")
    if not 0 < out <= MAX_TWEET_ID:
        raise InvalidTweet(f"{what} out of range: {out}")
    return out


def check_text(value: Any) -> str:
    """Text as NFC; rejects missing, empty (after strip) and huge text."""
    if value is None:
        raise InvalidTweet("missing text")
    if not isinstance(value, str):
        raise InvalidTweet("text is not a string")
    if len(value) > MAX_TEXT_CHARS:
        raise InvalidTweet(f"huge text: {len(value)} chars > {MAX_TEXT_CHARS}")
    if not value.strip():
        raise InvalidTweet("empty text")
    return nfc(value)


def nfc(text: str) -> str:
    """NFC-normalise; ASCII and already-NFC text (nearly all tweets) are returned as they are."""
    # The quick check is far cheaper than normalize() for the common case.
    if text.isascii() or is_normalized("NFC", text):
        return text
    return normalize("NFC", text)


def parse_iso_time(value: Any, what: str = "created_at") -> datetime:
    """ISO-8601 (with Z or an offset) → aware UTC datetime; a naive time is taken as UTC."""
    if value is None or value == "":
        raise InvalidTweet(f"missing {what}")
    if not isinstance(value, str):
        raise InvalidTweet(f"bad {what}: {str(value)[:40]!r}")
    try:
        out = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidTweet(f"bad {what}: {value[:40]!r}") from None
    if out.tzinfo is None:
        return out.replace(tzinfo=UTC)
    return out.astimezone(UTC)


def _int(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


def _opt_int(value: Any) -> int | None:
    return value if type(value) is int and value >= 0 else None


def _str_list(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, str)]
