"""Text from tweets and users reaches figures as text and CSV downloads as inert cells."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pandas as pd

from streamlit_app import charts
from tests.support import sample_data
from tweektrend_dagster.text.spreadsheet import csv_bytes

LINK = '<a href="https://evil">x</a>'
FORMULA = '=HYPERLINK("http://evil","x")'
DOC = sample_data.make_trend_doc("코로나", "week", date(2026, 3, 2))


def _figure_json(fig) -> str:
    """The figure's data and layout without Plotly's own templates (which hold `<br>`)."""

    def strip(node):
        if isinstance(node, dict):
            return {k: strip(v) for k, v in node.items() if k not in ("hovertemplate", "template")}
        if isinstance(node, list | tuple):
            return [strip(v) for v in node]
        return node

    return json.dumps(strip(fig.to_plotly_json()), default=str)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_a_location_with_a_link_is_escaped_in_the_figure_and_kept_in_the_data():
    fig, df = charts.counts_chart([{"name": LINK, "count": 5}, {"name": "Seoul", "count": 3}],
                                  "Locations")
    names = list(fig.data[0].y)
    assert "&lt;a href=\"https://evil\"&gt;x&lt;/a&gt;" in names and "Seoul" in names
    assert "<a" not in _figure_json(fig)
    assert LINK in df["name"].tolist(), "the CSV keeps what the tweet said"


def test_words_kinds_keywords_and_devices_never_reach_a_figure_as_markup():
    evil_doc = {
        **DOC,
        "keyword": "<b>kw</b>",
        "related_words": [
            {"word": LINK, "count": 9, "score": 0.9, "kind": "<br>word"},
            {"word": "백신", "count": 4, "score": 0.5, "kind": "word"},
        ],
    }
    figures = [
        charts.related_bar(evil_doc)[0],
        charts.bubble_chart(evil_doc)[0],
        charts.counts_chart([{"name": "<i>iPhone</i>", "count": 2}], "Devices")[0],
        charts.compare_chart({"a": DOC}, {"a": "<b>A</b>"})[0],
        charts.share_of_voice({"a": DOC}, {"a": "<b>A</b>"})[0],
        charts.correlation_chart(evil_doc, DOC, "<a href='x'>ref</a>")[0],
    ]
    for fig in figures:
        text = _figure_json(fig)
        for tag in ("<a", "<b>", "<br>", "<i>"):
            assert tag not in text, (tag, fig.layout.title.text)
    assert "&lt;b&gt;A&lt;/b&gt;" in _figure_json(figures[3])
    assert "&lt;a href='x'&gt;ref&lt;/a&gt;" in {t.name for t in figures[5].data}


def test_plotly_text_escapes_only_what_plotly_decodes():
    assert charts.plotly_text('a & "b" <c>') == 'a &amp; "b" &lt;c&gt;'


def test_a_formula_word_arrives_neutralised_in_the_csv_and_numbers_stay_numbers():
    df = pd.DataFrame(
        {
            "word": [FORMULA, "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain", "확진자"],
            "count": [1, -5, 2, 3, 4, 5, 6, 7],
            "score": [-0.25, 0.5, 1.0, 0.0, 0.1, 0.2, 0.3, 0.4],
        }
    )
    rows = _rows(csv_bytes(df))
    words = [r["word"] for r in rows]
    assert words[0] == "'" + FORMULA
    assert words[1:6] == ["'+cmd", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx"]
    assert words[6:] == ["plain", "확진자"]
    assert rows[1]["count"] == "-5" and rows[0]["score"] == "-0.25", "numbers are not quoted"
    assert df["word"][0] == FORMULA, "the chart's DataFrame is not changed"


def test_a_csv_of_a_real_chart_neutralises_a_tweet_word():
    doc = {**DOC, "related_words": [{"word": FORMULA, "count": 3, "score": -0.4, "kind": "word"}]}
    _, df = charts.related_bar(doc)
    [row] = _rows(csv_bytes(df))
    assert row["word"] == "'" + FORMULA
    assert float(row["score"]) == -0.4 and int(row["count"]) == 3
