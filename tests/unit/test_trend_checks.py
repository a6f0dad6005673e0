"""The mentions check reads Cassandra; a count it cannot get leaves a document unchecked (a
warning that says so) and never fails the run that published it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from tweektrend_dagster.defs.trends import checks


def _docs():
    return [{"keyword": "bts", "start": "2026-03-05", "mentions": 10},
            {"keyword": "q:0123456789abcdef", "start": "2026-03-05", "mentions": 7}]


def test_a_timed_out_count_leaves_the_document_unchecked(monkeypatch):
    monkeypatch.setattr(checks, "keyword_day_counts", lambda session, pairs: [10, None])
    later = datetime(2026, 3, 9, tzinfo=UTC)
    result = checks.mentions_match_cassandra(None, _docs(), timedelta(hours=6), later)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["unchecked"].value == 1 and result.metadata["mismatches"].value == 0
    assert "timed out" in result.metadata["details"].value


def test_a_mismatch_in_a_closed_day_is_an_error(monkeypatch):
    monkeypatch.setattr(checks, "keyword_day_counts", lambda session, pairs: [10, 6])
    later = datetime(2026, 3, 9, tzinfo=UTC)
    result = checks.mentions_match_cassandra(None, _docs(), timedelta(hours=6), later)
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.ERROR
    assert "published 7, cassandra 6" in result.metadata["details"].value


def test_equal_counts_pass(monkeypatch):
    monkeypatch.setattr(checks, "keyword_day_counts", lambda session, pairs: [10, 7])
    result = checks.mentions_match_cassandra(None, _docs(), timedelta(hours=6))
    assert result.passed is True
