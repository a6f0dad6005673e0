"""What the trend assets show in Dagster's UI beside their numbers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def preview_markdown(docs: Sequence[dict[str, Any]], limit: int = 10) -> str:
    """A small table for Dagit: the period's biggest keywords."""
    rows = sorted(docs, key=lambda d: (-d["mentions"], d["keyword"]))[:limit]
    lines = ["| keyword | start | mentions | users | change % | top word |",
             "|---|---|---|---|---|---|"]
    for d in rows:
        word = d["related_words"][0]["word"] if d["related_words"] else ""
        lines.append(
            f"| {md_cell(d['keyword'])} | {d['start']} | {d['mentions']} | {d['unique_users']} | "
            f"{d['change_mentions_pct'] if d['change_mentions_pct'] is not None else ''} | "
            f"{md_cell(word)} |"
        )
    return "\n".join(lines)


def md_cell(text: str) -> str:
    # Keywords and words are user/tweet text: keep them from breaking the Markdown table.
    return text.replace("|", "\\|").replace("\n", " ")
