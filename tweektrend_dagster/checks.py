"""Asset checks of the published trend documents (partitioned like the assets they check).

- `mentions_match_cassandra` (daily_trends): each published day document's `mentions` equals the
  number of `tweets_by_keyword` rows of (keyword, day). In a period still open, new tweets keep
  arriving after the run, so a mismatch there is a warning; in a final period it is an error.
- `no_empty_period` (every trend asset): every day of the period that has tweets in the raw
  archive also has published day documents, and the period itself has documents.
"""


import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg
from cassandra.concurrent import execute_concurrent_with_args

from tweektrend_dagster.analytics.periods import Period, PeriodKind
from tweektrend_dagster.assets.publish import TRENDS
from tweektrend_dagster.partitions import PARTITIONS
from tweektrend_dagster.resources.servers import CassandraResource, MongoResource

GRACE = timedelta(hours=float(os.environ.get("TWEEKTREND_LATE_GRACE_HOURS", "6")))
TREND_ASSET_NAMES: dict[PeriodKind, str] = {
    "day": "daily_trends", "week": "weekly_trends", "month": "monthly_trends",
    "quarter": "quarterly_trends",
}


def _partition_keys(context: dg.AssetCheckExecutionContext, kind: PeriodKind) -> list[str]:
    if context.has_partition_key_range:
        r = context.partition_key_range
        return PARTITIONS[kind].get_partition_keys_in_range(r)
    if context.has_partition_key:
        return [context.partition_key]
    return []


def keyword_day_counts(session, keyword: str, day: date) -> int:  # noqa: ANN001 - driver Session
    stmt = session.prepare(
        "SELECT count(*) FROM tweets_by_keyword WHERE keyword = ? AND day = ? AND hour = ?")
    results = execute_concurrent_with_args(
        session, stmt, [(keyword, day, h) for h in range(24)], concurrency=24)
    total = 0
    for ok, res in results:
        if not ok:
            raise res
        total += res.one()[0]
    return total


def raw_days_with_data(session, days: list[date]) -> list[date]:  # noqa: ANN001
    stmt = session.prepare("SELECT id FROM raw_tweets_by_day WHERE day = ? AND hour = ? LIMIT 1")
    args = [(d, h) for d in days for h in range(24)]
    found: set[date] = set()
    for (d, _), (ok, res) in zip(
        args, execute_concurrent_with_args(session, stmt, args, concurrency=48), strict=True
    ):
        if not ok:
            raise res
        if res.one() is not None:
            found.add(d)
    return sorted(found)


@dg.asset_check(
    asset="daily_trends",
    partitions_def=PARTITIONS["day"],
    description="Published day mentions equal the tweets_by_keyword rows in Cassandra.",
)
def mentions_match_cassandra(
    context: dg.AssetCheckExecutionContext, cassandra: CassandraResource, mongo: MongoResource
) -> dg.AssetCheckResult:
    mismatches: list[str] = []
    checked = 0
    open_period = False
    now = datetime.now(UTC)
    with cassandra.session() as session, mongo.db() as db:
        for key in _partition_keys(context, "day"):
            day = date.fromisoformat(key)
            open_period |= now < Period("day", day).closes_at(GRACE)
            query = {"period": "day", "start": key}
            for doc in db[TRENDS].find(query, {"keyword": 1, "mentions": 1}):
                checked += 1
                actual = keyword_day_counts(session, doc["keyword"], day)
                if actual != doc["mentions"]:
                    mismatches.append(f"{doc['keyword']} {key}: published {doc['mentions']}, "
                                      f"cassandra {actual}")
    return dg.AssetCheckResult(
        passed=not mismatches,
        severity=dg.AssetCheckSeverity.WARN if open_period else dg.AssetCheckSeverity.ERROR,
        metadata={"documents_checked": checked, "mismatches": len(mismatches),
                  "details": dg.MetadataValue.md("\n".join(f"- {m}" for m in mismatches[:50]))},
    )


def _no_empty_period_check(kind: PeriodKind) -> dg.AssetChecksDefinition:
    asset_name = TREND_ASSET_NAMES[kind]

    @dg.asset_check(
        name="no_empty_period",
        asset=asset_name,
        partitions_def=PARTITIONS[kind],
        description="Days with raw tweets have day documents, and the period has documents.",
    )
    def _check(
        context: dg.AssetCheckExecutionContext, cassandra: CassandraResource, mongo: MongoResource
    ) -> dg.AssetCheckResult:
        problems: list[str] = []
        with cassandra.session() as session, mongo.db() as db:
            for key in _partition_keys(context, kind):
                period = Period(kind, date.fromisoformat(key))
                with_data = raw_days_with_data(session, period.days)
                if not with_data:
                    continue
                if db[TRENDS].count_documents({"period": kind, "start": key}) == 0:
                    problems.append(f"{kind} {key}: raw tweets exist but no documents")
                published = {
                    d["start"] for d in db[TRENDS].find(
                        {"period": "day", "start": {"$in": [d.isoformat() for d in with_data]}},
                        {"start": 1})
                }
                problems += [f"day {d} has raw tweets but no documents"
                             for d in with_data if d.isoformat() not in published]
        return dg.AssetCheckResult(
            passed=not problems,
            metadata={"problems": len(problems),
                      "details": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems[:50]))},
        )

    return _check


TREND_CHECKS = [mentions_match_cassandra, *[_no_empty_period_check(k) for k in TREND_ASSET_NAMES]]
