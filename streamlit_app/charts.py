"""Chart builders: a `trends` document in, (plotly figure, the chart's data as a DataFrame) out.
Pure functions, so they are unit-tested without Streamlit; every DataFrame is also the chart's CSV.

Text from tweets and users (words, locations, devices, keywords) is untrusted: Plotly renders
`<a href>`, `<b>`, `<br>` in labels, so the figures get it through `plotly_text` (the DataFrame,
the CSV, keeps the original text), and the CSV download (`data.csv_bytes`) neutralises cells a
spreadsheet would run as a formula.
"""

from __future__ import annotations

import html
import io
from functools import lru_cache
from pathlib import Path

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

# Korean-capable fonts, first found wins (Debian fonts-nanum; Noto CJK as a fallback).
KOREAN_FONTS = (
    "/usr/share/fonts/truetype/nanum/NanumGothic.ttf",
    "/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "height": 320,
    "legend": {"orientation": "h", "y": -0.2},
}


def _fig(fig: go.Figure, title: str) -> go.Figure:
    fig.update_layout(title=plotly_text(title), **_LAYOUT)
    return fig


def plotly_text(value: object) -> str:
    """A label Plotly shows as the text it is. Only & < > are escaped: Plotly decodes those
    entities (and numeric ones) but not `&quot;`, and no tag can form without `<`."""
    return html.escape(str(value), quote=False)


def _for_plotly(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy of `df` whose text columns are escaped for a figure; `df` itself stays raw."""
    shown = df.copy()
    for column in columns:
        shown[column] = shown[column].map(lambda v: plotly_text(v) if isinstance(v, str) else v)
    return shown


# the figures the "Exclude retweets" toggle switches (the rest is counted over all posts)
SWITCHED = ("mentions", "unique_users", "prev_mentions", "prev_unique_users",
            "change_mentions_pct", "change_users_pct", "top_users")


def originals_view(doc: dict) -> dict | None:
    """The document with its figures of original posts (not retweets) in place of the totals:
    numbers, series and top users; None when the document has none (computed before they
    existed). Spike scores are computed over all posts: the original series marks none."""
    originals = doc.get("originals")
    if not isinstance(originals, dict):
        return None
    view = {**doc, **{k: originals.get(k) for k in SWITCHED}}
    view["top_users"] = originals.get("top_users") or []
    view["series"] = [
        {"t": p["t"], "mentions": int(p.get("mentions") or 0), "users": int(p.get("users") or 0),
         "spike": 0.0, "is_spike": False}
        for p in originals.get("series") or []
    ]
    return view


def series_frame(doc: dict) -> pd.DataFrame:
    df = pd.DataFrame(
        doc.get("series") or [], columns=["t", "mentions", "users", "spike", "is_spike"]
    )
    df["t"] = pd.to_datetime(df["t"], utc=True)
    return df


def mentions_chart(doc: dict, title: str = "Mentions") -> tuple[go.Figure, pd.DataFrame]:
    """Mention volume per bucket, spikes marked."""
    df = series_frame(doc)
    fig = go.Figure(go.Scatter(x=df["t"], y=df["mentions"], mode="lines", name="mentions"))
    spikes = df[df["is_spike"].astype(bool)]
    fig.add_trace(
        go.Scatter(
            x=spikes["t"],
            y=spikes["mentions"],
            mode="markers",
            name="spike",
            marker={"size": 12, "color": "crimson", "symbol": "star"},
            hovertemplate="spike score %{customdata:.1f}<extra></extra>",
            customdata=spikes["spike"],
        )
    )
    return _fig(fig, title), df[["t", "mentions", "spike", "is_spike"]]


def users_chart(doc: dict, title: str = "Unique users") -> tuple[go.Figure, pd.DataFrame]:
    df = series_frame(doc)[["t", "users"]]
    fig = px.bar(df, x="t", y="users")
    return _fig(fig, title), df


def related_frame(doc: dict) -> pd.DataFrame:
    df = pd.DataFrame(doc.get("related_words") or [], columns=["word", "count", "score", "kind"])
    df["count"] = pd.to_numeric(df["count"]).fillna(0).astype(int)
    df["score"] = pd.to_numeric(df["score"]).astype(float)
    return df.sort_values("score", ascending=False).reset_index(drop=True)


def related_bar(doc: dict, top: int = 15) -> tuple[go.Figure, pd.DataFrame]:
    df = related_frame(doc).nlargest(top, "count").sort_values("count")
    shown = _for_plotly(df, "word", "kind")
    fig = px.bar(shown, x="count", y="word", orientation="h", color="kind")
    fig.update_yaxes(title=None)
    return _fig(fig, "Related words: co-occurrences"), df


def bubble_chart(doc: dict, top: int = 30) -> tuple[go.Figure, pd.DataFrame]:
    """Related words placed by association score (x) and frequency (y), sized by frequency."""
    df = related_frame(doc).head(top)
    fig = px.scatter(
        _for_plotly(df, "word", "kind"),
        x="score",
        y="count",
        size="count",
        color="kind",
        text="word",
        size_max=45,
        log_y=True,
    )
    fig.update_traces(textposition="middle center", textfont_size=11)
    fig.update_xaxes(title="association (NPMI)")
    return _fig(fig, "Related words: score vs frequency"), df


def counts_chart(rows: list[dict], title: str, top: int = 10) -> tuple[go.Figure, pd.DataFrame]:
    df = pd.DataFrame(rows or [], columns=["name", "count"])
    df["count"] = pd.to_numeric(df["count"]).fillna(0).astype(int)
    df = df.nlargest(top, "count")
    fig = px.bar(_for_plotly(df.sort_values("count"), "name"), x="count", y="name", orientation="h")
    fig.update_yaxes(title=None)
    return _fig(fig, title), df


def sentiment_chart(doc: dict) -> tuple[go.Figure, pd.DataFrame]:
    s = doc.get("sentiment") or {}
    df = pd.DataFrame(
        [{"sentiment": k, "count": int(s.get(k) or 0)} for k in ("positive", "neutral", "negative")]
    )
    total = df["count"].sum()
    df["share_pct"] = (df["count"] / total * 100).round(1) if total else 0.0
    fig = px.pie(
        df,
        names="sentiment",
        values="count",
        hole=0.45,
        color="sentiment",
        color_discrete_map={"positive": "#2ca02c", "neutral": "#9e9e9e", "negative": "#d62728"},
    )
    return _fig(fig, "Sentiment"), df


def compare_chart(docs: dict[str, dict], labels: dict[str, str]) -> tuple[go.Figure, pd.DataFrame]:
    """Mentions of several keywords on one chart plus each one's share of voice."""
    frames = []
    for keyword, doc in docs.items():
        df = series_frame(doc)[["t", "mentions"]]
        df["keyword"] = labels.get(keyword, keyword)
        frames.append(df)
    df = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=["t", "mentions", "keyword"])
    )
    fig = px.line(_for_plotly(df, "keyword"), x="t", y="mentions", color="keyword")
    return _fig(fig, "Mentions by keyword"), df


