"""Helpers the format parsers share: authors, entities, text clean-up, lenient nested parsing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from tweektrend_dagster.tweets.checks import (
    MAX_FIELD_CHARS,
    InvalidTweet,
    opt_count,
    opt_str,
    parse_iso_time,
)
from tweektrend_dagster.tweets.model import Author, Tweet

RT_PREFIX = re.compile(r"^RT @\w{1,50}: ")
# Used only when a payload carries no entities at all (hand-made or trimmed exports).
_HASHTAG = re.compile(r"(?<![\w&])[#＃](\w+)")
_MENTION = re.compile(r"(?<![\w@])[@＠](\w{1,15})")
_URL = re.compile(r"https?://[^\s<>\"]+")
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}


def author(
    author_id: Any, username: Any, name: Any, followers: Any, location: Any, notes: list[str]
) -> Author:
    """The author of a tweet; id and username are required, the rest is checked and optional."""
    if author_id in (None, "") or type(author_id) not in (str, int):
        raise InvalidTweet("missing author id")
    if type(username) is not str or not username:
        raise InvalidTweet("missing author username")
    if len(username) > MAX_FIELD_CHARS or len(str(author_id)) > MAX_FIELD_CHARS:
        raise InvalidTweet("author id or username too long")
    return Author(
        id=str(author_id),
        username=username,
        name=opt_str(name, "author name", notes),
        followers=opt_count(followers, "followers", notes),
        location=opt_str(location, "author location", notes),
    )


def lists_media(*entities: Any) -> bool:
    """Whether any of these entity objects (v1.1 `entities`/`extended_entities`, activity
    streams' `twitter_entities`/`twitter_extended_entities`) lists a photo, video or GIF."""
    return any(
        isinstance(e, dict) and isinstance(e.get("media"), list) and bool(e["media"])
        for e in entities
    )


def lenient(parse: Any, *args: Any) -> Tweet | None:
    """Parse an embedded tweet; a broken embedded tweet must not lose the outer one."""
    try:
        return parse(*args, nested=True)
    except InvalidTweet:
        return None
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError):
        return None


def unescape(text: Any) -> Any:
    # X escapes exactly these three in text fields; &amp; last so "&amp;lt;" stays "&lt;".
    if isinstance(text, str) and "&" in text:
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text


def strip_html(source: Any, notes: list[str]) -> str | None:
    """'<a href="..." rel="nofollow">Twitter for iPhone</a>' → 'Twitter for iPhone'."""
    if type(source) is str and source.startswith("<"):
        start = source.find(">") + 1
        end = source.find("<", start)
        source = source[start:end] if end >= 0 else source[start:]
    if type(source) is str:
        source = unescape(source).strip()
    return opt_str(source, "source", notes)


def place_fields(place: Any, notes: list[str], name_keys: tuple[str, ...] = ("full_name", "name"),
                 country_keys: tuple[str, ...] = ("country_code", "country")
                 ) -> tuple[str | None, str | None]:
    """(place name, country) of a place object; wrongly typed values dropped with a note."""
    if not isinstance(place, dict):
        return None, None
    name = next((place[k] for k in name_keys if place.get(k)), None)
    country = next((place[k] for k in country_keys if place.get(k)), None)
    return opt_str(name, "place", notes), opt_str(country, "country", notes)


def entity_values(entities: dict, kind: str, field: str) -> list[str]:
    # Malformed entity lists are skipped, not fatal: the tweet itself is still good.
    items = entities.get(kind)
    if not isinstance(items, list):
        return []
    values = [it[field] for it in items if isinstance(it, dict) and isinstance(it.get(field), str)]
    return unique([v for v in values if v])


def entity_urls(entities: dict) -> list[str]:
    items = entities.get("urls")
    if not isinstance(items, list):
        return []
    urls = []
    for it in items:
        if isinstance(it, dict):
            url = it.get("expanded_url") or it.get("url")
            if isinstance(url, str) and url:
                urls.append(url)
    return unique(urls)


def unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items)) if len(items) > 1 else items


def entities_from_text(text: str) -> tuple[list[str], list[str], list[str]]:
    return (
        unique(_HASHTAG.findall(text)),
        unique(_MENTION.findall(text)),
        unique(_URL.findall(text)),
    )


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
            except (ValueError, KeyError, IndexError, OverflowError):
                pass
        elif value[:1].isdigit():
            return parse_iso_time(value)
    raise InvalidTweet(f"bad created_at: {str(value)[:40]!r}")
