"""The tweet model and its parsers (X API v1.1, v2, Gnip Activity Streams, normalised JSON)."""

from tweektrend_dagster.tweets.model import MAX_TEXT_CHARS, Author, InvalidTweet, Tweet
from tweektrend_dagster.tweets.parsers import (
    detect_format,
    parse_activity,
    parse_payload,
    parse_v1,
    parse_v2,
)

__all__ = [
    "MAX_TEXT_CHARS",
    "Author",
    "InvalidTweet",
    "Tweet",
    "detect_format",
    "parse_activity",
    "parse_payload",
    "parse_v1",
    "parse_v2",
]
