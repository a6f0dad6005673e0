"""The one entry point for tweet payloads: detect the format, hand it to its parser.

Every format has its own module and produces a `Tweet`; this one only tells them apart by the
keys of the object (`detect_format`), decodes JSON with precise reasons, and names what is not a
tweet at all (stream notices, API errors, unreadable input):
- "v1.1" (`tweets.v1`): X API v1.1 / enterprise "native" tweet objects (stream or REST, compat
  or extended);
- "v2" (`tweets.v2`): X API v2 envelopes `{"data": {...}, "includes": {...}, "matching_rules":
  [...]}` (pages of many tweets are split into envelopes first: `tweets.v2.split_page`);
- "twarc2" (`tweets.v2`): `twarc2 flatten` lines, one v2 tweet with its author and references
  inline;
- "activity" (`tweets.activity`): Gnip Activity Streams (`verb` post/share, `actor`,
  `postedTime`);
- "csv" (`tweets.csv_rows`): one row of a CSV dataset (`{"format": "csv", "row": {}}`);
- "tweektrend" (`tweets.model`): our own normalised JSON (`Tweet.to_json()`);
- "jetstream" (`tweets.jetstream`): Bluesky Jetstream events; "mastodon" (`tweets.mastodon`):
  Mastodon streaming events as the Mastodon source wraps them. Live streams also say that a
  post was deleted or liked: `parse_event` returns those as `tweets.events` records, and names
  events that concern no post at all with a reason starting `NOT_A_POST`.

Every field kept is checked for type and range (`tweets.checks`): repairs are listed in
`Tweet.notes`, and a tweet without a usable id, text, date or author is invalid.

Every problem raises `InvalidTweet(reason)`; nothing else escapes `parse_payload`.
Text is HTML-unescaped (X escapes only &amp; &lt; &gt;) and NFC-normalised; it stays plain text.
"""

from __future__ import annotations

from typing import Any

import orjson

from tweektrend_dagster.tweets.activity import parse_activity
from tweektrend_dagster.tweets.checks import InvalidTweet
from tweektrend_dagster.tweets.csv_rows import is_csv_row, parse_csv_row
from tweektrend_dagster.tweets.events import Deletion, Reaction
from tweektrend_dagster.tweets.model import FORMATS, Tweet, tweet_from_dict
from tweektrend_dagster.tweets.v1 import V1_NOTICES, parse_v1
from tweektrend_dagster.tweets.v2 import (
    TWARC2_KEYS,
    api_error_reason,
    parse_twarc2,
    parse_v2,
)

__all__ = [
    "NOT_A_POST",
    "UNREADABLE",
    "InvalidTweet",
    "detect_format",
    "parse_activity",
    "parse_event",
    "parse_payload",
    "parse_twarc2",
    "parse_v1",
    "parse_v2",
]

_BOM_BYTES = b"\xef\xbb\xbf"
# The start of the reason for a stream event that concerns no post (an account or identity
# change, a record of another kind): skipped and counted, not dead-lettered.
NOT_A_POST = "not a post: "
# A file reader's verdict on input it could not read (a broken JSON document, a CSV row with
# invalid UTF-8): `{"unreadable": reason}` carries it through the producer to the DLQ.
UNREADABLE = "unreadable"


# ---- entry point ---------------------------------------------------------------------------------


def parse_event(raw: bytes | bytearray | memoryview | str | dict | Any
                ) -> Tweet | Deletion | Reaction:
    """Parse one payload of any source: a post (`Tweet`), or what a live network says about
    one (`Deletion`, `Reaction`); raises InvalidTweet with a short reason."""
    obj = _object(raw)
    if "time_us" in obj and ("kind" in obj or "commit" in obj):
        return _guarded("jetstream", _stream_parser("jetstream"), obj)
    if "mastodon" in obj:
        return _guarded("mastodon", _stream_parser("mastodon"), obj)
    return parse_payload(obj)


def _stream_parser(fmt: str):  # noqa: ANN202
    # imported on first use: an archive replay never needs them
    if fmt == "jetstream":
        from tweektrend_dagster.tweets.jetstream import parse_jetstream

        return parse_jetstream
    from tweektrend_dagster.tweets.mastodon import parse_mastodon

    return parse_mastodon


def _object(raw: Any) -> dict:
    if isinstance(raw, dict):
        obj = raw
    elif isinstance(raw, bytes | bytearray | memoryview | str):
        obj = _loads(raw)
    else:
        obj = raw  # e.g. an item of a decoded JSON array
    if not isinstance(obj, dict):
        raise InvalidTweet(f"not a JSON object (got {_json_kind(obj)})")
    return obj


def _guarded(fmt: str, parse, obj: dict):  # noqa: ANN001, ANN202
    try:
        return parse(obj)
    except InvalidTweet:
        raise
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, OverflowError) as exc:
        # Wrongly typed fields deep inside a payload: still a clear answer, never a crash.
        raise InvalidTweet(
            f"malformed {fmt} payload ({type(exc).__name__}: {exc})"[:160]
        ) from None


def parse_payload(raw: bytes | bytearray | memoryview | str | dict | Any) -> Tweet:
    """Parse one payload in any supported format; raises InvalidTweet with a short reason.

    `raw` is JSON text (bytes are decoded as strict UTF-8) or an already decoded value."""
    obj = _object(raw)
    if "id" not in obj and "data" not in obj:
        # Stream notices carry no tweet id; name them so the DLQ says what they were.
        for key in V1_NOTICES:
            if key in obj:
                raise InvalidTweet(f"not a tweet: {key} notice")
    fmt = detect_format(obj)
    parse = _PARSERS.get(fmt)
    if parse is not None:
        return _guarded(fmt, parse, obj)
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


_PARSERS = {
    "v1.1": parse_v1,
    "v2": parse_v2,
    "twarc2": parse_twarc2,
    "activity": parse_activity,
    "csv": parse_csv_row,
    "tweektrend": tweet_from_dict,
}
