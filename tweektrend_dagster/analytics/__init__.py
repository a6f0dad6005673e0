"""The trend statistics as Spark DataFrame code (no Dagster here).

Flow: `source` reads the raw archive of a day from Cassandra (or test rows) and parses the tweet
JSON in the JVM; `tokens` tokenises each distinct text once in Python workers; `daily` turns any
number of days into mergeable aggregate tables (keyed by day); `store` keeps them as parquet per
day; `rollup` merges the days of one period (day, week, month, quarter), `rollup_many` of many
periods of a kind at once, and `documents` builds the Mongo `trends` documents. `pipeline` is the
entry point: `aggregate_days` and `periods_documents` cost a constant number of Spark jobs.
"""
