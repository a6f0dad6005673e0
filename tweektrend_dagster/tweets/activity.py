"""Gnip Activity Streams activities (`verb` post/share, `actor`, `postedTime`) into a `Tweet`.

The enterprise archives of X (historical PowerTrack, Gnip) come in this shape: ids as tag URIs,
a retweet as a "share" whose `object` is the original activity, and the v1.1 entities copied in
as `twitter_entities` (read with `tweets.v1.v1_entities`).
"""

from __future__ import annotations

from typing import Any

from tweektrend_dagster.tweets.checks import (
    InvalidTweet,
    check_created_at,
    check_id,
    check_text,
    count,
    opt_str,
    parse_iso_time,
)
from tweektrend_dagster.tweets.fields import (
    RT_PREFIX,
    author,
    lenient,
    lists_media,
    place_fields,
    unescape,
)
from tweektrend_dagster.tweets.model import Tweet
from tweektrend_dagster.tweets.v1 import v1_entities


def parse_activity(obj: dict[str, Any], *, nested: bool = False) -> Tweet:
    """A Gnip Activity Streams activity: verb "post" or "share" (a retweet, whose `object` is
    the original activity)."""
    verb = obj.get("verb")
    if verb not in ("post", "share"):
        if isinstance(verb, str) and verb:
            raise InvalidTweet(f"not a tweet: {verb[:30]} activity")
        raise InvalidTweet("missing verb")
    tweet_id = check_id(_tail(obj.get("id")))
    actor = obj.get("actor")
    if not isinstance(actor, dict):
        raise InvalidTweet("missing actor")
    notes: list[str] = []
    actor_location = actor.get("location")
    tweet_author = author(
        _tail(actor.get("id")),
        actor.get("preferredUsername"),
        actor.get("displayName"),
        actor.get("followersCount"),
        actor_location.get("displayName") if isinstance(actor_location, dict) else None,
        notes,
    )
    created_at = check_created_at(parse_iso_time(obj.get("postedTime"), "postedTime"))

    relation = related_id = original = None
    shared = obj.get("object")
    quoted = obj.get("twitter_quoted_status")
    if verb == "share":
        relation = "retweet"
        if isinstance(shared, dict):
            related_id = check_id(_tail(shared.get("id")), "shared id")
            original = lenient(parse_activity, shared)
        else:
            raise InvalidTweet("share without its original object")
    elif isinstance(quoted, dict):
        relation = "quote"
        related_id = check_id(_tail(quoted.get("id")), "quoted id")
        if not nested:
            original = lenient(parse_activity, quoted)
    else:
        in_reply = obj.get("inReplyTo")
        link = in_reply.get("link") if isinstance(in_reply, dict) else None
        if isinstance(link, str) and link:
            relation = "reply"
            related_id = check_id(link.rstrip("/").rpartition("/")[2], "inReplyTo id")

    if relation == "retweet" and original is not None:
        text, hashtags, mentions, urls = (
            original.text,
            original.hashtags,
            original.mentions,
            original.urls,
        )
        media = original.has_media
    else:
        long_object = obj.get("long_object")
        if isinstance(long_object, dict) and long_object.get("body"):
            raw_text = long_object["body"]
            entities = long_object.get("twitter_entities") or obj.get("twitter_entities")
        else:
            raw_text, entities = obj.get("body"), obj.get("twitter_entities")
        long_entities = long_object if isinstance(long_object, dict) else {}
        media = lists_media(
            entities,
            long_entities.get("twitter_extended_entities"),
            obj.get("twitter_entities"),
            obj.get("twitter_extended_entities"),
        )
        if relation == "retweet" and isinstance(raw_text, str):
            raw_text = RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(unescape(raw_text))
        hashtags, mentions, urls = v1_entities(entities, text)

    generator = obj.get("generator")
    own = {} if relation == "retweet" else obj  # a share carries its original's counts
    # country_code holds the country name in this format; twitter_country_code the ISO code.
    place_name, country = place_fields(
        obj.get("location"),
        notes,
        ("displayName", "name"),
        ("twitter_country_code", "country_code"),
    )
    lang = opt_str(obj.get("twitter_lang"), "lang", notes)
    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=lang or (original.lang if original else None),
        author=tweet_author,
        relation=relation,
        related_id=related_id,
        retweets=count(own.get("retweetCount"), "retweets", notes),
        likes=count(own.get("favoritesCount"), "likes", notes),
        replies=count(own.get("replyCount"), "replies", notes),
        quotes=count(own.get("quoteCount"), "quotes", notes),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        has_media=media,
        source=opt_str(
            generator.get("displayName") if isinstance(generator, dict) else None, "source", notes
        ),
        place=place_name,
        country=country,
        format="activity",
        original=None if nested else original,
        notes=notes,
    )


def _tail(value: Any) -> Any:
    """ "tag:search.twitter.com,2005:123" / "id:twitter.com:42" → "123" / "42"."""
    if isinstance(value, str) and ":" in value:
        return value.rpartition(":")[2]
    return value
