"""The `tweektrend` command's pure subcommands, and what the research commands do without a
server (tables, exports, refused rules, an unreachable Mongo)."""

import io
from datetime import UTC, datetime

import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tweektrend_dagster.cli import app, research
from tweektrend_dagster.cli.export import export_paths, write_export
from tweektrend_dagster.cli.table import render, width
from tweektrend_dagster.cli.trend_view import NoOriginals, figures, render_trend
from tweektrend_dagster.contracts.trend_document import TREND_FIELDS
from tweektrend_dagster.keywords import parse_rule

runner = CliRunner()


def test_inspect_prints_one_json_summary():
    result = runner.invoke(app, ["inspect", "tests/fixtures/tweets/mixed.jsonl"])
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert set(summary) == {"read", "valid", "invalid", "formats", "errors", "with_notes", "notes"}
    assert summary["read"] == summary["valid"] + summary["invalid"]
    assert summary["invalid"] == len(summary["errors"]) > 0
    assert {"v1.1", "v2", "activity"} <= set(summary["formats"])


def test_inspect_of_a_missing_file_is_a_clear_error():
    result = runner.invoke(app, ["inspect", "no/such/file.jsonl"])
    assert result.exit_code == 1
    assert "no such file: no/such/file.jsonl" in result.stderr


def test_unknown_source_lists_the_known_ones():
    result = runner.invoke(app, ["produce", "--source", "carrier-pigeon"])
    assert result.exit_code == 1
    assert "simulator" in result.stderr and "replay" in result.stderr


# -- the researcher's commands: what needs no server --------------------------------------------


