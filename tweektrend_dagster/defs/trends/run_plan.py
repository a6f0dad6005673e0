"""Which trend runs a set of changed days needs (pure logic, shared by the sensors).

Two lanes, so that an import never delays today's numbers and today's refreshes never delay an
import (dagster.yaml limits each lane to one run at a time; the lanes run side by side):
- **live**: days still open (today, and yesterday until its late-data grace has passed and the
  close schedule has run): one run per day, as the stream changes them;
- **import**: every other day (a replayed archive, a late batch, a keyword backfill): ranged
  single-run backfills over the changed days, each followed by ranged runs of the weeks, months
  and quarters that hold them. The lane's queue is first in, first out, so the roll-ups read the
  days their range run wrote.
Days without a partition are never requested: days past the last partition wait (reported) until
it exists, days before the first are reported and dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.defs.tags import (
    IMPORT,
    KEYWORDS,
    LANE,
    LIVE,
    RANGE_END,
    RANGE_START,
    TRIGGER,
)
from tweektrend_dagster.defs.trends.jobs import (
    ROLLUP_JOBS,
    AssetJob,
    daily_trends_job,
    keyword_backfill_job,
)

# a day stays live this long after its grace, so the close schedule's run and an import of the
# same day never run side by side in the two lanes
CLOSE_MARGIN = timedelta(hours=1)
# changed days further apart than this go to separate ranged runs (a range's empty days cost
# little, but each is one partition to record in Dagster)
MAX_GAP_DAYS = 31
MAX_RANGES = 4


@dataclass
class DaySplit:
    live: list[date] = field(default_factory=list)  # one run each, live lane
    past: list[date] = field(default_factory=list)  # ranged runs, import lane
    waiting: list[date] = field(default_factory=list)  # after the last partition: kept pending
    outside: list[date] = field(default_factory=list)  # before the first partition: dropped


def is_live(day: date, now: datetime, grace: timedelta) -> bool:
    """Whether a day is still refreshed by its own runs in the live lane."""
    return now < Period("day", day).closes_at(grace) + CLOSE_MARGIN


def split_days(
    days: Iterable[date], now: datetime, bounds: tuple[date, date], grace: timedelta
) -> DaySplit:
    first, last = bounds
    out = DaySplit()
    for day in sorted(set(days)):
        if day < first:
            out.outside.append(day)
        elif day > last:
            out.waiting.append(day)
        elif is_live(day, now, grace):
            out.live.append(day)
        else:
            out.past.append(day)
    return out


def day_ranges(
    days: Iterable[date], max_gap: int = MAX_GAP_DAYS, max_ranges: int = MAX_RANGES
) -> list[tuple[date, date]]:
    """Sorted days → [(first, last)] covering them: days closer than `max_gap` share a range,
    and the closest ranges are merged until at most `max_ranges` remain."""
    ordered = sorted(set(days))
    if not ordered:
        return []
    ranges = [[ordered[0], ordered[0]]]
    for day in ordered[1:]:
        if (day - ranges[-1][1]).days <= max_gap:
            ranges[-1][1] = day
        else:
            ranges.append([day, day])
    while len(ranges) > max_ranges:
        gaps = [(ranges[i + 1][0] - ranges[i][1], i) for i in range(len(ranges) - 1)]
        _, i = min(gaps)
        ranges[i : i + 2] = [[ranges[i][0], ranges[i + 1][1]]]
    return [(a, b) for a, b in ranges]


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).isoformat(timespec="seconds")


def live_day_run(
    day: date,
    now: datetime,
    trigger: str,
    job: AssetJob = daily_trends_job,
    run_config: dict | None = None,
    extra_tags: dict[str, str] | None = None,
) -> dg.RunRequest:
    return dg.RunRequest(
        job_name=job.name,
        partition_key=day.isoformat(),
        run_key=f"{job.name}:{day.isoformat()}@{_stamp(now)}",
        run_config=run_config or {},
        tags={LANE: LIVE, TRIGGER: trigger, **(extra_tags or {})},
    )


def import_runs(
    first: date,
    last: date,
    now: datetime,
    trigger: str,
    job: AssetJob = daily_trends_job,
    run_config: dict | None = None,
    extra_tags: dict[str, str] | None = None,
) -> list[dg.RunRequest]:
    """One ranged run over [first, last] of `job`, then one ranged run per roll-up."""
    tags = {LANE: IMPORT, TRIGGER: trigger, **(extra_tags or {})}
    stamp = _stamp(now)
    runs = [
        dg.RunRequest(
            job_name=job.name,
            run_key=f"{job.name}:{first}:{last}@{stamp}",
            run_config=run_config or {},
            tags={**tags, RANGE_START: first.isoformat(), RANGE_END: last.isoformat()},
        )
    ]
    for kind, rollup in ROLLUP_JOBS.items():
        start = Period.containing(kind, first).start.isoformat()
        end = Period.containing(kind, last).start.isoformat()
        runs.append(
            dg.RunRequest(
                job_name=rollup.name,
                run_key=f"{rollup.name}:{start}:{end}@{stamp}",
                tags={**tags, RANGE_START: start, RANGE_END: end},
            )
        )
    return runs


def plan_day_runs(
    live: Iterable[date], past: Iterable[date], now: datetime, trigger: str
) -> list[dg.RunRequest]:
    """The runs of the ingestion sensor: one live run per open day, ranged imports for the rest."""
    runs = [live_day_run(day, now, trigger) for day in sorted(live)]
    for first, last in day_ranges(past):
        runs += import_runs(first, last, now, trigger)
    return runs


def plan_keyword_backfill(
    keywords: list[str], archived: Iterable[date], now: datetime, bounds: tuple[date, date],
    grace: timedelta,
) -> list[dg.RunRequest]:
    """Runs that match the archive against newly added keywords and recompute what they touch:
    ranged imports for the closed days (with their roll-ups), one live run per open day."""
    split = split_days(archived, now, bounds, grace)
    if not keywords or not (split.live or split.past):
        return []
    tag = ",".join(keywords)[:200]
    config = {"ops": {"keyword_backfill": {"config": {"keywords": keywords}}}}
    job = keyword_backfill_job
    runs = []
    for first, last in day_ranges(split.past):
        runs += import_runs(first, last, now, "new_keyword_sensor", job, config,
                            {KEYWORDS: tag})
    runs += [live_day_run(day, now, "new_keyword_sensor", job, config,
                          {KEYWORDS: tag}) for day in split.live]
    return runs
