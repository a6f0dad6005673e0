"""The run tags the product sets and reads (one vocabulary; dagster.yaml limits runs by LANE)."""

LANE = "tweektrend/lane"  # which queue a run waits in: LIVE or IMPORT (one run each at a time)
LIVE = "live"  # open periods, as the stream changes them
IMPORT = "import"  # archives, late data and keyword backfills, as ranged runs
TRIGGER = "tweektrend/trigger"  # what requested the run: a sensor's name, "close", "refresh"
KIND = "tweektrend/kind"  # what a job does, for filtering in the UI ("alerts")
DAY = "tweektrend/day"  # the day an alert run was requested for
KEYWORDS = "tweektrend/keywords"  # the keywords a backfill run matches
# Dagster's own tags of a ranged (single-run backfill) run
RANGE_START = "dagster/asset_partition_range_start"
RANGE_END = "dagster/asset_partition_range_end"
