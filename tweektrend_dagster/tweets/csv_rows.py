"""CSV tweet datasets with a header row (Kaggle-style exports, twint, twarc-csv).

Reading (`iter_csv`) maps the header to the fields below (case-insensitive, spaces and hyphens
read as underscores; `columns` overrides it, e.g. `{"id": "tweet_id", "text": "content"}`) and
turns every row into a payload `{"format": "csv", "row": {field: value}}` holding only the
mapped, non-empty cells; `parse_csv_row` (called through `parse_payload`) makes the Tweet, so a
bad row reaches the dead-letter topic with its cells and its reason.

Rules a researcher may need to know:
- dates: ISO-8601 with or without an offset ("2021-02-03 10:11:12" is UTC), a trailing " UTC",
  the v1.1 shape ("Wed Feb 03 10:11:12 +0000 2021") or epoch seconds/milliseconds;
- a row without a user id gets the stable author id "@" + lower-cased screen name; without a
  screen name column the user name (display name) stands in for it, so one person is one author;
- hashtags: a list ("['a', 'b']", '["a"]', twarc-csv's '[{"tag": "a"}]') or words ("a b", "#a,#b");
  an empty hashtags cell takes the hashtags found in the text;
- a media column (`has_media`, `media`, `media_keys`, `photos`, ...) that is neither empty nor
  "[]", "0" or "false" marks a post with media (`has:media`);
- `is_retweet` true marks a retweet (its "RT @user: " prefix is removed); a retweeted, quoted or
  replied-to id column gives the relation and its id.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from tweektrend_dagster.tweets.checks import (
    MAX_FIELD_CHARS,
    InvalidTweet,
    check_created_at,
    check_id,
    check_text,
    count,
    opt_count,
    opt_str,
)
from tweektrend_dagster.tweets.fields import (
    RT_PREFIX,
    entities_from_text,
    parse_v1_time,
    strip_html,
    unescape,
    unique,
)
from tweektrend_dagster.tweets.model import Author, Tweet

# field → header spellings, after lower-casing and turning spaces and hyphens into underscores.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "tweet_id", "id_str", "status_id", "tweetid", "tweet_id_str"),
    "created_at": (
        "created_at", "date", "datetime", "timestamp", "tweet_created_at", "created", "time_stamp",
    ),
    "text": ("text", "full_text", "tweet", "tweet_text", "content", "body", "message"),
    "username": (
        "user_screen_name", "screen_name", "username", "user_username", "author.username",
        "author_username", "handle",
    ),
    "name": ("user_name", "name", "author.name", "author_name", "user_display_name",
             "display_name"),
    "author_id": ("user_id", "author_id", "user_id_str", "author.id", "userid"),
    "hashtags": ("hashtags", "entities.hashtags", "hashtag"),
    "source": ("source", "tweet_source"),
    "retweets": (
        "retweets", "retweet_count", "retweets_count", "public_metrics.retweet_count",
        "retweetcount",
    ),
    "likes": (
        "favorites", "favorite_count", "favourites", "favourite_count", "likes", "like_count",
        "likes_count", "public_metrics.like_count",
    ),
    "replies": ("replies", "reply_count", "replies_count", "public_metrics.reply_count"),
    "quotes": ("quotes", "quote_count", "quotes_count", "public_metrics.quote_count"),
    "is_retweet": ("is_retweet", "retweet", "isretweet", "is_rt"),
    "media": (
        "has_media", "media", "media_keys", "attachments.media_keys", "attachments.media",
        "entities.media", "extended_entities.media", "media_url", "media_urls", "photos",
    ),
    "location": ("user_location", "location", "author.location"),
    "followers": (
        "user_followers", "followers", "followers_count", "user_followers_count",
        "author.public_metrics.followers_count",
    ),
    "lang": ("lang", "language"),
    "place": ("place", "place_full_name", "geo.full_name", "place_name"),
    "country": ("country_code", "geo.country_code", "place_country_code", "country"),
    "retweeted_id": ("retweeted_status_id", "referenced_tweets.retweeted.id", "retweeted_id"),
    "quoted_id": ("quoted_status_id", "referenced_tweets.quoted.id", "quoted_id"),
    "reply_to_id": (
        "in_reply_to_status_id", "referenced_tweets.replied_to.id", "in_reply_to_id",
    ),
}
REQUIRED = ("id", "created_at", "text")
# A stray quote can swallow the rest of a file into one field; stop well before that hurts.
FIELD_SIZE_LIMIT = 64 * 1024 * 1024
_TRUE = {"true", "1", "yes", "y", "t"}
_NO_MEDIA = {"", "[]", "{}", "0", "false", "f", "no", "n", "none", "null", "nan"}
_QUOTED = re.compile(r"""'([^']*)'|"([^"]*)\"""")
_BOM = b"\xef\xbb\xbf"


