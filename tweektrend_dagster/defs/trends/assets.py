"""Trend analytics as Dagster assets: daily aggregates in Spark, then one `trends` document per
(keyword, period, start) published to MongoDB for days, weeks, months and quarters.

```
raw_tweets ─► keyword_backfill ─┐
raw_tweets ─► tweet_tokens ─► keyword_hourly_counts, keyword_daily_authors, keyword_daily_words,
                              daily_background_words, keyword_daily_posts, keyword_daily_facets
                                   │ (daily)            │ TimeWindowPartitionMapping
                                   ▼                    ▼
                              daily_trends     weekly_trends, monthly_trends, quarterly_trends
```
Every partitioned asset uses `BackfillPolicy.single_run()`: a backfill of a range is one run with
one SparkSession that loops over its days/periods.
"""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.analytics.store import AggregateStore
from tweektrend_dagster.contracts.periods import Period, PeriodKind
from tweektrend_dagster.defs.ingestion.assets import raw_tweets
from tweektrend_dagster.defs.trends.checks import (
    check_specs,
    mentions_match_cassandra,
    no_empty_period,
)
from tweektrend_dagster.defs.trends.metadata import md_cell, preview_markdown
from tweektrend_dagster.defs.trends.partitions import PARTITIONS, daily_partitions
from tweektrend_dagster.resources import (
    CassandraResource,
    MongoResource,
    RunSettingsResource,
    SparkResource,
)
from tweektrend_dagster.trend_store.publish import ensure_trend_indexes, publish_documents

RAW_TWEETS = raw_tweets.key
GROUP = "trends"
OWNERS = ["team:analytics"]
SINGLE_RUN = dg.BackfillPolicy.single_run()

AGGREGATES = {
    # asset name → aggregate table in the store
    "keyword_hourly_counts": "hourly",
    "keyword_daily_authors": "authors",
    "keyword_daily_words": "words",
    "daily_background_words": "background",
    "keyword_daily_posts": "posts",
    "keyword_daily_facets": "facets",
}
AGGREGATE_DESCRIPTIONS = {
    "keyword_hourly_counts": "Mentions and distinct authors per keyword and hour.",
    "keyword_daily_authors": "Posts per (keyword, author) and day: unique and top users.",
    "keyword_daily_words": "Keyword tweets containing each word (co-occurrence counts).",
    "daily_background_words": "Archived tweets (all, matched or not) containing each word, and N.",
    "keyword_daily_posts": "The day's top post candidates per keyword by observed engagement.",
    "keyword_daily_facets": "Location, device and sentiment counts per keyword.",
}


class TrendsConfig(dg.Config):
    """Run configuration of the trend documents (defaults suit the sensor's runs; the late
    grace and the reference keyword are settings: the `run_settings` resource)."""

    min_word_count: int = 3


class KeywordBackfillConfig(dg.Config):
    """Keywords to backfill; empty means every active keyword of the registry."""

    keywords: list[str] = []


def _days(context: dg.AssetExecutionContext) -> list[date]:
    return [date.fromisoformat(k) for k in context.partition_keys]


def _days_with_tweets(context: dg.AssetExecutionContext, cassandra: CassandraResource
                      ) -> list[date]:
    """The run's days that hold archived tweets: a ranged run over an archive touches only
    these (a day without tweets costs one clustering-range read, then nothing)."""
    from tweektrend_dagster.ingest.progress import days_with_data

    days = _days(context)
    if not days:
        return []
    with cassandra.session() as session:
        present = set(days_with_data(session, days[0], days[-1]))
    return [d for d in days if d in present]


def _store(spark: SparkResource) -> AggregateStore:
    return AggregateStore(spark.spark_session, spark.analytics_path)


