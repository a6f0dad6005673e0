"""The tweet model and its parsers (X API v1.1, v2 envelopes and pages, twarc2, Gnip Activity
Streams, CSV datasets, normalised JSON), the field checks they share and the file reader."""

from tweektrend_dagster.tweets.checks import MAX_COUNT, MAX_TEXT_CHARS, InvalidTweet
from tweektrend_dagster.tweets.model import Author, Tweet
from tweektrend_dagster.tweets.parsers import (
    detect_format,
    parse_activity,
    parse_payload,
    parse_twarc2,
    parse_v1,
    parse_v2,
)
from tweektrend_dagster.tweets.v2 import split_page

__all__ = [
    "MAX_COUNT",
    "MAX_TEXT_CHARS",
    "Author",
    "InvalidTweet",
    "Tweet",
    "detect_format",
    "parse_activity",
    "parse_payload",
    "parse_twarc2",
    "parse_v1",
    "parse_v2",
    "split_page",
]
