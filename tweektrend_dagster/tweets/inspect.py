"""Check a file of tweets before replaying it: how many parse, in which input formats, what the
parser repaired, and why the others do not. Files are read by `tweets.files` (JSON, JSONL, CSV,
v2 pages, compressed or zipped)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tweektrend_dagster.tweets.checks import InvalidTweet
from tweektrend_dagster.tweets.files import iter_items
from tweektrend_dagster.tweets.parsers import parse_payload

MAX_ERRORS = 20
MAX_NOTES = 20


def inspect_file(path: str | Path, columns: dict[str, str] | None = None) -> dict[str, Any]:
    """Parse every payload of `path` and summarise:
    `{"read", "valid", "invalid", "formats": {input format: valid tweets}, "errors": [...],
    "with_notes": n, "notes": [...]}`.
    Input formats are the tweets' own ("v1.1", "v2", "twarc2", "activity", "csv",
    "tweektrend"), and "v2-page" for tweets that came in a page of many. Errors and notes are
    the first 20 each, prefixed with where they are ("line N", "item N", "line N tweet M",
    "member.csv line N"). Never raises on bad content; a missing file raises FileNotFoundError
    naming the path."""
    report: dict[str, Any] = {
        "read": 0,
        "valid": 0,
        "invalid": 0,
        "formats": {},
        "errors": [],
        "with_notes": 0,
        "notes": [],
    }
    formats: dict[str, int] = report["formats"]
    errors: list[str] = report["errors"]
    notes: list[str] = report["notes"]
    for item in iter_items(path, columns):
        report["read"] += 1
        try:
            if isinstance(item.payload, InvalidTweet):
                raise item.payload
            tweet = parse_payload(item.payload)
        except InvalidTweet as exc:
            reason = exc.reason
        except Exception as exc:  # a parser bug must not hide the rest of the file
            reason = f"unexpected {type(exc).__name__}: {exc}"
        else:
            report["valid"] += 1
            fmt = "v2-page" if item.container == "v2-page" else tweet.format
            formats[fmt] = formats.get(fmt, 0) + 1
            tweet_notes = tweet.notes
            if tweet.original is not None and tweet.original.notes:
                tweet_notes = tweet_notes + [f"original {n}" for n in tweet.original.notes]
            if tweet_notes:
                report["with_notes"] += 1
                for note in tweet_notes:
                    if len(notes) < MAX_NOTES:
                        notes.append(f"{item.label}: {note}")
            continue
        report["invalid"] += 1
        if len(errors) < MAX_ERRORS:
            errors.append(f"{item.label}: {reason}")
    return report


def iter_payloads(
    path: str | Path, columns: dict[str, str] | None = None
) -> Iterator[tuple[str, Any]]:
    """Yield `(label, payload)` for every payload in the file (see `tweets.files.iter_items`):
    raw line bytes, decoded objects, or an InvalidTweet for input that could not be read.
    Feed payloads to `parse_payload`."""
    for item in iter_items(path, columns):
        yield item.label, item.payload