def _week_doc(originals: bool = True) -> dict:
    """A week's trend document in the contract's shape, with originals when asked."""
    days = [f"2024-03-{d:02d}T00:00:00Z" for d in range(4, 11)]
    mentions = [5, 0, 12, 7, 3, 0, 9]
    doc = {
        "_id": "코로나|week|2024-03-04", "keyword": "코로나", "period": "week",
        "start": "2024-03-04", "end": "2024-03-11", "final": True,
        "updated_at": datetime(2024, 3, 12, 3, tzinfo=UTC),
        "as_of": datetime(2024, 3, 12, 2, tzinfo=UTC),
        "mentions": sum(mentions), "unique_users": 21, "unique_users_method": "exact",
        "prev_mentions": 30, "prev_unique_users": 20,
        "change_mentions_pct": 20.0, "change_users_pct": 5.0,
        "series": [{"t": t, "mentions": m, "users": max(0, m - 2), "spike": 0.0,
                    "is_spike": False} for t, m in zip(days, mentions, strict=True)],
        "top_posts": [],
        "top_users": [{"author_id": "1", "username": "=cmd|' /C calc'!A0", "name": "Mallory",
                       "posts": 9, "followers": 10},
                      {"author_id": "2", "username": "민지", "name": "김민지", "posts": 4,
                       "followers": None}],
        "related_words": [{"word": "백신", "count": 11, "score": 0.61, "kind": "noun"},
                          {"word": "+1", "count": 3, "score": 0.2, "kind": "other"}],
        "locations": [], "devices": [], "sentiment": {"positive": 0, "negative": 0, "neutral": 0},
        "correlation": {"reference": "날씨", "r": None, "lag": 0, "n": 7},
        "originals": None, "rule": "covid", "rule_version": "0123456789ab",
    }
    assert set(TREND_FIELDS) == set(doc)  # the sample follows the contract
    if originals:
        doc["originals"] = {
            "mentions": 20, "unique_users": 11, "prev_mentions": 25, "prev_unique_users": 10,
            "change_mentions_pct": -20.0, "change_users_pct": 10.0,
            "series": [{"t": t, "mentions": m // 2, "users": m // 3}
                       for t, m in zip(days, mentions, strict=True)],
            "top_users": [{"author_id": "2", "username": "민지", "name": "김민지", "posts": 4,
                           "followers": None}],
        }
    return doc


def test_a_table_lines_up_hangul_by_terminal_columns():
    text = render(["word", "count"], [["코로나", 12], ["covid", 3]], right=[False, True])
    lines = text.splitlines()
    assert len({width(line) for line in lines}) == 1  # every line equally wide on screen
    assert lines[2].startswith("코로나") and lines[2].endswith("12")
    assert width("코로나") == 6


def test_trend_view_switches_to_original_posts_and_says_when_they_are_missing():
    doc = _week_doc()
    assert figures(doc).mentions == 36
    assert figures(doc, originals=True).mentions == 20
    shown = render_trend(doc, "covid ko", "코로나", originals=True)
    assert "original posts (retweets excluded)" in shown and "-20.0%" in shown
    assert "@민지" in shown and "Mallory" not in shown  # the originals' top users only
    plain = render_trend(doc, "covid ko", "코로나")
    assert "+20.0%" in plain and "Mallory" in plain and "백신" in plain
    assert "2024-03-06 Wed" in plain  # one line per day of the week
    with pytest.raises(NoOriginals, match="Leave out --exclude-retweets"):
        render_trend(_week_doc(originals=False), "covid ko", "코로나", originals=True)
    # a period with a day aggregated before originals were counted: unknown, not zero
    with pytest.raises(NoOriginals):
        figures({**_week_doc(), "originals": None}, originals=True)


def test_export_csv_neutralises_formulas_and_parquet_keeps_the_series(tmp_path):
    doc = _week_doc()
    csv_files = export_paths("csv", "covid ko", "week", "2024-03-04", tmp_path / "out.csv")
    written = write_export(doc, csv_files, "csv")
    assert [p.name for p in written] == [
        "out.csv", "out.related_words.csv", "out.top_users.csv"]
    users = pd.read_csv(io.BytesIO(csv_files.top_users.read_bytes()), encoding="utf-8-sig")
    assert users.loc[0, "username"] == "'=cmd|' /C calc'!A0"  # shown as text, not run
    assert list(users["among"]) == ["all", "all", "originals"]
    words = pd.read_csv(csv_files.related_words, encoding="utf-8-sig")
    assert list(words["word"]) == ["백신", "'+1"]
    series = pd.read_csv(csv_files.series, encoding="utf-8-sig")
    assert list(series.columns) == ["t", "mentions", "users", "original_mentions",
                                    "original_users"]
    assert series["mentions"].tolist() == [p["mentions"] for p in doc["series"]]
    assert series["original_mentions"].tolist() == [
        p["mentions"] for p in doc["originals"]["series"]]

    pq_files = export_paths("parquet", "covid ko", "week", "2024-03-04", tmp_path / "out")
    write_export(_week_doc(originals=False), pq_files, "parquet")
    assert pq_files.series.name == "out.parquet"
    table = pq.read_table(pq_files.series)
    assert table.column_names == ["t", "mentions", "users"]  # no originals: totals only
    t_type = table.schema.field("t").type
    assert pa.types.is_timestamp(t_type) and t_type.tz == "UTC"
    frame = table.to_pandas()
    assert frame["t"].iloc[2] == pd.Timestamp("2024-03-06", tz="UTC")
    assert frame["users"].tolist() == [p["users"] for p in doc["series"]]
    assert pq.read_table(pq_files.top_users).to_pandas()["username"].iloc[0].startswith("=")
    write_export({**doc, "originals": None}, pq_files, "parquet")
    assert pq.read_table(pq_files.series).column_names == ["t", "mentions", "users"]


def test_export_names_its_files_after_the_topic_and_period():
    files = export_paths("parquet", "코로나 / covid", "month", "2024-03-01")
    assert str(files.series) == "코로나-covid_month_2024-03-01.parquet"
    assert str(files.top_users) == "코로나-covid_month_2024-03-01.top_users.parquet"


def test_an_invalid_rule_points_at_the_mistake_and_never_reaches_the_database(monkeypatch):
    def no_database(command):
        raise AssertionError("a bad rule must not reach the database")

    monkeypatch.setattr(research, "open_database", no_database)
    result = runner.invoke(app, ["topics", "add", "covid", "코로나 OR (covid"])
    assert result.exit_code == 1
    assert "never closed" in result.stderr and "Nothing was saved." in result.stderr
    assert "코로나 OR (covid\n          ^" in result.stderr  # the caret under the '('
    result = runner.invoke(app, ["topics", "add", "noise", "-게임", "-is:retweet"])
    assert result.exit_code == 1 and "almost every post" in result.stderr
    result = runner.invoke(app, ["topics", "edit", "covid", "lang:ko"])
    assert result.exit_code == 1 and "would match almost every post" in result.stderr


def test_a_bad_start_day_is_a_usage_error():
    result = runner.invoke(app, ["trends", "show", "covid", "--start", "2024-13-01"])
    assert result.exit_code == 2
    assert "YYYY-MM-DD" in result.output


def test_an_unreachable_mongo_names_the_server_and_how_to_start_it():
    result = runner.invoke(app, ["topics", "list"], env={"TWEEKTREND_MONGO_PORT": "9"})
    assert result.exit_code == 1
    assert ":9/" in result.stderr and "tweektrend stack up" in result.stderr


def test_a_table_shows_control_characters_as_text_not_terminal_commands():
    text = render(["user"], [["evil\x1b[2J\x07name"]])
    assert "\x1b" not in text and "\x07" not in text
    assert "evil?[2J?name" in text


def test_what_x_receives_follows_the_plans_rule_length(monkeypatch):
    rule = parse_rule(" OR ".join(f"word{i}" for i in range(60)))  # 586 characters
    monkeypatch.setenv("TWEEKTREND_X_MAX_RULE_LENGTH", "512")
    assert "as 2 rules:" in "\n".join(research._rule_lines(rule))
    monkeypatch.setenv("TWEEKTREND_X_MAX_RULE_LENGTH", "2048")
    assert f"X receives: {rule.canonical}" in "\n".join(research._rule_lines(rule))
