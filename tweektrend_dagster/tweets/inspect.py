"""Check a file of tweet payloads before replaying it: how many parse, in which formats, and why
the others do not.

A file is JSON (one object or an array of objects) or JSONL (one payload per line, blank lines
skipped). `.jsonl`/`.ndjson` files are always read line by line; other files are read as one JSON
document first and as JSONL when that fails and the lines look like one object each.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from tweektrend_dagster.tweets.model import InvalidTweet
from tweektrend_dagster.tweets.parsers import parse_payload

MAX_ERRORS = 20
_LINE_SUFFIXES = (".jsonl", ".ndjson")
_BOM = b"\xef\xbb\xbf"


def inspect_file(path: str | Path) -> dict[str, Any]:
    """Parse every payload of `path` and summarise:
    `{"read", "valid", "invalid", "formats": {format: n}, "errors": ["line N: reason", ...]}`.
    Errors are the first 20, prefixed "line N: " (JSONL) or "item N: " (JSON array).
    Never raises on bad content; a missing file raises FileNotFoundError naming the path."""
    report: dict[str, Any] = {"read": 0, "valid": 0, "invalid": 0, "formats": {}, "errors": []}
    formats: dict[str, int] = report["formats"]
    errors: list[str] = report["errors"]
    for label, payload in iter_payloads(path):
        report["read"] += 1
        try:
            if isinstance(payload, InvalidTweet):
                raise payload
            tweet = parse_payload(payload)
        except InvalidTweet as exc:
            reason = exc.reason
        except Exception as exc:  # a parser bug must not hide the rest of the file
            reason = f"unexpected {type(exc).__name__}: {exc}"
        else:
            report["valid"] += 1
            formats[tweet.format] = formats.get(tweet.format, 0) + 1
            continue
        report["invalid"] += 1
        if len(errors) < MAX_ERRORS:
            errors.append(f"{label}: {reason}")
    return report


def iter_payloads(path: str | Path) -> Iterator[tuple[str, Any]]:
    """Yield `(label, payload)` for every payload in the file: raw line bytes for JSONL,
    decoded items for a JSON array, or an InvalidTweet when the whole document is broken.
    Feed payloads to `parse_payload`; labels are "line N" or "item N"."""
    path = Path(path)
    if path.suffix.lower() in _LINE_SUFFIXES:
        yield from _iter_lines(path)
        return
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _looks_like_jsonl(data):
            yield from _iter_lines(path)
        else:
            try:
                data.decode("utf-8")
                reason = f"not JSON: {exc.msg} at char {exc.pos}"
            except UnicodeDecodeError as uexc:
                reason = f"invalid UTF-8 at byte {uexc.start}"
            yield "line 1", InvalidTweet(reason)
        return
    if isinstance(doc, list):
        for n, item in enumerate(doc, 1):
            yield f"item {n}", item
    else:
        yield "line 1", doc


def _iter_lines(path: Path) -> Iterator[tuple[str, bytes]]:
    with path.open("rb") as f:
        for n, line in enumerate(f, 1):
            if n == 1 and line.startswith(_BOM):
                line = line[3:]
            line = line.strip()
            if line:
                yield f"line {n}", line


def _looks_like_jsonl(data: bytes) -> bool:
    # Pretty-printed JSON opens with a bare "{" or "["; JSONL opens with a whole object.
    lines = (ln.strip() for ln in data.splitlines())
    first = next((ln for ln in lines if ln), b"")
    second = next((ln for ln in lines if ln), b"")
    return bool(second) and first.startswith(b"{") and first.endswith(b"}")
