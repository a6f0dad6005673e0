"""Type and range checks for every field a tweet keeps (SPEC §4), shared by all parsers and by
`tweet_from_dict` (which re-checks normalised JSON written by any producer).

A value that cannot be kept makes the tweet invalid (`InvalidTweet(reason)`) when the tweet is
useless without it (id, text, created_at, author), and is otherwise repaired or dropped with a
short note appended to the tweet's `notes`: counts beyond the Cassandra `int` column are clamped
to 2,147,483,647, negative counts become 0, an optional text field of the wrong type is dropped.
Clean values take one `type(x) is ...` test each, so the hot path stays fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unicodedata import is_normalized, normalize

# An X post id is a 64-bit snowflake: positive and below 2**63.
MAX_TWEET_ID = 2**63 - 1
# The networks a post can come from; a post's identity is (network, id).
NETWORKS = ("x", "bluesky", "mastodon")
# An AT URI is at most a few hundred chars (DID ≤ 2,048 in theory, ~32 in practice).
MAX_POST_ID_CHARS = 1_000
MAX_TEXT_CHARS = 100_000
# Counts are Cassandra `int` columns.
MAX_COUNT = 2**31 - 1
# Names, places, sources, languages: longer than this is not a real value but a broken export.
MAX_FIELD_CHARS = 1_000
# X's first day; nothing can be older.
FIRST_DAY = datetime(2006, 3, 21, tzinfo=UTC)
# Clock skew is tolerated; a post dated further ahead than this is a broken timestamp.
MAX_FUTURE = timedelta(days=366)


class InvalidTweet(ValueError):
    """A payload that is not a usable tweet; `reason` is short and meant for humans and the DLQ."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_id(value: Any, what: str = "id") -> str:
    """An X post id as canonical decimal text; accepts ints and digit strings (id_str) up to
    2**63 - 1 (X's ids are 64-bit snowflakes), rejects anything else."""
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
    return str(out)


def check_post_id(network: str, value: Any, what: str = "id") -> str:
    """A post id as its network spells it: X digits (`check_id`), a Bluesky `at://` URI of a
    record, a Mastodon `host/status-id`. The id is unique within its network only."""
    if network == "x":
        return check_id(value, what)
    if value is None or value == "":
        raise InvalidTweet(f"missing {what}")
    if type(value) is not str:
        raise InvalidTweet(f"{what} is not text: {str(value)[:40]!r}")
    if len(value) > MAX_POST_ID_CHARS:
        raise InvalidTweet(f"{what} too long: {len(value)} chars")
    if network == "bluesky":
        # at://<did>/<collection>/<rkey>
        parts = value.split("/")
        if not value.startswith("at://did:") or len(parts) != 5 or not all(parts[2:]):
            raise InvalidTweet(f"{what} is not an at:// record URI: {value[:60]!r}")
        return value
    if network == "mastodon":
        host, _, local = value.partition("/")
        if not host or not local or "/" in local or any(c.isspace() for c in value):
            raise InvalidTweet(f"{what} is not host/status-id: {value[:60]!r}")
        return value
    raise InvalidTweet(f"unknown network {network[:30]!r}")


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
        if out.tzinfo is None:
            return out.replace(tzinfo=UTC)
        return out.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: year 9999 shifted past the calendar
        raise InvalidTweet(f"bad {what}: {value[:40]!r}") from None


def check_created_at(value: datetime, what: str = "created_at") -> datetime:
    """A post time within X's lifetime: from 2006-03-21 on, at most a year ahead of now."""
    if FIRST_DAY <= value <= _latest[0]:
        return value
    if value < FIRST_DAY:
        raise InvalidTweet(f"{what} before X existed: {value:%Y-%m-%d}")
    # The cached bound only lags behind the clock, so refresh it before refusing.
    _latest[0] = datetime.now(UTC) + MAX_FUTURE
    if value > _latest[0]:
        raise InvalidTweet(f"{what} too far in the future: {value:%Y-%m-%d}")
    return value


_latest = [datetime.now(UTC) + MAX_FUTURE]


def count(value: Any, what: str, notes: list[str]) -> int:
    """A non-negative count that fits an `int` column; missing → 0, repairs noted."""
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    if value is None:
        return 0
    out = _as_int(value)
    if out is None:
        notes.append(f"{what} dropped: not a number ({_brief(value)})")
        return 0
    return _in_range(out, what, notes)


def opt_count(value: Any, what: str, notes: list[str]) -> int | None:
    """Like `count`, but a missing or unreadable value stays None (unknown, not zero)."""
    if type(value) is int and 0 <= value <= MAX_COUNT:
        return value
    if value is None or value == "":
        return None
    out = _as_int(value)
    if out is None:
        notes.append(f"{what} dropped: not a number ({_brief(value)})")
        return None
    return _in_range(out, what, notes)


def _in_range(out: int, what: str, notes: list[str]) -> int:
    if out > MAX_COUNT:
        notes.append(f"{what} clamped from {out}")
        return MAX_COUNT
    if out < 0:
        notes.append(f"{what} negative ({out}), set to 0")
        return 0
    return out  # a digit string or an integral float: read as it is


def _as_int(value: Any) -> int | None:
    """Ints, digit strings ("12", "-3", " 7 ") and integral floats; None for anything else."""
    if type(value) is int:
        return value
    if type(value) is float:
        return int(value) if value.is_integer() else None
    if type(value) is str:
        s = value.strip()
        body = s[1:] if s[:1] in "+-" else s
        if body.isascii() and body.isdigit() and len(body) <= 30:
            return int(s)
    return None


def opt_str(value: Any, what: str, notes: list[str]) -> str | None:
    """An optional text field: a string of at most 1,000 chars or None; others dropped."""
    if type(value) is str:
        if not value:
            return None
        if len(value) <= MAX_FIELD_CHARS:
            return value
        notes.append(f"{what} dropped: {len(value)} chars > {MAX_FIELD_CHARS}")
        return None
    if value is None:
        return None
    notes.append(f"{what} dropped: {_kind(value)} instead of text")
    return None


def str_list(value: Any) -> list[str]:
    """A list of strings; anything else (or non-string items) is left out."""
    if type(value) is not list:
        return []
    return [v for v in value if type(v) is str and v]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _brief(value: Any) -> str:
    text = value if isinstance(value, str) else _kind(value)
    return text[:20]
