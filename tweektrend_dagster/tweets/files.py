"""Read a file of tweets in any supported layout into one payload per tweet.

Layouts, chosen by the file name (compression suffixes `.gz`, `.bz2`, `.xz` are read through):
- `.jsonl` / `.ndjson`: one JSON payload a line, streamed;
- `.csv` / `.tsv`: a CSV dataset with a header (`tweets.csv_rows`), streamed;
- `.zip`: every member that is JSONL, JSON or CSV, in name order, each by its own name;
- anything else: one JSON document (an object or an array of payloads, loaded whole), or JSONL
  when the first line is a whole object (streamed).

A v2 page (`{"data": [...], "includes", "errors", "meta"}`), on a line or as an array item, is
split into one-tweet envelopes and one payload per `errors` entry (`tweets.v2.split_page`).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import IO, Any

import orjson

from tweektrend_dagster.tweets.checks import InvalidTweet
from tweektrend_dagster.tweets.csv_rows import iter_csv
from tweektrend_dagster.tweets.v2 import is_page, split_page

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
_LINES = (".jsonl", ".ndjson")
_CSV = (".csv", ".tsv")
_JSON = (".json",)
_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True, frozen=True)
class Item:
    """One payload of a file. `payload` is raw line bytes (JSONL, untouched), a decoded object
    (array items, split pages, CSV rows) or an InvalidTweet for input that could not be read.
    `container` is "v2-page" for what came out of a page, "csv" for CSV rows, else None."""

    label: str
    payload: bytes | Any
    container: str | None = None


def iter_items(path: str | Path, columns: dict[str, str] | None = None) -> Iterator[Item]:
    """Every payload of the file at `path`, in order; `columns` maps CSV fields to headers.
    Never raises on bad content; a missing file raises FileNotFoundError naming the path."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    name = path.name.lower()
    if name.endswith(".zip"):
        yield from _zip_items(path, columns)
        return
    opener = _OPENERS.get(Path(name).suffix)
    inner = name[: -len(Path(name).suffix)] if opener else name
    with (opener or open)(path, "rb") as fh:
        try:
            yield from _stream_items(fh, _layout(inner), "", columns)
        except (OSError, EOFError, lzma.LZMAError) as exc:  # a truncated or corrupt archive
            yield Item("end of file", InvalidTweet(f"unreadable {path.name}: {exc}"[:160]))


def _layout(name: str) -> str:
    suffix = Path(name).suffix
    if suffix in _LINES:
        return "lines"
    if suffix in _CSV:
        return "csv"
    return "json"


def _zip_items(path: Path, columns: dict[str, str] | None) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        yield Item("line 1", InvalidTweet(f"not a zip file: {exc}"))
        return
    with archive:
        members = sorted(
            info.filename
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not Path(info.filename).name.startswith(".")
            and Path(info.filename.lower()).suffix in _LINES + _CSV + _JSON
        )
        for member in members:
            with archive.open(member) as fh:
                try:
                    yield from _stream_items(fh, _layout(member.lower()), f"{member} ", columns)
                except (OSError, EOFError, zipfile.BadZipFile) as exc:
                    yield Item(f"{member}", InvalidTweet(f"unreadable {member}: {exc}"[:160]))


def _stream_items(
    fh: IO[bytes], layout: str, prefix: str, columns: dict[str, str] | None
) -> Iterator[Item]:
    if layout == "csv":
        for label, payload in iter_csv(fh, columns, prefix):
            yield Item(label, payload, "csv")
    elif layout == "lines":
        yield from _line_items(enumerate(fh, 1), prefix)
    else:
        yield from _json_items(fh, prefix)


def _line_items(lines: Iterable[tuple[int, bytes]], prefix: str) -> Iterator[Item]:
    for n, line in lines:
        if n == 1 and line.startswith(_BOM):
            line = line[3:]
        line = line.strip()
        if not line:
            continue
        label = f"{prefix}line {n}"
        # Only lines that may be pages are decoded here; the rest go out untouched.
        if b'"data"' in line or b'"errors"' in line:
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                obj = None
            if is_page(obj):
                yield from _page_items(label, obj)
                continue
        yield Item(label, line)


def _json_items(fh: IO[bytes], prefix: str) -> Iterator[Item]:
    lines = enumerate(fh, 1)
    buffered: list[tuple[int, bytes]] = []
    first = b""
    for n, raw in lines:
        buffered.append((n, raw))
        first = raw.strip()
        if first:
            break
    if first.startswith(_BOM):
        first = first[3:].strip()
    if first[:1] == b"{" and first[-1:] == b"}" and _is_object(first):
        # JSONL under another name (or a one-line object): stream it.
        yield from _line_items(chain(buffered, lines), prefix)
        return
    data = b"".join(raw for _, raw in buffered) + fh.read()
    if data.startswith(_BOM):
        data = data[3:]
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if _looks_like_jsonl(data):
            yield from _line_items(enumerate(data.splitlines(), 1), prefix)
            return
        try:
            data.decode("utf-8")
            reason = f"not JSON: {exc.msg} at char {exc.pos}"
        except UnicodeDecodeError as uexc:
            reason = f"invalid UTF-8 at byte {uexc.start}"
        yield Item(f"{prefix}line 1", InvalidTweet(reason))
        return
    if isinstance(doc, list):
        for n, item in enumerate(doc, 1):
            if is_page(item):
                yield from _page_items(f"{prefix}item {n}", item)
            else:
                yield Item(f"{prefix}item {n}", item)
    elif is_page(doc):
        yield from _page_items(f"{prefix}line 1", doc)
    else:
        yield Item(f"{prefix}line 1", doc)


def _page_items(label: str, page: dict[str, Any]) -> Iterator[Item]:
    tweets = errors = 0
    for payload in split_page(page):
        if "data" in payload:
            tweets += 1
            yield Item(f"{label} tweet {tweets}", payload, "v2-page")
        else:
            errors += 1
            yield Item(f"{label} error {errors}", payload, "v2-page")


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def _looks_like_jsonl(data: bytes) -> bool:
    # Pretty-printed JSON opens with a bare "{" or "["; JSONL opens with a whole object.
    lines = (ln.strip() for ln in data.splitlines())
    first = next((ln for ln in lines if ln), b"")
    second = next((ln for ln in lines if ln), b"")
    return bool(second) and first.startswith(b"{") and first.endswith(b"}")
