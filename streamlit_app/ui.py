"""Small layout helpers shared by the pages (no data access here)."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from streamlit_app import charts, data

# Markdown and HTML control characters; escaped so user-supplied text renders literally.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: Any) -> str:
    """Text made safe for st.markdown/st.caption: HTML-escaped and every Markdown control
    character backslash-escaped, so `**x**`, `[x](javascript:..)` and `<script>` stay literal."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(str(text), quote=False))


def flash() -> None:
    """Show (once) a message left by a previous run, e.g. after the verification link."""
    item = st.session_state.pop("flash", None)
    if item:
        kind, message = item
        getattr(st, kind)(message)


def download(df: pd.DataFrame, name: str, key: str) -> None:
    st.download_button(
        "⬇ CSV",
        data.csv_bytes(df),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
        help="Download this chart's data",
    )


def chart(
    fig, df: pd.DataFrame, name: str, key: str, empty: str = "No posts in this period."
) -> None:
    """A plotly chart with its data as CSV underneath; a sentence instead of an empty chart
    (whose axis would run from -1 to 1) when there is nothing to draw."""
    if not has_values(df):
        st.info(empty)
        return
    st.plotly_chart(
        fig, width="stretch", key=f"fig-{key}", config={"displaylogo": False, "responsive": True}
    )
    download(df, name, key=f"csv-{key}")


def has_values(df: pd.DataFrame) -> bool:
    """Whether a chart's data holds anything to draw: rows with a number other than zero."""
    numbers = df.select_dtypes("number")
    return not df.empty and (numbers.empty or bool((numbers.fillna(0) != 0).any().any()))


def ago(ts: datetime | None) -> str:
    if ts is None:
        return ""
    return ts.strftime("%Y-%m-%d %H:%M:%S UTC")


def updated_ago(as_of: datetime | None, now: datetime) -> str:
    """How fresh a trend document is, in words: "updated 42 s ago" (empty when unknown)."""
    if as_of is None:
        return ""
    seconds = max(0, int((now - as_of).total_seconds()))
    if seconds < 60:
        return f"updated {seconds} s ago"
    if seconds < 3600:
        return f"updated {seconds // 60} min ago"
    if seconds < 86400:
        return f"updated {seconds // 3600} h ago"
    return f"updated {as_of:%Y-%m-%d %H:%M} UTC"


NETWORK_NAMES = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon"}


def source_rows(sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The settings page's table of sources: plain words, no raw field names."""
    rows = []
    for s in sources:
        lag = s.get("lag_seconds")
        rows.append({
            "source": plain(str(s.get("_id"))),
            "network": NETWORK_NAMES.get(s.get("network") or "", "mixed"),
            "state": "live" if s.get("live") else "stopped",
            "posts": int(s.get("posts") or 0),
            "deletions and reactions": int(s.get("events") or 0),
            "dead letters": int(s.get("dead") or 0),
            "lag": "-" if lag is None else f"{lag:,.1f} s",
            "last report": ago(s.get("updated_at")),
        })
    return rows


def tweet_card(row: dict[str, Any], url: str, key: str, actions: bool = False) -> str | None:
    """One post of the live feed. The tweet text goes through st.text, which renders no
    Markdown and no HTML. Returns the X action the user clicked, if any."""
    with st.container(border=True):
        who = row.get("author_name") or row.get("author_username") or "?"
        network = NETWORK_NAMES.get(row.get("network") or "x", "X")
        st.caption(
            f"{network} · {plain(who)} · @{plain(row.get('author_username') or '?')} · "
            f"{ago(row.get('created_at'))}"
        )
        st.text(row.get("text") or "")
        cols = st.columns([2, 1, 1, 1] if actions else [1])
        cols[0].link_button(f"Open on {network}", url, width="content")
        if actions:
            if cols[1].button("♥ Like", key=f"like-{key}"):
                return "like"
            if cols[2].button("⟳ Repost", key=f"rt-{key}"):
                return "retweet"
            if cols[3].button("↩ Reply", key=f"re-{key}"):
                return "reply"
    return None


def require_user():
    user = st.session_state.get("user")
    if user is None:
        st.warning("Please log in.")
        st.stop()
    return user


@st.cache_data(ttl=600, show_spinner=False, max_entries=200)
def wordcloud_png(words: tuple[tuple[str, int], ...]) -> bytes:
    return charts.wordcloud_png(words)


def period_label(p: dict) -> str:
    label = f"{p['start']} → {p['end']}" if p.get("end") else p["start"]
    return label + ("  (current, in progress)" if p.get("current") else "")


def pct(value: float | None) -> str | None:
    return None if value is None else f"{value:+.1f}%"


def new_password(label: str, key: str, repeat_label: str, repeat_key: str) -> tuple[str, str]:
    """A new password and its repeat, inside a form (sign-up, reset, change in Settings)."""
    new = st.text_input(
        label,
        type="password",
        key=key,
        autocomplete="new-password",
        help=f"At least {data.MIN_PASSWORD_CHARS} characters, mixing letters with digits "
        "or symbols.",
    )
    repeat = st.text_input(repeat_label, type="password", key=repeat_key,
                           autocomplete="new-password")
    return new, repeat
