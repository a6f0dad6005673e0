"""The trend statistics as Spark DataFrame code (no Dagster here).

Flow: `source` reads the raw archive of a day from Cassandra (or test rows) and parses the tweet
JSON in the JVM; `tokens` tokenises each distinct text once in Python workers; `daily` turns one
day into mergeable aggregate tables; `store` keeps them as parquet per day; `rollup` merges the
days of any period (day, week, month, quarter) and `documents` builds the Mongo `trends` documents.
"""
