"""The trend jobs. Sensors, schedules and the run planning refer to these objects (never to
their names as strings)."""

import dagster as dg

from tweektrend_dagster.contracts.periods import PeriodKind
from tweektrend_dagster.defs.trends.assets import (
    daily_keyword_aggregates,
    daily_trends,
    keyword_backfill,
    monthly_trends,
    quarterly_trends,
    weekly_trends,
)

DAILY_SELECTION = dg.AssetSelection.assets(daily_keyword_aggregates, daily_trends)

daily_trends_job = dg.define_asset_job(
    "daily_trends_job",
    selection=DAILY_SELECTION,
    description="A day's aggregates and documents; the ingestion sensor requests its partitions.",
)
keyword_backfill_job = dg.define_asset_job(
    "keyword_backfill_job",
    selection=dg.AssetSelection.assets(keyword_backfill) | DAILY_SELECTION,
    description="Match archived tweets for newly added keywords, then recompute those days.",
)
weekly_trends_job = dg.define_asset_job("weekly_trends_job", selection=[weekly_trends])
monthly_trends_job = dg.define_asset_job("monthly_trends_job", selection=[monthly_trends])
quarterly_trends_job = dg.define_asset_job("quarterly_trends_job", selection=[quarterly_trends])

AssetJob = type(daily_trends_job)  # what define_asset_job returns (resolved by Definitions)

# the job that computes each period kind's documents
PERIOD_JOBS: dict[PeriodKind, AssetJob] = {
    "day": daily_trends_job,
    "week": weekly_trends_job,
    "month": monthly_trends_job,
    "quarter": quarterly_trends_job,
}
ROLLUP_JOBS = {kind: job for kind, job in PERIOD_JOBS.items() if kind != "day"}
TREND_JOBS = [*PERIOD_JOBS.values(), keyword_backfill_job]
