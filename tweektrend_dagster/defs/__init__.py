"""The Dagster layer, one folder per domain (as dagster-open-platform arranges it):

- `ingestion/`: the tables the workers fill, as external assets (the root of the lineage);
- `trends/`: partitions, the Spark assets, the trend documents, their checks, jobs, schedules,
  the run planning (live and import lanes), the ingestion sensor (stream progress → runs) and
  the new-keyword sensor;
- `live/`: the live counts from the stream (an external asset) and the sensor that reports
  their freshness;
- `alerts/`: the spike alert mails (an op job) and the sensor that requests them.

Each domain's `build(settings)` returns its `dg.Definitions`; `tweektrend_dagster/definitions.py`
only merges them and adds the resources. Run tags come from `tags.py` alone.
"""