# ---------------------------------------------------------------------------- keyword backfill
@dg.asset(
    deps=[RAW_TWEETS],
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
    group_name=GROUP,
    kinds={"spark", "cassandra"},
    owners=OWNERS,
)
def keyword_backfill(
    context: dg.AssetExecutionContext,
    config: KeywordBackfillConfig,
    spark: SparkResource,
    cassandra: CassandraResource,
    mongo: MongoResource,
) -> dg.MaterializeResult:
    """Matches the day's archived tweets (`raw_posts_by_day`, matched or not) against rules
    followed after the tweets arrived (a new topic, or an edited rule: a new key), and writes
    their `posts_by_keyword` rows."""
    from tweektrend_dagster.analytics.backfill import backfill_keywords
    from tweektrend_dagster.analytics.slices import DaySlices
    from tweektrend_dagster.analytics.source import read_raw_days
    from tweektrend_dagster.keywords import KeywordRegistry

    with mongo.db() as db:
        registry = KeywordRegistry(db)
        found = registry.rules_for(config.keywords) if config.keywords \
            else registry.active_rules()
    rules = {key: rule.canonical for key, rule in sorted(found.items())}
    keywords = list(rules)
    days = _days_with_tweets(context, cassandra)
    counts: dict[str, int] = {}
    if days:
        raw = read_raw_days(spark.spark_session, cassandra.keyspace, days)
        for keyword, n in backfill_keywords(raw, rules, cassandra.keyspace).items():
            counts[keyword] = counts.get(keyword, 0) + n
        # the raw rows' keywords changed without the workers' hour marks: every hour of these
        # days is aggregated again by their next run
        DaySlices(_store(spark)).drop(days)
    context.log.info(f"backfilled {sum(counts.values())} rows for {len(keywords)} keywords")
    return dg.MaterializeResult(
        metadata={
            "num_rows": sum(counts.values()),
            "keywords": len(keywords),
            "days_with_tweets": len(days),
            "preview": dg.MetadataValue.md(
                "| keyword | rows |\n|---|---|\n"
                + "\n".join(f"| {md_cell(k)} | {v} |" for k, v in sorted(counts.items()))
            ),
        }
    )


# ---------------------------------------------------------------------------- daily aggregates
@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "tweet_tokens", deps=[RAW_TWEETS, keyword_backfill], partitions_def=daily_partitions,
            group_name=GROUP, kinds={"spark", "parquet"}, owners=OWNERS,
            description="Tokens and sentiment of each distinct text of the day (Kiwi once per "
            "text; the refresh of a day only tokenises texts it has not seen).",
        ),
        *[
            dg.AssetSpec(
                name, deps=[RAW_TWEETS, keyword_backfill, "tweet_tokens"],
                partitions_def=daily_partitions, group_name=GROUP, kinds={"spark", "parquet"},
                owners=OWNERS, description=AGGREGATE_DESCRIPTIONS[name],
            )
            for name in AGGREGATES
        ],
    ],
    partitions_def=daily_partitions,
    backfill_policy=SINGLE_RUN,
    can_subset=False,
)
def daily_keyword_aggregates(
    context: dg.AssetExecutionContext, spark: SparkResource, cassandra: CassandraResource
):
    """Reads the days' raw archive from Cassandra once and writes every daily aggregate table.
    A single day (the current day's refresh, a day's close) reads only the hours that received
    tweets since its last run and merges them with the others' slices (analytics/slices.py)."""
    from tweektrend_dagster.analytics.pipeline import (
        aggregate_days_from_cassandra,
        refresh_day_from_cassandra,
    )
    from tweektrend_dagster.ingest.progress import marked_hours

    store = _store(spark)
    days = _days_with_tweets(context, cassandra)
    if len(days) == 1:
        with cassandra.session() as session:
            marks = marked_hours(session, days[0])
        result = refresh_day_from_cassandra(spark.spark_session, store, cassandra.keyspace,
                                            days[0], marks)
        results = [result] if result is not None else []
    else:
        results = aggregate_days_from_cassandra(spark.spark_session, store, cassandra.keyspace,
                                                days)
    tweets = sum(r.tweets for r in results)
    yield dg.MaterializeResult(
        asset_key="tweet_tokens",
        metadata={
            "tweets": tweets,
            "num_rows_new_texts": sum(r.new_texts for r in results),
            # hours read from the raw archive (24 a day, fewer for a refresh from slices)
            "hours_read": sum(r.hours for r in results),
            "days": len(results),
            "days_without_tweets": len(context.partition_keys) - len(days),
        },
    )
    for name, table in AGGREGATES.items():
        preview = "\n".join(
            f"- {r.day}: {r.rows[table]} rows, {r.tweets} tweets" for r in results[-10:]
        )
        if table == "hourly" and results:
            preview += "\n\n| keyword | mentions |\n|---|---|\n" + "\n".join(
                f"| {p['keyword']} | {p['mentions']} |" for p in results[-1].preview
            )
        yield dg.MaterializeResult(
            asset_key=name,
            metadata={
                "num_rows": sum(r.rows[table] for r in results),
                "tweets": tweets,
                "preview": dg.MetadataValue.md(preview),
            },
        )


AGGREGATE_KEYS = [dg.AssetKey(n) for n in AGGREGATES]


# ---------------------------------------------------------------------------- trend documents
def _stamp_rules(docs: list[dict], rules: dict) -> None:
    """Each document says which rule it was computed with (a key's rule never changes: an
    edited topic moves to a new key)."""
    for doc in docs:
        rule = rules.get(doc["keyword"])
        doc["rule"] = rule.canonical if rule else None
        doc["rule_version"] = rule.version if rule else None


