"""Parsers for the tweet payloads TweekTrend accepts, all producing a `Tweet`.

Formats (detected from the keys of the object, see `detect_format`):
- "v1.1": X API v1.1 / enterprise "native" tweet objects (stream or REST, compat or extended);
- "v2": X API v2 envelopes `{"data": {...}, "includes": {...}, "matching_rules": [...]}`;
- "activity": Gnip Activity Streams (`verb` post/share, `actor`, `postedTime`);
- "tweektrend": our own normalised JSON (`Tweet.to_json()`).

Every problem raises `InvalidTweet(reason)`; nothing else escapes `parse_payload`.
Text is HTML-unescaped (X escapes only &amp; &lt; &gt;) and NFC-normalised; it stays plain text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import orjson

from tweektrend_dagster.tweets.model import (
    FORMATS,
    Author,
    InvalidTweet,
    Tweet,
    check_id,
    check_text,
    parse_iso_time,
    tweet_from_dict,
)

__all__ = [
    "InvalidTweet",
    "detect_format",
    "parse_activity",
    "parse_payload",
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
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}
_RT_PREFIX = re.compile(r"^RT @\w{1,50}: ")
# Used only when a payload carries no entities at all (hand-made or trimmed exports).
_HASHTAG = re.compile(r"(?<![\w&])[#＃](\w+)")
_MENTION = re.compile(r"(?<![\w@])[@＠](\w{1,15})")
_URL = re.compile(r"https?://[^\s<>\"]+")
_BOM_BYTES = b"\xef\xbb\xbf"
_V2_RELATIONS = {"retweeted": "retweet", "quoted": "quote", "replied_to": "reply"}
_RELATION_RANK = {"retweet": 0, "quote": 1, "reply": 2}


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
    """The payload format of a decoded object: "v1.1", "v2", "activity", "tweektrend",
    "v2-bare" (a v2 data object without its envelope) or None when unknown."""
    if "data" in obj:
        return "v2"
    if "actor" in obj or "postedTime" in obj or obj.get("objectType") == "activity":
        return "activity"
    if "author" in obj or obj.get("format") in FORMATS:
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
    if "errors" in obj:
        errors = obj["errors"]
        first = errors[0] if isinstance(errors, list) and errors else {}
        title = (first.get("title") or first.get("message")) if isinstance(first, dict) else None
        return f"not a tweet: API error ({title})" if title else "not a tweet: API error"
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
    author = _author(
        user.get("id_str") or user.get("id"),
        user.get("screen_name"),
        user.get("name"),
        user.get("followers_count"),
        user.get("location"),
    )
    created_at = _v1_created_at(obj)

    relation = related_id = original = None
    retweeted = obj.get("retweeted_status")
    quoted = obj.get("quoted_status")
    if isinstance(retweeted, dict):
        relation = "retweet"
        related_id = check_id(retweeted.get("id_str") or retweeted.get("id"), "retweeted id")
        original = _lenient(parse_v1, retweeted)
    elif isinstance(quoted, dict) or obj.get("quoted_status_id_str") or obj.get("quoted_status_id"):
        relation = "quote"
        qid = obj.get("quoted_status_id_str") or obj.get("quoted_status_id")
        if not qid and isinstance(quoted, dict):
            qid = quoted.get("id_str") or quoted.get("id")
        related_id = check_id(qid, "quoted id")
        if isinstance(quoted, dict) and not nested:
            original = _lenient(parse_v1, quoted)
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
            raw_text = _RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(_unescape(raw_text))
        hashtags, mentions, urls = _v1_entities(entities, text)

    place = obj.get("place")
    place_name = country = None
    if isinstance(place, dict):
        place_name = place.get("full_name") or place.get("name")
        country = place.get("country_code") or place.get("country")

    # A retweet cannot itself be engaged with; X copies the original's counts onto it.
    own = {} if relation == "retweet" else obj
    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=obj.get("lang") or (original.lang if original else None),
        author=author,
        relation=relation,
        related_id=related_id,
        retweets=_count(own.get("retweet_count")),
        likes=_count(own.get("favorite_count")),
        replies=_count(own.get("reply_count")),
        quotes=_count(own.get("quote_count")),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        source=_strip_html(obj.get("source")),
        place=place_name,
        country=country,
        format="v1.1",
        original=None if nested else original,
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


def parse_v1_time(value: Any) -> datetime:
    """ "Wed Oct 10 20:19:24 +0000 2018" (or ISO-8601, as some exports rewrite it) → UTC."""
    if isinstance(value, str):
        parts = value.split()
        if len(parts) == 6:
            try:
                _, month, day, hms, offset, year = parts
                hour, minute, second = hms.split(":")
                out = datetime(
                    int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second)
                )
                if offset in ("+0000", "-0000"):
                    return out.replace(tzinfo=UTC)
                sign = {"+": 1, "-": -1}[offset[0]]
                delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
                return out.replace(tzinfo=timezone(sign * delta)).astimezone(UTC)
            except (ValueError, KeyError, IndexError):
                pass
        elif value[:1].isdigit():
            return parse_iso_time(value)
    raise InvalidTweet(f"bad created_at: {str(value)[:40]!r}")


def _v1_entities(entities: Any, text: str) -> tuple[list[str], list[str], list[str]]:
    if not isinstance(entities, dict):
        return _entities_from_text(text)
    return (
        _entity_values(entities, "hashtags", "text"),
        _entity_values(entities, "user_mentions", "screen_name"),
        _entity_urls(entities),
    )


# ---- X API v2 ------------------------------------------------------------------------------------


def parse_v2(envelope: dict[str, Any]) -> Tweet:
    """A v2 stream/lookup envelope `{"data": {...}, "includes": {...}}`. The author must be
    resolvable through includes.users; a `data` list must hold exactly one tweet."""
    data = envelope.get("data")
    if isinstance(data, list):
        if len(data) != 1:
            raise InvalidTweet(f"v2 envelope holds {len(data)} tweets; split it first")
        data = data[0]
    if not isinstance(data, dict):
        raise InvalidTweet("v2 data is not an object")
    includes = envelope.get("includes")
    if not isinstance(includes, dict):
        includes = {}
    users = _by_id(includes.get("users"))
    places = _by_id(includes.get("places"))
    tweets = _by_id(includes.get("tweets"))
    return _v2_tweet(data, users, places, tweets, nested=False)


def _v2_tweet(
    data: dict[str, Any],
    users: dict[str, dict],
    places: dict[str, dict],
    tweets: dict[str, dict],
    *,
    nested: bool,
) -> Tweet:
    tweet_id = check_id(data.get("id"))
    author_id = data.get("author_id")
    if author_id in (None, ""):
        raise InvalidTweet("missing author: no author_id")
    user = users.get(str(author_id))
    if user is None:
        raise InvalidTweet(f"missing author: {author_id} not in includes.users")
    metrics = user.get("public_metrics")
    author = _author(
        user.get("id"),
        user.get("username"),
        user.get("name"),
        metrics.get("followers_count") if isinstance(metrics, dict) else None,
        user.get("location"),
    )
    created_at = parse_iso_time(data.get("created_at"))

    relation = related_id = original = None
    refs = data.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else ():
        kind = _V2_RELATIONS.get(str(ref.get("type"))) if isinstance(ref, dict) else None
        # One relation per tweet: retweet > quote > reply (a reply may also quote).
        if kind and (relation is None or _RELATION_RANK[kind] < _RELATION_RANK[relation]):
            relation, related_id = kind, ref.get("id")
    if relation is not None:
        related_id = check_id(related_id, f"{relation} id")
        embedded = tweets.get(str(related_id)) if relation != "reply" else None
        if embedded is not None and not nested:
            original = _lenient(_v2_tweet, embedded, users, places, tweets)

    if relation == "retweet" and original is not None:
        text, hashtags, mentions, urls = (
            original.text,
            original.hashtags,
            original.mentions,
            original.urls,
        )
    else:
        note = data.get("note_tweet")
        if isinstance(note, dict) and note.get("text"):
            raw_text, entities = note["text"], note.get("entities") or data.get("entities")
        else:
            raw_text, entities = data.get("text"), data.get("entities")
        if relation == "retweet" and isinstance(raw_text, str):
            raw_text = _RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(_unescape(raw_text))
        hashtags, mentions, urls = _v2_entities(entities, text)

    place_name = country = None
    geo = data.get("geo")
    if isinstance(geo, dict) and geo.get("place_id"):
        place = places.get(str(geo["place_id"]))
        if place is not None:
            place_name = place.get("full_name") or place.get("name")
            country = place.get("country_code") or place.get("country")

    pm = data.get("public_metrics")
    if not isinstance(pm, dict) or relation == "retweet":
        pm = {}  # a retweet's own counts mirror its original's
    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=data.get("lang"),
        author=author,
        relation=relation,
        related_id=related_id,
        retweets=_count(pm.get("retweet_count")),
        likes=_count(pm.get("like_count")),
        replies=_count(pm.get("reply_count")),
        quotes=_count(pm.get("quote_count")),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        source=_strip_html(data.get("source")),
        place=place_name,
        country=country,
        format="v2",
        original=original,
    )


def _v2_entities(entities: Any, text: str) -> tuple[list[str], list[str], list[str]]:
    if not isinstance(entities, dict):
        return _entities_from_text(text)
    return (
        _entity_values(entities, "hashtags", "tag"),
        _entity_values(entities, "mentions", "username"),
        _entity_urls(entities),
    )


def _by_id(items: Any) -> dict[str, dict]:
    if not isinstance(items, list):
        return {}
    return {str(it["id"]): it for it in items if isinstance(it, dict) and "id" in it}


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
    actor_location = actor.get("location")
    author = _author(
        _tail(actor.get("id")),
        actor.get("preferredUsername"),
        actor.get("displayName"),
        actor.get("followersCount"),
        actor_location.get("displayName") if isinstance(actor_location, dict) else None,
    )
    created_at = parse_iso_time(obj.get("postedTime"), "postedTime")

    relation = related_id = original = None
    shared = obj.get("object")
    quoted = obj.get("twitter_quoted_status")
    if verb == "share":
        relation = "retweet"
        if isinstance(shared, dict):
            related_id = check_id(_tail(shared.get("id")), "shared id")
            original = _lenient(parse_activity, shared)
        else:
            raise InvalidTweet("share without its original object")
    elif isinstance(quoted, dict):
        relation = "quote"
        related_id = check_id(_tail(quoted.get("id")), "quoted id")
        if not nested:
            original = _lenient(parse_activity, quoted)
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
            raw_text = _RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(_unescape(raw_text))
        hashtags, mentions, urls = _v1_entities(entities, text)

    generator = obj.get("generator")
    location = obj.get("location")
    own = {} if relation == "retweet" else obj  # a share carries its original's counts
    place_name = country = None
    if isinstance(location, dict):
        place_name = location.get("displayName") or location.get("name")
        # country_code holds the country name in this format; twitter_country_code the ISO code.
        country = location.get("twitter_country_code") or location.get("country_code")

    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=obj.get("twitter_lang") or (original.lang if original else None),
        author=author,
        relation=relation,
        related_id=related_id,
        retweets=_count(own.get("retweetCount")),
        likes=_count(own.get("favoritesCount")),
        replies=_count(own.get("replyCount")),
        quotes=_count(own.get("quoteCount")),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        source=generator.get("displayName") if isinstance(generator, dict) else None,
        place=place_name,
        country=country,
        format="activity",
        original=None if nested else original,
    )


def _tail(value: Any) -> Any:
    """ "tag:search.twitter.com,2005:123" / "id:twitter.com:42" → "123" / "42"."""
    if isinstance(value, str) and ":" in value:
        return value.rpartition(":")[2]
    return value


# ---- shared helpers ------------------------------------------------------------------------------


def _author(author_id: Any, username: Any, name: Any, followers: Any, location: Any) -> Author:
    if author_id in (None, "") or isinstance(author_id, bool):
        raise InvalidTweet("missing author id")
    if not isinstance(username, str) or not username:
        raise InvalidTweet("missing author username")
    return Author(
        id=str(author_id),
        username=username,
        name=name if isinstance(name, str) else None,
        followers=followers if type(followers) is int and followers >= 0 else None,
        location=location if isinstance(location, str) and location else None,
    )


def _lenient(parse: Any, *args: Any) -> Tweet | None:
    """Parse an embedded tweet; a broken embedded tweet must not lose the outer one."""
    try:
        return parse(*args, nested=True)
    except InvalidTweet:
        return None


def _count(value: Any) -> int:
    return value if type(value) is int and value >= 0 else 0


def _unescape(text: Any) -> Any:
    # X escapes exactly these three in text fields; &amp; last so "&amp;lt;" stays "&lt;".
    if isinstance(text, str) and "&" in text:
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def _strip_html(source: Any) -> str | None:
    """'<a href="..." rel="nofollow">Twitter for iPhone</a>' → 'Twitter for iPhone'."""
    if not isinstance(source, str) or not source:
        return None
    if source.startswith("<"):
        start = source.find(">") + 1
        end = source.find("<", start)
        source = source[start:end] if end >= 0 else source[start:]
    source = _unescape(source).strip()
    return source or None


def _entity_values(entities: dict, kind: str, field: str) -> list[str]:
    # Malformed entity lists are skipped, not fatal: the tweet itself is still good.
    items = entities.get(kind)
    if not isinstance(items, list):
        return []
    values = [it[field] for it in items if isinstance(it, dict) and isinstance(it.get(field), str)]
    return _unique([v for v in values if v])


def _entity_urls(entities: dict) -> list[str]:
    items = entities.get("urls")
    if not isinstance(items, list):
        return []
    urls = []
    for it in items:
        if isinstance(it, dict):
            url = it.get("expanded_url") or it.get("url")
            if isinstance(url, str) and url:
                urls.append(url)
    return _unique(urls)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items)) if len(items) > 1 else items


def _entities_from_text(text: str) -> tuple[list[str], list[str], list[str]]:
    return (
        _unique(_HASHTAG.findall(text)),
        _unique(_MENTION.findall(text)),
        _unique(_URL.findall(text)),
    )


_PARSERS = {
    "v1.1": parse_v1,
    "v2": parse_v2,
    "activity": parse_activity,
    "tweektrend": tweet_from_dict,
}