def parse_columns(spec: str | dict[str, str] | None) -> dict[str, str]:
    """ "id=tweet_id,text=content" → {"id": "tweet_id", "text": "content"}; unknown fields or a
    malformed pair raise ValueError naming the known fields."""
    if not spec:
        return {}
    pairs = spec.items() if isinstance(spec, dict) else (
        part.split("=", 1) if "=" in part else (part, "") for part in spec.split(",") if part
    )
    out: dict[str, str] = {}
    for field, header in pairs:
        field, header = field.strip(), header.strip()
        if field not in FIELDS:
            raise ValueError(f"unknown column field {field!r}; known: {', '.join(FIELDS)}")
        if not header:
            raise ValueError(f"column mapping {field}= names no header (use FIELD=HEADER)")
        out[field] = header
    return out


def _norm(header: str) -> str:
    return header.strip().lower().replace(" ", "_").replace("-", "_")


def map_header(header: list[str], columns: dict[str, str]) -> dict[str, int]:
    """field → column index. `columns` (field → header as written) wins over the spellings;
    a mapped header missing from the file raises ValueError."""
    index = {}
    for i, name in enumerate(header):
        index.setdefault(_norm(name), i)
    out: dict[str, int] = {}
    for field, wanted in columns.items():
        if _norm(wanted) not in index:
            raise ValueError(f"--columns {field}={wanted}: no such column in the header")
        out[field] = index[_norm(wanted)]
    taken = set(out.values())
    for field, spellings in FIELDS.items():
        if field in out:
            continue
        for spelling in spellings:
            i = index.get(spelling)
            if i is not None and i not in taken:
                out[field] = i
                taken.add(i)
                break
    return out


def iter_csv(
    lines: Iterable[bytes], columns: dict[str, str] | None = None, prefix: str = ""
) -> Iterator[tuple[str, dict[str, Any] | InvalidTweet]]:
    """Yield `(label, payload)` for every data row of a CSV read from binary `lines`: the row
    payload, or an InvalidTweet for a row that cannot be read at all (invalid UTF-8, a broken
    quote) and, once, for a header that lacks the required columns. Labels are "line N" (the
    line the row starts on), prefixed with `prefix`."""
    if csv.field_size_limit() < FIELD_SIZE_LIMIT:
        csv.field_size_limit(FIELD_SIZE_LIMIT)
    bad_lines: list[int] = []
    text = _decoded(lines, bad_lines)
    skipped = 0  # blank lines before the header, so labels stay file line numbers
    first = next(text, None)
    while first is not None and not first.strip():
        skipped += 1
        first = next(text, None)
    if first is None:
        return
    delimiter = max(",;\t", key=first.count)
    reader = csv.reader(_chain(first, text), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        yield f"{prefix}line {skipped + 1}", InvalidTweet(f"unreadable CSV header: {exc}"[:160])
        return
    try:
        fields = map_header(header, columns or {})
    except ValueError as exc:
        yield f"{prefix}line 1", InvalidTweet(str(exc))
        return
    missing = [f for f in REQUIRED if f not in fields]
    if missing:
        shown = ", ".join(h[:30] for h in header[:12])
        yield f"{prefix}line 1", InvalidTweet(
            f"CSV header has no {' or '.join(missing)} column (columns: {shown}); "
            "name them with --columns FIELD=HEADER"
        )
        return
    end = skipped + reader.line_num
    while True:
        start = end + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            end = skipped + reader.line_num
            yield f"{prefix}line {start}", InvalidTweet(f"unreadable CSV row: {exc}"[:160])
            continue
        end = skipped + reader.line_num
        if not any(c.strip() for c in cells):
            continue
        bad = next((n for n in bad_lines if start <= n <= end), None)
        if bad is not None:
            yield f"{prefix}line {start}", InvalidTweet(f"invalid UTF-8 in line {bad}")
            continue
        row = {f: cells[i] for f, i in fields.items() if i < len(cells) and cells[i].strip()}
        yield f"{prefix}line {start}", {"format": "csv", "row": row}


def _decoded(lines: Iterable[bytes], bad_lines: list[int]) -> Iterator[str]:
    for n, raw in enumerate(lines, 1):
        if n == 1 and raw.startswith(_BOM):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            bad_lines.append(n)
            yield raw.decode("utf-8", "replace")


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


# ---- one row -------------------------------------------------------------------------------------


def is_csv_row(obj: dict[str, Any]) -> bool:
    return obj.get("format") == "csv" and isinstance(obj.get("row"), dict)


def parse_csv_row(obj: dict[str, Any]) -> Tweet:
    """The Tweet of one CSV row payload (see the module docstring for the rules)."""
    row: dict[str, Any] = obj["row"]
    notes: list[str] = []
    tweet_id = check_id(_integer_text(row.get("id")))
    created_at = check_created_at(csv_time(row.get("created_at")))
    username = _cell(row.get("username")) or _cell(row.get("name"))
    if not username:
        raise InvalidTweet("missing author: no screen name or user name")
    if len(username) > MAX_FIELD_CHARS:
        raise InvalidTweet("author id or username too long")
    author_id = _integer_text(_cell(row.get("author_id"))) or "@" + username.lower()

    relation = related_id = None
    for field, kind in (("retweeted_id", "retweet"), ("quoted_id", "quote"),
                        ("reply_to_id", "reply")):
        value = _integer_text(_cell(row.get(field)))
        if value:
            try:
                related_id = check_id(value, f"{kind} id")
            except InvalidTweet as exc:
                notes.append(f"{exc.reason}; relation dropped")
                continue
            relation = kind
            break
    if relation is None and _cell(row.get("is_retweet")).lower() in _TRUE:
        relation = "retweet"

    raw_text = row.get("text")
    if relation == "retweet" and isinstance(raw_text, str):
        raw_text = RT_PREFIX.sub("", raw_text, count=1)
    text = check_text(unescape(raw_text))
    found_tags, mentions, urls = entities_from_text(text)
    hashtags = parse_hashtags(row.get("hashtags")) or found_tags

    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=opt_str(row.get("lang"), "lang", notes),
        author=Author(
            id=author_id,
            username=username,
            name=opt_str(row.get("name"), "author name", notes),
            followers=opt_count(_number(row.get("followers")), "followers", notes),
            location=opt_str(row.get("location"), "author location", notes),
        ),
        relation=relation,
        related_id=related_id,
        retweets=count(_number(row.get("retweets")), "retweets", notes),
        likes=count(_number(row.get("likes")), "likes", notes),
        replies=count(_number(row.get("replies")), "replies", notes),
        quotes=count(_number(row.get("quotes")), "quotes", notes),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        has_media=_cell(row.get("media")).lower() not in _NO_MEDIA,
        source=strip_html(row.get("source"), notes),
        place=opt_str(row.get("place"), "place", notes),
        country=opt_str(row.get("country"), "country", notes),
        format="csv",
        notes=notes,
    )