def share_of_voice(docs: dict[str, dict], labels: dict[str, str]) -> tuple[go.Figure, pd.DataFrame]:
    df = pd.DataFrame(
        [
            {"keyword": labels.get(k, k), "mentions": int(d.get("mentions") or 0)}
            for k, d in docs.items()
        ],
        columns=["keyword", "mentions"],
    )
    total = df["mentions"].sum()
    df["share_pct"] = (df["mentions"] / total * 100).round(1) if total else 0.0
    fig = px.pie(_for_plotly(df, "keyword"), names="keyword", values="mentions")
    return _fig(fig, "Share of voice"), df


def correlation_chart(
    doc: dict, ref: dict | None, ref_label: str
) -> tuple[go.Figure, pd.DataFrame]:
    """The keyword's series and the reference term's, each scaled to its own maximum."""
    df = series_frame(doc)[["t", "mentions"]].rename(columns={"mentions": "keyword"})
    if ref is not None:
        rdf = series_frame(ref)[["t", "mentions"]].rename(columns={"mentions": "reference"})
        df = df.merge(rdf, on="t", how="left")
    fig = go.Figure()
    for col, name in (("keyword", doc.get("keyword", "keyword")), ("reference", ref_label)):
        if col in df and df[col].max() and df[col].max() > 0:
            fig.add_trace(
                go.Scatter(x=df["t"], y=df[col] / df[col].max(), name=plotly_text(name))
            )
    fig.update_yaxes(title="share of own maximum")
    return _fig(fig, "Correlation with the reference term"), df


@lru_cache(maxsize=1)
def korean_font() -> str | None:
    for path in KOREAN_FONTS:
        if Path(path).exists():
            return path
    return None


def wordcloud_png(words: tuple[tuple[str, int], ...], width: int = 800, height: int = 400) -> bytes:
    """A word cloud of (word, weight) as PNG bytes, with a Korean-capable font when installed."""
    from wordcloud import WordCloud

    freqs = {w: max(1, int(c)) for w, c in words if w}
    if not freqs:
        freqs = {"—": 1}
    cloud = WordCloud(
        width=width,
        height=height,
        background_color="white",
        font_path=korean_font(),
        prefer_horizontal=0.95,
        random_state=7,
        colormap="viridis",
    ).generate_from_frequencies(freqs)
    buf = io.BytesIO()
    cloud.to_image().save(buf, format="PNG")
    return buf.getvalue()
