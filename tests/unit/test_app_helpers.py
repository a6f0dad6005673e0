"""Pure parts of the dashboard: chart builders, CSV export, text escaping, the word cloud, the
period picker's arithmetic."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from streamlit_app import charts, data
from streamlit_app.ui import has_values, plain
from tests.support import sample_data
from tweektrend_dagster.text.spreadsheet import csv_bytes

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
    data = csv_bytes(pd.DataFrame({"word": ["확진자"], "count": [3]}))
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


# --- the period picker's arithmetic (streamlit_app.data, pure functions) ----------------------
TODAY = date(2026, 3, 18)  # a Wednesday
ARCHIVE_RANGE = {
    "first_day": "2020-12-12",
    "last_day": "2021-05-20",
    "kinds": {
        "day": {"first": "2020-12-12", "last": "2021-05-20"},
        "week": {"first": "2020-12-07", "last": "2021-05-17"},
        "quarter": {"first": "2020-10-01", "last": "2021-04-01"},
    },
    "busiest": {"week": [{"start": "2021-01-04", "end": "2021-01-11", "mentions": 900}]},
}


def test_the_picker_spans_the_data_and_today():
    assert data.date_bounds(ARCHIVE_RANGE, TODAY) == (date(2020, 12, 12), TODAY)
    future = {**ARCHIVE_RANGE, "last_day": "2026-03-19"}  # a tweet dated tomorrow (clock skew)
    assert data.date_bounds(future, TODAY)[1] == date(2026, 3, 19)
    assert data.date_bounds(None, TODAY) == (data.X_FIRST_DAY, TODAY)  # nothing out of reach


def test_an_archive_opens_on_its_latest_period_of_each_kind():
    assert data.default_start(ARCHIVE_RANGE, "day", TODAY) == date(2021, 5, 20)
    assert data.default_start(ARCHIVE_RANGE, "week", TODAY) == date(2021, 5, 17)
    assert data.default_start(ARCHIVE_RANGE, "quarter", TODAY) == date(2021, 4, 1)
    # no month document indexed yet: the month holding the last data day
    assert data.default_start(ARCHIVE_RANGE, "month", TODAY) == date(2021, 5, 1)


def test_a_live_keyword_opens_on_the_current_period():
    live = {
        "first_day": "2026-01-02",
        "last_day": "2026-03-17",
        "kinds": {"day": {"first": "2026-01-02", "last": "2026-03-17"}},
    }
    # data yesterday: today's statistics are on their way, the current day stays the default
    assert data.default_start(live, "day", TODAY) == TODAY
    assert data.default_start(live, "week", TODAY) == date(2026, 3, 16)
    assert data.default_start(None, "month", TODAY) == date(2026, 3, 1)
    # a tweet dated in the future does not move the page away from now
    ahead = {"kinds": {"day": {"first": "2026-03-19", "last": "2026-03-19"}}}
    assert data.default_start(ahead, "day", TODAY) == TODAY


def test_busiest_period_and_stepping_through_periods():
    assert data.busiest_period(ARCHIVE_RANGE, "week")["start"] == "2021-01-04"
    assert data.busiest_period(ARCHIVE_RANGE, "day") is None
    assert data.busiest_period(None, "week") is None
    assert data.step_period("week", date(2021, 1, 6), -1) == date(2020, 12, 28)
    assert data.step_period("quarter", date(2020, 11, 15), 1) == date(2021, 1, 1)
    assert data.step_period("month", date(2021, 1, 31), 2) == date(2021, 3, 1)
    assert data.period_of("week", date(2021, 1, 6), TODAY) == {
        "start": "2021-01-04",
        "end": "2021-01-11",
        "current": False,
    }
    assert data.period_of("month", TODAY, TODAY)["current"] is True


def test_a_missing_or_empty_document_has_no_posts():
    assert not data.has_posts(None)
    assert not data.has_posts({"mentions": 0})
    assert data.has_posts(DOC)


def test_nothing_to_draw_is_said_not_charted():
    empty = {"keyword": "x", "series": [], "related_words": []}
    assert not has_values(charts.mentions_chart(empty)[1])
    assert not has_values(charts.sentiment_chart(empty)[1])  # three zero rows
    assert not has_values(charts.counts_chart([], "Locations")[1])
    assert has_values(charts.mentions_chart(DOC)[1])
    assert has_values(charts.related_bar(DOC)[1])


def test_updated_ago_says_how_fresh_a_document_is():
    from datetime import UTC, datetime, timedelta

    from streamlit_app.ui import updated_ago

    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert updated_ago(None, now) == ""
    assert updated_ago(now - timedelta(seconds=42), now) == "updated 42 s ago"
    assert updated_ago(now - timedelta(minutes=7, seconds=5), now) == "updated 7 min ago"
    assert updated_ago(now - timedelta(hours=5), now) == "updated 5 h ago"
    assert updated_ago(now - timedelta(days=3), now) == "updated 2026-12-01 12:00 UTC"
    assert updated_ago(now + timedelta(seconds=3), now) == "updated 0 s ago"  # clock skew
