"""X API v1.1 tweet objects (stream or REST, compat or extended mode) into a `Tweet`.

Also what the v1.1 stream sends that is not a tweet (`V1_NOTICES`), so the dispatcher in
`tweets.parsers` can name it, and `v1_entities`, which Activity Streams share: Gnip copies the
v1.1 entities into its activities as `twitter_entities`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tweektrend_dagster.tweets.checks import (
    InvalidTweet,
    check_created_at,
    check_id,
    check_text,
    count,
    opt_str,
)
from tweektrend_dagster.tweets.fields import (
    RT_PREFIX,
    author,
    entities_from_text,
    entity_urls,
    entity_values,
    lenient,
    lists_media,
    parse_v1_time,
    place_fields,
    strip_html,
    unescape,
)
from tweektrend_dagster.tweets.model import Tweet

# Stream messages of v1.1 that are not tweets; reported by name so the DLQ says what they were.
V1_NOTICES = (
    "delete",
    "limit",
    "status_withheld",
    "user_withheld",
    "scrub_geo",
    "disconnect",
    "warning",
    "event",
    "friends",
    "friends_str",
    "control",
)


def parse_v1(obj: dict[str, Any], *, nested: bool = False) -> Tweet:
    """A v1.1 tweet object. A retweet takes the full text and entities of its original;
    `original` is the retweeted (or quoted) status when embedded and valid."""
    tweet_id = check_id(obj.get("id_str") or obj.get("id"))
    user = obj.get("user")
    if not isinstance(user, dict):
        raise InvalidTweet("missing user")
    notes: list[str] = []
    tweet_author = author(
        user.get("id_str") or user.get("id"),
        user.get("screen_name"),
        user.get("name"),
        user.get("followers_count"),
        user.get("location"),
        notes,
    )
    created_at = check_created_at(_v1_created_at(obj))

    relation = related_id = original = None
    retweeted = obj.get("retweeted_status")
    quoted = obj.get("quoted_status")
    if isinstance(retweeted, dict):
        relation = "retweet"
        related_id = check_id(retweeted.get("id_str") or retweeted.get("id"), "retweeted id")
        original = lenient(parse_v1, retweeted)
    elif isinstance(quoted, dict) or obj.get("quoted_status_id_str") or obj.get("quoted_status_id"):
        relation = "quote"
        qid = obj.get("quoted_status_id_str") or obj.get("quoted_status_id")
        if not qid and isinstance(quoted, dict):
            qid = quoted.get("id_str") or quoted.get("id")
        related_id = check_id(qid, "quoted id")
        if isinstance(quoted, dict) and not nested:
            original = lenient(parse_v1, quoted)
    elif obj.get("in_reply_to_status_id_str") or obj.get("in_reply_to_status_id"):
        relation = "reply"
        related_id = check_id(
            obj.get("in_reply_to_status_id_str") or obj.get("in_reply_to_status_id"), "reply-to id"
        )

    if relation == "retweet" and original is not None:
        text, hashtags, mentions, urls = (
            original.text,
            original.hashtags,
            original.mentions,
            original.urls,
        )
        media = original.has_media
    else:
        extended = obj.get("extended_tweet")
        if isinstance(extended, dict) and extended.get("full_text"):
            raw_text = extended["full_text"]
            entities = extended.get("entities")
        else:
            raw_text = obj.get("full_text") or obj.get("text")
            entities = obj.get("entities")
        more = extended.get("extended_entities") if isinstance(extended, dict) else None
        media = lists_media(entities, more, obj.get("entities"), obj.get("extended_entities"))
        if relation == "retweet" and isinstance(raw_text, str):
            raw_text = RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(unescape(raw_text))
        hashtags, mentions, urls = v1_entities(entities, text)

    place_name, country = place_fields(obj.get("place"), notes)
    lang = opt_str(obj.get("lang"), "lang", notes)
    # A retweet cannot itself be engaged with; X copies the original's counts onto it.
    own = {} if relation == "retweet" else obj
    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=lang or (original.lang if original else None),
        author=tweet_author,
        relation=relation,
        related_id=related_id,
        retweets=count(own.get("retweet_count"), "retweets", notes),
        likes=count(own.get("favorite_count"), "likes", notes),
        replies=count(own.get("reply_count"), "replies", notes),
        quotes=count(own.get("quote_count"), "quotes", notes),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        has_media=media,
        source=strip_html(obj.get("source"), notes),
        place=place_name,
        country=country,
        format="v1.1",
        original=None if nested else original,
        notes=notes,
    )


def _v1_created_at(obj: dict[str, Any]) -> datetime:
    created = obj.get("created_at")
    if created:
        return parse_v1_time(created)
    ms = obj.get("timestamp_ms")
    if ms is not None:
        try:
            return datetime.fromtimestamp(int(ms) / 1000, UTC)
        except (TypeError, ValueError, OverflowError, OSError):
            raise InvalidTweet(f"bad timestamp_ms: {str(ms)[:40]!r}") from None
    raise InvalidTweet("missing created_at")


def v1_entities(entities: Any, text: str) -> tuple[list[str], list[str], list[str]]:
    """(hashtags, mentions, urls) of a v1.1 `entities` object; from the text when it is absent."""
    if not isinstance(entities, dict):
        return entities_from_text(text)
    return (
        entity_values(entities, "hashtags", "text"),
        entity_values(entities, "user_mentions", "screen_name"),
        entity_urls(entities),
    )
