"""Pure parts of the dashboard: chart builders, CSV export, text escaping, the word cloud."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from streamlit_app import charts, sample_data
from streamlit_app.ui import plain

DOC = sample_data.make_trend_doc("코로나", "week", date(2026, 3, 2))


def test_mentions_chart_marks_spikes_and_exports_the_series():
    fig, df = charts.mentions_chart(DOC)
    assert len(df) == 7 and list(df.columns) == ["t", "mentions", "spike", "is_spike"]
    spike_trace = fig.data[1]
    assert len(spike_trace.x) == sum(p["is_spike"] for p in DOC["series"]) == 1


@pytest.mark.parametrize(
    "builder",
    [charts.users_chart, charts.related_bar, charts.bubble_chart, charts.sentiment_chart],
)
def test_every_chart_has_its_data_frame(builder):
    fig, df = builder(DOC)
    assert isinstance(df, pd.DataFrame) and not df.empty
    assert fig.layout.title.text


def test_related_ranking_is_by_score_not_count():
    df = charts.related_frame(DOC)
    assert df["score"].is_monotonic_decreasing


def test_share_of_voice_sums_to_100():
    docs = {k: sample_data.make_trend_doc(k, "week", date(2026, 3, 2)) for k in ("a", "b", "c")}
    _, df = charts.share_of_voice(docs, {"a": "A"})
    assert abs(df["share_pct"].sum() - 100) < 0.5
    assert set(df["keyword"]) == {"A", "b", "c"}
    fig, series = charts.compare_chart(docs, {})
    assert len(fig.data) == 3 and set(series["keyword"]) == {"a", "b", "c"}


def test_empty_documents_do_not_crash():
    empty = {"keyword": "x", "series": [], "related_words": []}
    for builder in (charts.mentions_chart, charts.users_chart, charts.bubble_chart):
        _, df = builder(empty)
        assert df.empty
    _, df = charts.counts_chart([], "Locations")
    assert df.empty
    _, df = charts.correlation_chart(DOC, None, "covid")
    assert "reference" not in df


def test_csv_is_utf8_with_bom_so_spreadsheets_show_hangul():
    data = charts.csv_bytes(pd.DataFrame({"word": ["확진자"], "count": [3]}))
    assert data.startswith(b"\xef\xbb\xbf") and "확진자".encode() in data


def test_word_cloud_renders_korean_with_a_korean_font():
    png = charts.wordcloud_png((("확진자", 10), ("백신", 5), ("vaccine", 3)), 200, 100)
    assert png.startswith(b"\x89PNG")
    if charts.korean_font() is None:
        pytest.skip("no Korean font installed (apt-get install -y fonts-nanum)")


@pytest.mark.parametrize(
    "evil",
    ["<script>alert(1)</script>", "**bold**", "[x](javascript:alert(1))", "<img src=x onerror=1>"],
)
def test_plain_escapes_markdown_and_html(evil):
    out = plain(evil)
    assert "<" not in out
    for ch in "*[]()":
        assert ch not in out.replace("\\" + ch, "")


def test_period_arithmetic_of_the_sample_data():
    assert sample_data.period_start("week", date(2026, 3, 5)) == date(2026, 3, 2)
    assert sample_data.period_bounds("quarter", date(2026, 10, 1))[1] == date(2027, 1, 1)
    assert sample_data.previous_start("month", date(2026, 3, 1)) == date(2026, 2, 1)