def _publish_periods(
    context: dg.AssetExecutionContext,
    kind: PeriodKind,
    config: TrendsConfig,
    run_settings: RunSettingsResource,
    spark: SparkResource,
    cassandra: CassandraResource,
    mongo: MongoResource,
) -> dg.MaterializeResult:
    """Every period of the run in one pass over the daily aggregates; a period without tweets
    publishes nothing (the dashboard reads a missing document as zero). The checks compare what
    was published with Cassandra in the same run."""
    from tweektrend_dagster.analytics.pipeline import periods_documents
    from tweektrend_dagster.ingest.progress import days_with_data
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.trend_store.ranges import update_keyword_ranges

    now = datetime.now(UTC)
    grace = timedelta(hours=run_settings.late_grace_hours)
    periods = [Period(kind, date.fromisoformat(key)) for key in context.partition_keys]
    store = _store(spark)
    by_period = periods_documents(
        store, periods, reference=run_settings.reference_keyword, now=now, grace=grace,
        min_count=config.min_word_count,
    )
    all_docs = [doc for docs in by_period.values() for doc in docs]
    with mongo.db() as db:
        keys = sorted({d["keyword"] for d in all_docs})
        _stamp_rules(all_docs, KeywordRegistry(db).rules_for(keys))
        ensure_trend_indexes(db)
        written = publish_documents(db, all_docs)
        update_keyword_ranges(db, all_docs)
    with_data = sum(1 for docs in by_period.values() if docs)
    context.log.info(f"{kind}: {written} documents for {with_data} of {len(periods)} periods")

    with cassandra.session() as session:
        raw_days = days_with_data(session, periods[0].start, periods[-1].days[-1]) if periods \
            else []
        run_days = [day for p in periods for day in p.days]
        checks = [no_empty_period(kind, periods, raw_days, store.days_present("totals", run_days),
                                  store.days_present("hourly", run_days), all_docs, grace, now)]
        if kind == "day":
            checks.append(mentions_match_cassandra(session, all_docs, grace, now))
    newest = max((d["as_of"] for d in all_docs if d.get("as_of")), default=None)
    freshness = {"as_of": dg.MetadataValue.timestamp(newest),
                 "as_of_age_s": round((now - newest).total_seconds(), 1)} if newest else {}
    return dg.MaterializeResult(
        metadata={
            **freshness,
            "num_documents": written,
            "num_final": sum(1 for d in all_docs if d["final"]),
            "periods_with_tweets": with_data,
            "periods_without_tweets": len(periods) - with_data,
            "mentions": sum(d["mentions"] for d in all_docs),
            "preview": dg.MetadataValue.md(preview_markdown(all_docs)),
        },
        check_results=checks,
    )


def _trend_asset(kind: PeriodKind, name: str, description: str) -> dg.AssetsDefinition:
    # The trailing/previous days used for spikes and change are read when present; the mapping
    # declares the period's own days, which are the ones the documents cannot do without.
    mapping = dg.TimeWindowPartitionMapping()

    @dg.asset(
        name=name,
        ins={
            key.path[-1]: dg.AssetIn(key=key, partition_mapping=mapping, dagster_type=dg.Nothing)
            for key in AGGREGATE_KEYS
        },
        partitions_def=PARTITIONS[kind],
        backfill_policy=SINGLE_RUN,
        group_name=GROUP,
        kinds={"spark", "mongodb"},
        owners=OWNERS,
        description=description,
        check_specs=check_specs(name, kind),
    )
    def _asset(
        context: dg.AssetExecutionContext,
        config: TrendsConfig,
        run_settings: RunSettingsResource,
        spark: SparkResource,
        cassandra: CassandraResource,
        mongo: MongoResource,
    ) -> dg.MaterializeResult:
        return _publish_periods(context, kind, config, run_settings, spark, cassandra, mongo)

    return _asset


daily_trends = _trend_asset(
    "day", "daily_trends", "One `trends` document per keyword and day (hourly series)."
)
weekly_trends = _trend_asset(
    "week", "weekly_trends", "Weekly (Monday) `trends` documents, rolled up from the days."
)
monthly_trends = _trend_asset(
    "month", "monthly_trends", "Monthly `trends` documents, rolled up from the days."
)
quarterly_trends = _trend_asset(
    "quarter", "quarterly_trends", "3-month (calendar quarter) `trends` documents from the days."
)

TREND_ASSETS = [
    keyword_backfill,
    daily_keyword_aggregates,
    daily_trends,
    weekly_trends,
    monthly_trends,
    quarterly_trends,
]
