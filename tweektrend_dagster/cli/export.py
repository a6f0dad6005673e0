"""`tweektrend export`: a period's trend document as CSV or Parquet files.

Three files, side by side: the series (one row per bucket), and next to it
`<stem>.related_words.<ext>` and `<stem>.top_users.<ext>`. CSV cells a spreadsheet would run
as a formula are neutralised as the dashboard's downloads are (a leading `'`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tweektrend_dagster.cli.trend_view import (
    originals_of,
    related_word_rows,
    series_rows,
    top_user_rows,
)
from tweektrend_dagster.text.spreadsheet import csv_bytes

FORMATS = ("csv", "parquet")

SERIES_COLUMNS = {"t": "timestamp", "mentions": "int64", "users": "int64"}
ORIGINAL_COLUMNS = {"original_mentions": "int64", "original_users": "int64"}
WORD_COLUMNS = {"rank": "int64", "word": "string", "count": "int64", "score": "float64",
                "kind": "string"}
USER_COLUMNS = {"among": "string", "rank": "int64", "username": "string", "name": "string",
                "author_id": "string", "posts": "int64", "followers": "Int64"}


@dataclass(frozen=True)
class ExportFiles:
    series: Path
    related_words: Path
    top_users: Path

    def all(self) -> list[Path]:
        return [self.series, self.related_words, self.top_users]


def slug(text: str) -> str:
    """A file-name part of a topic name or key: letters and digits of any script, dashes."""
    part = re.sub(r"[^\w]+", "-", text.casefold(), flags=re.UNICODE).strip("-_")
    return part[:60] or "topic"


def export_paths(fmt: str, name: str, period: str, start: str,
                 out: Path | None = None) -> ExportFiles:
    """Where the three files go: `out` names the series file (the others take its stem), else
    `<topic>_<period>_<start>.<fmt>` in the working directory."""
    series = out if out is not None else Path(f"{slug(name)}_{period}_{start}.{fmt}")
    if out is not None and series.suffix.lower() != f".{fmt}":
        series = series.with_name(series.name + f".{fmt}")
    stem = series.name[: -len(series.suffix)]
    return ExportFiles(series, series.with_name(f"{stem}.related_words.{fmt}"),
                       series.with_name(f"{stem}.top_users.{fmt}"))


def export_tables(doc: dict[str, Any]) -> dict[str, tuple[list[dict[str, Any]], dict[str, str]]]:
    """The three tables of a document: rows and column types."""
    series_columns = dict(SERIES_COLUMNS)
    if originals_of(doc) is not None:
        series_columns.update(ORIGINAL_COLUMNS)
    users = [{"among": "all", **row} for row in top_user_rows(doc)]
    if originals_of(doc) is not None:
        users += [{"among": "originals", **row} for row in top_user_rows(doc, originals=True)]
    return {
        "series": (series_rows(doc), series_columns),
        "related_words": (related_word_rows(doc), WORD_COLUMNS),
        "top_users": (users, USER_COLUMNS),
    }


def _frame(rows: Sequence[dict[str, Any]], columns: dict[str, str], fmt: str):
    import pandas as pd

    data = {}
    for column, kind in columns.items():
        values = [row.get(column) for row in rows]
        if kind == "timestamp":
            # Parquet keeps instants as UTC timestamps; CSV keeps the document's ISO text
            data[column] = (pd.to_datetime(pd.Series(values, dtype="string"), utc=True)
                            if fmt == "parquet" else pd.Series(values, dtype="string"))
        else:
            data[column] = pd.Series(values, dtype=kind)
    return pd.DataFrame(data, columns=list(columns))


def _write_csv(frame, path: Path) -> None:
    path.write_bytes(csv_bytes(frame))


def provenance(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """Which topic, rule and computation the files hold (Parquet keeps it as file metadata
    under `tweektrend`; the command prints it)."""
    def iso(value: Any) -> str | None:
        return value.isoformat() if hasattr(value, "isoformat") else value

    return {
        "topic": name, "key": doc["keyword"], "rule": doc.get("rule"),
        "rule_version": doc.get("rule_version"), "period": doc["period"],
        "start": doc["start"], "end": doc["end"], "final": bool(doc.get("final")),
        "as_of": iso(doc.get("as_of")), "updated_at": iso(doc.get("updated_at")),
    }


def _write_parquet(frame, path: Path, meta: dict[str, Any]) -> None:
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(
        {**(table.schema.metadata or {}), b"tweektrend": orjson.dumps(meta)})
    pq.write_table(table, path)


def write_export(doc: dict[str, Any], files: ExportFiles, fmt: str,
                 name: str | None = None) -> dict[Path, int]:
    """Write the document's tables; returns each file with its number of rows."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")
    meta = provenance(doc, name or doc["keyword"])
    written: dict[Path, int] = {}
    tables = export_tables(doc)
    for table, path in zip(("series", "related_words", "top_users"), files.all(), strict=True):
        rows, columns = tables[table]
        frame = _frame(rows, columns, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            _write_csv(frame, path)
        else:
            _write_parquet(frame, path, meta)
        written[path] = len(frame)
    return written
