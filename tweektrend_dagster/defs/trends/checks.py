"""Checks of the published trend documents, evaluated by the trend assets in the same run.

They compare what a run just published (held in memory: no scan of the `trends` collection,
which FerretDB cannot answer from an index) with an independent source, Cassandra:
- `mentions_match_cassandra` (daily_trends): each published day document's `mentions` equals
  the number of `posts_by_keyword` rows of (keyword, day): one count per hour partition (a
  count over a busy keyword's whole day outlasted Cassandra's read timeout on a loaded stack).
  In a period still open, new tweets keep arriving after the run, so a mismatch there is a
  warning; in a final period it is an error. A count Cassandra cannot answer leaves its
  document unchecked (a warning that says so), never the published documents unpublished.
- `no_empty_period` (every trend asset): every day of the run that holds raw tweets (read from
  `ingested_days`, one clustering-range query for the whole run) has its daily aggregates, and
  every period whose days hold keyword mentions (the hourly aggregate; one glob) has documents.
  A period whose tweets match no keyword rightly has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import dagster as dg
from cassandra import DriverException
from cassandra.concurrent import execute_concurrent_with_args

from tweektrend_dagster.contracts.periods import Period, PeriodKind

MENTIONS_CHECK = "mentions_match_cassandra"
EMPTY_CHECK = "no_empty_period"
HOURS = list(range(24))


def check_specs(asset: str, kind: PeriodKind) -> list[dg.AssetCheckSpec]:
    specs = [dg.AssetCheckSpec(
        EMPTY_CHECK, asset=asset,
        description="Every period whose days hold raw tweets has published documents.")]
    if kind == "day":
        specs.append(dg.AssetCheckSpec(
            MENTIONS_CHECK, asset=asset,
            description="Published day mentions equal the posts_by_keyword rows in Cassandra."))
    return specs


def keyword_day_counts(session, pairs: Sequence[tuple[str, date]]  # noqa: ANN001
                       ) -> list[int | None]:
    """posts_by_keyword rows of each (keyword, day): one count per hour partition, 48 in
    flight, a timed-out one asked again once; None where Cassandra still did not answer."""
    stmt = session.prepare(
        "SELECT count(*) FROM posts_by_keyword WHERE keyword = ? AND day = ? AND hour = ?")
    args = [(k, d, h) for k, d in pairs for h in HOURS]
    results = execute_concurrent_with_args(
        session, stmt, args, concurrency=48, raise_on_first_error=False)
    hours: list[int | None] = []
    for (ok, res), arg in zip(results, args, strict=True):
        if not ok:
            try:
                res = session.execute(stmt, arg, timeout=60)
            except DriverException:
                hours.append(None)
                continue
        hours.append(res.one()[0])
    counts = []
    for i in range(len(pairs)):
        day = hours[i * len(HOURS):(i + 1) * len(HOURS)]
        counts.append(None if None in day else sum(day))
    return counts


def mentions_match_cassandra(
    session, docs: Sequence[dict[str, Any]], grace, now: datetime | None = None  # noqa: ANN001
) -> dg.AssetCheckResult:
    now = now or datetime.now(UTC)
    pairs = [(d["keyword"], date.fromisoformat(d["start"])) for d in docs]
    counts = keyword_day_counts(session, pairs)
    mismatches = [
        f"{d['keyword']} {d['start']}: published {d['mentions']}, cassandra {n}"
        for d, n in zip(docs, counts, strict=True) if n is not None and n != d["mentions"]
    ]
    unchecked = [f"{d['keyword']} {d['start']}: Cassandra timed out counting its rows"
                 for d, n in zip(docs, counts, strict=True) if n is None]
    open_period = any(now < Period("day", day).closes_at(grace) for _, day in pairs)
    return dg.AssetCheckResult(
        check_name=MENTIONS_CHECK,
        passed=not mismatches and not unchecked,
        severity=dg.AssetCheckSeverity.WARN if open_period or not mismatches
        else dg.AssetCheckSeverity.ERROR,
        metadata={"documents_checked": len(docs) - len(unchecked),
                  "mismatches": len(mismatches), "unchecked": len(unchecked),
                  "details": dg.MetadataValue.md("\n".join(
                      f"- {m}" for m in (mismatches + unchecked)[:50]))},
    )


def no_empty_period(
    kind: PeriodKind, periods: Sequence[Period], days_with_tweets: Sequence[date],
    aggregated_days: Sequence[date], days_with_mentions: Sequence[date],
    docs: Sequence[dict[str, Any]], grace, now: datetime | None = None,  # noqa: ANN001
) -> dg.AssetCheckResult:
    now = now or datetime.now(UTC)
    published = {d["start"] for d in docs}
    in_run = {day for p in periods for day in p.days}
    aggregated = set(aggregated_days)
    # an open day may have received its first tweets after its last run: only closed days count
    problems = [f"day {day}: raw tweets but no daily aggregates"
                for day in sorted(set(days_with_tweets) & in_run)
                if day not in aggregated and Period("day", day).closes_at(grace) <= now]
    with_mentions = {Period.containing(kind, day).start.isoformat() for day in days_with_mentions}
    problems += [
        f"{kind} {p.start}: keyword mentions aggregated but no documents"
        for p in periods if p.start.isoformat() in with_mentions and p.start.isoformat()
        not in published
    ]
    return dg.AssetCheckResult(
        check_name=EMPTY_CHECK,
        passed=not problems,
        metadata={"periods_checked": len(periods), "periods_with_mentions": len(with_mentions),
                  "problems": len(problems),
                  "details": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:50]))},
    )