def csv_time(value: Any) -> datetime:
    """A CSV date cell → aware UTC datetime (see the module docstring for the shapes)."""
    if not isinstance(value, str) or not value.strip():
        if value is None or value == "":
            raise InvalidTweet("missing created_at")
        raise InvalidTweet(f"bad created_at: {str(value)[:40]!r}")
    s = value.strip()
    if s.isdigit():  # epoch seconds, or milliseconds from 13 digits on
        try:
            stamp = int(s) / 1000 if len(s) >= 12 else int(s)
            return datetime.fromtimestamp(stamp, UTC)
        except (ValueError, OverflowError, OSError):
            raise InvalidTweet(f"bad created_at: {s[:40]!r}") from None
    if s[:1].isalpha():
        return parse_v1_time(s)
    for suffix in (" UTC", " GMT", " Z"):
        if s.endswith(suffix):
            s = s[: -len(suffix)] + "+00:00"
    # "2021-02-03 10:11:12 +0000" → "2021-02-03 10:11:12+0000"
    if len(s) > 6 and s[-5] in "+-" and s[-6] == " ":
        s = s[:-6] + s[-5:]
    try:
        out = datetime.fromisoformat(s)
        return out.replace(tzinfo=UTC) if out.tzinfo is None else out.astimezone(UTC)
    except (ValueError, OverflowError):
        raise InvalidTweet(f"bad created_at: {value.strip()[:40]!r}") from None


def parse_hashtags(value: Any) -> list[str]:
    """Hashtags from a CSV cell: a list literal, JSON (strings or {"tag"} objects) or words."""
    if not isinstance(value, str) or not value.strip():
        return []
    s = value.strip()
    tags: list[Any] = []
    if s[:1] == "[":
        try:
            decoded = orjson.loads(s)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, list):
            for item in decoded:
                if isinstance(item, dict):
                    item = item.get("tag") or item.get("text")
                tags.append(item)
        else:  # a Python list literal: "['a', 'b']"
            tags = [a or b for a, b in _QUOTED.findall(s)]
    else:
        tags = s.replace(",", " ").split()
    cleaned = [t.strip().lstrip("#＃").strip() for t in tags if isinstance(t, str)]
    return unique([t for t in cleaned if t and len(t) <= 280])


def _cell(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _integer_text(value: Any) -> Any:
    """ "123.0" (pandas wrote an int column as floats) → "123"; anything else as it is."""
    if isinstance(value, str):
        s = value.strip()
        if s.endswith(".0") and s[:-2].isdigit():
            return s[:-2]
        return s
    return value


def _number(value: Any) -> Any:
    """A count cell: "12", "12.0", "1,234" → int; other text left for `count` to report."""
    if not isinstance(value, str):
        return value
    s = value.strip().replace(",", "").replace("_", "")
    if s.endswith(".0"):
        s = s[:-2]
    body = s[1:] if s[:1] in "+-" else s
    if body.isascii() and body.isdigit() and len(body) <= 30:
        return int(s)
    return s or None
