"""Parsers for the tweet payloads TweekTrend accepts, all producing a `Tweet`.

Formats (detected from the keys of the object, see `detect_format`):
- "v1.1": X API v1.1 / enterprise "native" tweet objects (stream or REST, compat or extended);
- "v2": X API v2 envelopes `{"data": {...}, "includes": {...}, "matching_rules": [...]}` (pages
  of many tweets are split into envelopes first: `tweets.v2.split_page`);
- "twarc2": `twarc2 flatten` lines, one v2 tweet with its author and references inline;
- "activity": Gnip Activity Streams (`verb` post/share, `actor`, `postedTime`);
- "csv": one row of a CSV dataset as `tweets.csv_rows` reads it (`{"format": "csv", "row": {}}`);
- "tweektrend": our own normalised JSON (`Tweet.to_json()`).

Every field kept is checked for type and range (`tweets.checks`): repairs are listed in
`Tweet.notes`, and a tweet without a usable id, text, date or author is invalid.

Every problem raises `InvalidTweet(reason)`; nothing else escapes `parse_payload`.
Text is HTML-unescaped (X escapes only &amp; &lt; &gt;) and NFC-normalised; it stays plain text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from tweektrend_dagster.tweets.checks import (
    InvalidTweet,
    check_created_at,
    check_id,
    check_text,
    count,
    opt_str,
    parse_iso_time,
)
from tweektrend_dagster.tweets.csv_rows import is_csv_row, parse_csv_row
from tweektrend_dagster.tweets.fields import (
    RT_PREFIX,
    author,
    entities_from_text,
    entity_urls,
    entity_values,
    lenient,
    parse_v1_time,
    place_fields,
    strip_html,
    unescape,
)
from tweektrend_dagster.tweets.model import FORMATS, Tweet, tweet_from_dict
from tweektrend_dagster.tweets.v2 import (
    TWARC2_KEYS,
    api_error_reason,
    parse_twarc2,
    parse_v2,
)

__all__ = [
    "UNREADABLE",
    "InvalidTweet",
    "detect_format",
    "parse_activity",
    "parse_payload",
    "parse_twarc2",
    "parse_v1",
    "parse_v2",
]

# Stream messages of v1.1 that are not tweets; reported by name so the DLQ says what they were.
_V1_NOTICES = (
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
_BOM_BYTES = b"\xef\xbb\xbf"
# A file reader's verdict on input it could not read (a broken JSON document, a CSV row with
# invalid UTF-8): `{"unreadable": reason}` carries it through the producer to the DLQ.
UNREADABLE = "unreadable"


# ---- entry point ---------------------------------------------------------------------------------


def parse_payload(raw: bytes | bytearray | memoryview | str | dict | Any) -> Tweet:
    """Parse one payload in any supported format; raises InvalidTweet with a short reason.

    `raw` is JSON text (bytes are decoded as strict UTF-8) or an already decoded value."""
    if isinstance(raw, dict):
        obj = raw
    elif isinstance(raw, bytes | bytearray | memoryview | str):
        obj = _loads(raw)
    else:
        obj = raw  # e.g. an item of a decoded JSON array
    if not isinstance(obj, dict):
        raise InvalidTweet(f"not a JSON object (got {_json_kind(obj)})")
    if "id" not in obj and "data" not in obj:
        # Stream notices carry no tweet id; name them so the DLQ says what they were.
        for key in _V1_NOTICES:
            if key in obj:
                raise InvalidTweet(f"not a tweet: {key} notice")
    fmt = detect_format(obj)
    parse = _PARSERS.get(fmt)
    if parse is not None:
        try:
            return parse(obj)
        except InvalidTweet:
            raise
        except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:
            # Wrongly typed fields deep inside a payload: still a clear answer, never a crash.
            raise InvalidTweet(
                f"malformed {fmt} payload ({type(exc).__name__}: {exc})"[:160]
            ) from None
    if fmt == "v2-bare":
        raise InvalidTweet("missing author: v2 tweet without an includes.users envelope")
    raise InvalidTweet(_not_a_tweet_reason(obj))


def detect_format(obj: dict[str, Any]) -> str | None:
    """The payload format of a decoded object: "v1.1", "v2", "twarc2", "activity", "csv" (a CSV
    row read by `tweets.csv_rows`), "tweektrend", "v2-bare" (a v2 data object without its
    envelope) or None when unknown."""
    if "data" in obj:
        return "v2"
    if "actor" in obj or "postedTime" in obj or obj.get("objectType") == "activity":
        return "activity"
    if "author" in obj:
        fmt = obj.get("format")
        # Our normalised JSON always names its format; a twarc2 line never has that key.
        if type(fmt) is str and fmt in FORMATS:
            return "tweektrend"
        if any(key in obj for key in TWARC2_KEYS):
            return "twarc2"
        return "tweektrend"
    if "__twarc" in obj:
        return "twarc2"
    if is_csv_row(obj):
        return "csv"
    if type(obj.get("format")) is str and obj["format"] in FORMATS:
        return "tweektrend"
    if (
        "user" in obj
        or "id_str" in obj
        or "full_text" in obj
        or "extended_tweet" in obj
        or "retweeted_status" in obj
        or "timestamp_ms" in obj
    ):
        return "v1.1"
    if "author_id" in obj or "edit_history_tweet_ids" in obj or "referenced_tweets" in obj:
        return "v2-bare"
    if "text" in obj and "id" in obj:
        created = obj.get("created_at")
        # v1.1 times start with a weekday name, v2 times with the year.
        return "v2-bare" if isinstance(created, str) and created[:1].isdigit() else "v1.1"
    return None


def _loads(raw: bytes | bytearray | memoryview | str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        error = exc
    # Slow path only for bad input: give the precise reason.
    if isinstance(raw, str):
        if raw.startswith("\ufeff"):
            return _loads(raw[1:])
    else:
        data = bytes(raw)
        if data.startswith(_BOM_BYTES):
            return _loads(data[3:])
        try:
            data.decode("utf-8")  # strict
        except UnicodeDecodeError as uexc:
            raise InvalidTweet(f"invalid UTF-8 at byte {uexc.start}") from None
        raw = data.decode("utf-8")
    if not raw.strip():
        raise InvalidTweet("not JSON: empty payload")
    raise InvalidTweet(f"not JSON: {error.msg} at char {error.pos}")


def _json_kind(obj: Any) -> str:
    if isinstance(obj, list):
        return "array"
    if isinstance(obj, str):
        return "string"
    if isinstance(obj, bool):
        return "boolean"
    if isinstance(obj, int | float):
        return "number"
    return "null" if obj is None else type(obj).__name__


def _not_a_tweet_reason(obj: dict[str, Any]) -> str:
    unreadable = obj.get(UNREADABLE)
    if isinstance(unreadable, str) and unreadable:
        return unreadable[:200]
    if "errors" in obj:
        errors = obj["errors"]
        entries = errors if isinstance(errors, list) else [errors]
        reason = api_error_reason(entries[0] if entries else None)
        return reason if len(entries) < 2 else f"{reason} and {len(entries) - 1} more"
    if not obj:
        return "unknown format: empty object"
    return "unknown format: keys " + ", ".join(sorted(obj)[:6])


# ---- X API v1.1 ----------------------------------------------------------------------------------


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
    else:
        extended = obj.get("extended_tweet")
        if isinstance(extended, dict) and extended.get("full_text"):
            raw_text = extended["full_text"]
            entities = extended.get("entities")
        else:
            raw_text = obj.get("full_text") or obj.get("text")
            entities = obj.get("entities")
        if relation == "retweet" and isinstance(raw_text, str):
            raw_text = RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(unescape(raw_text))
        hashtags, mentions, urls = _v1_entities(entities, text)

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


def _v1_entities(entities: Any, text: str) -> tuple[list[str], list[str], list[str]]:
    if not isinstance(entities, dict):
        return entities_from_text(text)
    return (
        entity_values(entities, "hashtags", "text"),
        entity_values(entities, "user_mentions", "screen_name"),
        entity_urls(entities),
    )


# ---- Activity Streams (Gnip) ---------------------------------------------------------------------


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
    else:
        long_object = obj.get("long_object")
        if isinstance(long_object, dict) and long_object.get("body"):
            raw_text = long_object["body"]
            entities = long_object.get("twitter_entities") or obj.get("twitter_entities")
        else:
            raw_text, entities = obj.get("body"), obj.get("twitter_entities")
        if relation == "retweet" and isinstance(raw_text, str):
            raw_text = RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(unescape(raw_text))
        hashtags, mentions, urls = _v1_entities(entities, text)

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


_PARSERS = {
    "v1.1": parse_v1,
    "v2": parse_v2,
    "twarc2": parse_twarc2,
    "activity": parse_activity,
    "csv": parse_csv_row,
    "tweektrend": tweet_from_dict,
}
