"""The `tweektrend` command's pure subcommands."""

import orjson
from typer.testing import CliRunner

from tweektrend_dagster.cli import app

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
