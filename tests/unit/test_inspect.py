"""inspect_file: counts, formats and reasons for JSON and JSONL files of payloads."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tweektrend_dagster.tweets.inspect import inspect_file, iter_payloads

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tweets"


@pytest.mark.parametrize(
    ("name", "fmt"), [("v1_1.jsonl", "v1.1"), ("v2.jsonl", "v2"), ("activity.jsonl", "activity")]
)
def test_valid_fixture_files(name: str, fmt: str) -> None:
    assert inspect_file(FIXTURES / name) == {
        "read": 5,
        "valid": 5,
        "invalid": 0,
        "formats": {fmt: 5},
        "errors": [],
        "with_notes": 0,
        "notes": [],
    }


def test_bad_file_reports_every_line_with_its_number() -> None:
    report = inspect_file(str(FIXTURES / "bad.jsonl"))
    assert (report["read"], report["valid"], report["invalid"]) == (15, 0, 15)
    assert report["formats"] == {}
    errors = report["errors"]
    assert errors[0].startswith("line 1: not JSON: unexpected end of data")
    assert errors[1].startswith("line 2: invalid UTF-8 at byte")
    assert errors[2] == "line 3: missing user"
    assert errors[3] == "line 4: empty text"
    assert errors[4].startswith("line 5: huge text")
    # line 6 is blank: skipped, not counted
    assert errors[5] == "line 7: not a tweet: delete notice"
    assert errors[6] == "line 8: not a JSON object (got array)"
    assert errors[7] == "line 9: not a JSON object (got number)"
    assert errors[-1] == "line 16: missing text"


def test_mixed_file() -> None:
    report = inspect_file(FIXTURES / "mixed.jsonl")
    assert (report["read"], report["valid"], report["invalid"]) == (8, 6, 2)
    assert report["formats"] == {"v1.1": 2, "v2": 2, "activity": 1, "tweektrend": 1}
    assert report["errors"] == [
        "line 6: not JSON: unexpected end of data at char 70",
        "line 8: not a tweet: delete notice",
    ]


def _lines(name: str) -> list[bytes]:
    return [ln for ln in (FIXTURES / name).read_bytes().splitlines() if ln.strip()]


def test_json_array_file(tmp_path: Path) -> None:
    items = [orjson.loads(ln) for ln in _lines("v2.jsonl")] + [42, {"limit": {"track": 1}}]
    path = tmp_path / "tweets.json"
    path.write_bytes(orjson.dumps(items, option=orjson.OPT_INDENT_2))
    report = inspect_file(path)
    assert (report["read"], report["valid"], report["invalid"]) == (7, 5, 2)
    assert report["formats"] == {"v2": 5}
    assert report["errors"] == [
        "item 6: not a JSON object (got number)",
        "item 7: not a tweet: limit notice",
    ]


def test_single_object_json_file(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_bytes(orjson.dumps(orjson.loads(_lines("activity.jsonl")[1]), option=2))
    assert inspect_file(path)["formats"] == {"activity": 1}


def test_broken_pretty_json_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    pretty = orjson.dumps(orjson.loads(_lines("v1_1.jsonl")[0]), option=orjson.OPT_INDENT_2)
    path.write_bytes(pretty[: len(pretty) // 2])
    report = inspect_file(path)
    assert (report["read"], report["invalid"]) == (1, 1)
    assert report["errors"][0].startswith("line 1: not JSON")


def test_jsonl_content_under_a_json_name_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(_lines("v1_1.jsonl")) + b"\r\n\r\n")
    report = inspect_file(path)
    assert (report["read"], report["valid"]) == (5, 5)


def test_errors_are_capped_at_twenty(tmp_path: Path) -> None:
    path = tmp_path / "junk.jsonl"
    path.write_text("\n".join(["not json"] * 30 + [_lines("v2.jsonl")[0].decode()]))
    report = inspect_file(path)
    assert (report["read"], report["valid"], report["invalid"]) == (31, 1, 30)
    assert len(report["errors"]) == 20
    assert report["errors"][19].startswith("line 20: ")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n\n")
    assert inspect_file(path) == {
        "read": 0,
        "valid": 0,
        "invalid": 0,
        "formats": {},
        "errors": [],
        "with_notes": 0,
        "notes": [],
    }


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        inspect_file(missing)


def test_iter_payloads_labels() -> None:
    labels = [label for label, _ in iter_payloads(FIXTURES / "mixed.jsonl")]
    assert labels == [
        "line 1",
        "line 2",
        "line 4",
        "line 5",
        "line 6",
        "line 7",
        "line 8",
        "line 9",
    ]


def test_cli_inspect_with_columns_and_a_bad_mapping() -> None:
    from typer.testing import CliRunner

    from tweektrend_dagster.cli import app

    runner = CliRunner()
    path = str(FIXTURES / "custom_columns.csv")
    result = runner.invoke(
        app, ["inspect", path, "--columns", "id=post_no,created_at=posted,username=who,"
              "text=body_text"]
    )
    assert result.exit_code == 0, result.output
    summary = orjson.loads(result.stdout)
    assert (summary["read"], summary["valid"], summary["formats"]) == (2, 2, {"csv": 2})
    result = runner.invoke(app, ["inspect", path, "--columns", "nope=post_no"])
    assert result.exit_code == 1
    assert "unknown column field 'nope'" in result.output


def test_notes_are_counted_and_listed(tmp_path: Path) -> None:
    line = orjson.loads(_lines("v1_1.jsonl")[0])
    line["retweet_count"] = 5_000_000_000
    line["lang"] = ["ko"]
    path = tmp_path / "noted.jsonl"
    path.write_bytes(b"\n".join([orjson.dumps(line)] + _lines("v1_1.jsonl")[1:]))
    report = inspect_file(path)
    assert (report["valid"], report["with_notes"]) == (5, 1)
    assert report["notes"] == [
        "line 1: lang dropped: list instead of text",
        "line 1: retweets clamped from 5000000000",
    ]
