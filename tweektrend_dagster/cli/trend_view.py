"""A trend document as the command line shows and exports it (pure code).

The document's shape is `contracts/trend_document.py`. Its `originals` (figures of original posts:
not retweets; replies and quotes are original writing) may be absent from documents computed
before they existed: asking for them then raises `NoOriginals` with what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tweektrend_dagster.cli.table import bar, render

FIGURES = ("mentions", "unique_users", "prev_mentions", "prev_unique_users",
           "change_mentions_pct", "change_users_pct")


class NoOriginals(LookupError):
    """The document has no original-post figures."""


@dataclass(frozen=True)
class Figures:
    mentions: int
    unique_users: int
    prev_mentions: int | None
    prev_unique_users: int | None
    change_mentions_pct: float | None
    change_users_pct: float | None


def originals_of(doc: dict[str, Any]) -> dict[str, Any] | None:
    found = doc.get("originals")
    return found if isinstance(found, dict) else None


def require_originals(doc: dict[str, Any]) -> dict[str, Any]:
    found = originals_of(doc)
    if found is None:
        computed = doc.get("updated_at")
        when = f" (computed {computed:%Y-%m-%d %H:%M} UTC)" if computed else ""
        raise NoOriginals(
            f"this period's trend document{when} has no figures for original posts yet: they "
            "are written when the period is computed again (its next refresh, or a backfill). "
            "Leave out --exclude-retweets to see all posts.")
    return found


def figures(doc: dict[str, Any], originals: bool = False) -> Figures:
    """The period's totals, or its original posts' figures (raises NoOriginals)."""
    source = require_originals(doc) if originals else doc
    return Figures(
        mentions=int(source.get("mentions") or 0),
        unique_users=int(source.get("unique_users") or 0),
        prev_mentions=source.get("prev_mentions"),
        prev_unique_users=source.get("prev_unique_users"),
        change_mentions_pct=source.get("change_mentions_pct"),
        change_users_pct=source.get("change_users_pct"),
    )


def series_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per bucket (an hour of a day, a day of longer periods): t, mentions, users, and
    original_mentions / original_users when the document has originals."""
    orig = originals_of(doc)
    by_t = {p["t"]: p for p in (orig or {}).get("series") or []}
    rows = []
    for point in doc.get("series") or []:
        row = {"t": point["t"], "mentions": int(point.get("mentions") or 0),
               "users": int(point.get("users") or 0)}
        if orig is not None:
            mine = by_t.get(point["t"], {})
            row["original_mentions"] = int(mine.get("mentions") or 0)
            row["original_users"] = int(mine.get("users") or 0)
        rows.append(row)
    return rows


def top_user_rows(doc: dict[str, Any], originals: bool = False) -> list[dict[str, Any]]:
    """The period's most active authors, by posts: rank, username, name, author_id, posts,
    followers."""
    source = require_originals(doc) if originals else doc
    rows = []
    for rank, user in enumerate(source.get("top_users") or [], start=1):
        rows.append({
            "rank": rank, "username": str(user.get("username") or ""),
            "name": str(user.get("name") or ""), "author_id": str(user.get("author_id") or ""),
            "posts": int(user.get("posts") or 0), "followers": _int_or_none(user.get("followers")),
        })
    return rows


def related_word_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Words that come with the topic more than usual: rank, word, count, score, kind."""
    return [
        {"rank": rank, "word": str(w.get("word") or ""), "count": int(w.get("count") or 0),
         "score": float(w.get("score") or 0.0), "kind": str(w.get("kind") or "")}
        for rank, w in enumerate(doc.get("related_words") or [], start=1)
    ]


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def period_label(doc: dict[str, Any]) -> str:
    """"week 2024-03-04 – 2024-03-10" (the last day included), "day 2024-03-04"."""
    start = date.fromisoformat(doc["start"])
    last = date.fromisoformat(doc["end"]) - timedelta(days=1)
    if last <= start:
        return f"{doc['period']} {start.isoformat()}"
    return f"{doc['period']} {start.isoformat()} – {last.isoformat()}"


def _change(pct: float | None) -> str:
    return "-" if pct is None else f"{pct:+.1f}%"


def _bucket(t: str, hourly: bool) -> str:
    # "2024-03-04T05:00:00Z" -> "05:00" for a day's hours, "2024-03-04 Mon" for days
    if hourly:
        return t[11:16]
    return f"{t[:10]} {date.fromisoformat(t[:10]):%a}"


def render_trend(doc: dict[str, Any], name: str, key: str, originals: bool = False,
                 top: int = 10) -> str:
    """The terminal view of one period: heading, figures with the change against the previous
    period, the series per bucket with bars, top users and top related words."""
    figs = figures(doc, originals)
    which = "original posts (retweets excluded)" if originals else "all posts"
    shown = name if name == key else f"{name} (key {key})"
    state = "final" if doc.get("final") else "open: still counting"
    as_of = doc.get("as_of")
    lines = [
        f"{shown} · {period_label(doc)} · {which}",
        f"{state}" + (f" · as of {as_of:%Y-%m-%d %H:%M} UTC" if as_of else "")
        + (f" · rule version {doc['rule_version']}" if doc.get("rule_version") else ""),
        "",
        render(
            ["", "this period", "previous", "change"],
            [["mentions", figs.mentions, figs.prev_mentions, _change(figs.change_mentions_pct)],
             ["unique users", figs.unique_users, figs.prev_unique_users,
              _change(figs.change_users_pct)]],
            right=[False, True, True, True],
        ),
    ]
    hourly = doc["period"] == "day"
    rows = series_rows(doc)
    m_key, u_key = ("original_mentions", "original_users") if originals else ("mentions", "users")
    largest = max((r[m_key] for r in rows), default=0)
    lines += ["", f"Per {'hour (UTC)' if hourly else 'day'}",
              render(["bucket", "mentions", "users", ""],
                     [[_bucket(r["t"], hourly), r[m_key], r[u_key], bar(r[m_key], largest)]
                      for r in rows], right=[False, True, True, False])]
    users = top_user_rows(doc, originals)[:top]
    lines += ["", "Top users" + (" (original posts)" if originals else "")]
    lines.append(render(
        ["#", "user", "name", "posts", "followers"],
        [[u["rank"], "@" + u["username"] if u["username"] else u["author_id"], u["name"],
          u["posts"], u["followers"]] for u in users],
        right=[True, False, False, True, True]) if users else "(none)")
    words = related_word_rows(doc)[:top]
    lines += ["", "Top related words" + (" (counted over all posts)" if originals else "")]
    lines.append(render(
        ["#", "word", "count", "score"],
        [[w["rank"], w["word"], w["count"], round(w["score"], 3)] for w in words],
        right=[True, False, True, True]) if words else "(none)")
    return "\n".join(lines)
