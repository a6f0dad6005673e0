"""The Cassandra tables, each column listed once: the DDL (`ingest/schema.py`), the workers'
insert statements (`ingest/rows.py`), the Spark writes of the keyword backfill
(`analytics/source.py`) and the live feed's query (`streamlit_app/data.py`) are all derived
from these lists, so a new column is one edit here (plus its value in `ingest/rows.py`).

`posts_by_keyword` is the post record as the product queries it: one row per (keyword, post),
the fields of `tweets.model.Tweet` flattened (the author's fields prefixed `author_`). A post's
identity is (network, id) everywhere: the id is text as its network spells it (`Tweet.id`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tweektrend_dagster.contracts import names

# CQL type → the Spark SQL type the Cassandra connector reads and writes it as
SPARK_TYPES = {
    "text": "string", "date": "date", "tinyint": "tinyint", "int": "int", "bigint": "bigint",
    "timestamp": "timestamp", "list<text>": "array<string>", "set<text>": "array<string>",
}


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, CQL type), in insert order
    primary_key: str  # inside PRIMARY KEY (...)
    options: str = ""  # WITH ... clause, without the WITH

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def create_cql(self, extra_options: str = "") -> str:
        """CREATE TABLE IF NOT EXISTS (idempotent); `extra_options` joins `options` (e.g. a TTL)."""
        columns = ", ".join(f"{name} {cql}" for name, cql in self.columns)
        options = " AND ".join(o for o in (self.options, extra_options) if o)
        return (f"CREATE TABLE IF NOT EXISTS {self.name} ({columns}, "
                f"PRIMARY KEY ({self.primary_key})){' WITH ' + options if options else ''}")

    def insert_cql(self, columns: tuple[str, ...] | None = None, using: str = "",
                   constants: dict[str, str] | None = None) -> str:
        """INSERT of `columns` (default: all) as bind markers; `constants` are CQL literals
        for other columns (e.g. {"scope": "'all'"}); `using`: e.g. "TIMESTAMP ?"."""
        columns = columns or self.column_names
        constants = constants or {}
        unknown = set(columns) - set(self.column_names) | set(constants) - set(self.column_names)
        if unknown:
            raise ValueError(f"{self.name} has no column {sorted(unknown)}")
        names_ = [*constants, *columns]
        values = [*constants.values(), *["?"] * len(columns)]
        return (f"INSERT INTO {self.name} ({', '.join(names_)}) VALUES ({', '.join(values)})"
                + (f" USING {using}" if using else ""))

    def spark_types(self) -> dict[str, str]:
        return {name: SPARK_TYPES[cql] for name, cql in self.columns}


RAW_TWEETS = Table(
    names.RAW_TABLE,
    (("day", "date"), ("hour", "tinyint"), ("network", "text"), ("id", "text"),
     ("created_at", "timestamp"),
     ("tweet", "text"),  # the normalised post JSON (`Tweet.to_json()`)
     ("keywords", "set<text>")),  # every keyword it matched, backfills included
    "(day, hour), network, id",
)

TWEETS_BY_KEYWORD = Table(
    names.KEYWORD_TABLE,
    (("keyword", "text"), ("day", "date"), ("hour", "tinyint"), ("created_at", "timestamp"),
     ("network", "text"), ("id", "text"), ("text", "text"), ("lang", "text"),
     ("author_id", "text"),
     ("author_username", "text"), ("author_name", "text"), ("author_followers", "int"),
     ("author_location", "text"), ("relation", "text"), ("related_id", "text"),
     ("hashtags", "list<text>"), ("mentions", "list<text>"), ("urls", "list<text>"),
     ("source", "text"), ("place", "text"), ("country", "text"), ("retweets", "int"),
     ("likes", "int"), ("replies", "int"), ("quotes", "int"), ("ingested_at", "timestamp")),
    "(keyword, day, hour), created_at, network, id",
    "CLUSTERING ORDER BY (created_at DESC, network ASC, id DESC)",
)

TWEET_ENGAGEMENT = Table(
    names.ENGAGEMENT_TABLE,
    (("network", "text"), ("id", "text"), ("retweets", "int"), ("likes", "int"),
     ("replies", "int"), ("quotes", "int"), ("observed_at", "timestamp")),
    "(network, id)",
)

INGESTION_PROGRESS = Table(
    names.PROGRESS_TABLE,
    (("consumer_group", "text"), ("topic", "text"), ("partition", "int"),
     ("committed_offset", "bigint"), ("watermark", "timestamp"), ("tweets", "bigint"),
     ("updated_at", "timestamp")),
    "(consumer_group), topic, partition",
)

INGESTED_DAYS = Table(
    names.DAYS_TABLE,
    (("scope", "text"), ("day", "date"), ("updated_at", "timestamp")),
    "(scope), day",
)

# Each (day, hour) of the raw archive, marked when rows of it were written (after Cassandra
# acknowledged them): a day's refresh recomputes only the hours marked since its last run.
INGESTED_HOURS = Table(
    names.HOURS_TABLE,
    (("scope", "text"), ("day", "date"), ("hour", "tinyint"), ("updated_at", "timestamp")),
    "(scope, day), hour",
)

# A like or repost of a followed post, one row each (a replay writes the same row), filed under
# the day the post was made (its id says when: `ingest/deletions.id_time`), so a day's
# aggregation reads its posts' reactions from a few partitions.
POST_REACTIONS = Table(
    names.REACTIONS_TABLE,
    (("network", "text"), ("day", "date"), ("post_id", "text"), ("kind", "text"),
     ("id", "text"), ("actor_id", "text"), ("reacted_at", "timestamp")),
    "(network, day), post_id, kind, id",
)

# One-off data migrations (`ingest/migrate.py`): a row once one has finished.
SCHEMA_MIGRATIONS = Table(
    names.MIGRATIONS_TABLE,
    (("name", "text"), ("rows", "bigint"), ("finished_at", "timestamp")),
    "name",
)

TABLES = (RAW_TWEETS, TWEETS_BY_KEYWORD, TWEET_ENGAGEMENT, INGESTION_PROGRESS, INGESTED_DAYS,
          INGESTED_HOURS, POST_REACTIONS, SCHEMA_MIGRATIONS)

# What a live feed card shows of a keyword row
LIVE_COLUMNS = (
    "network", "id", "created_at", "text", "lang", "author_username", "author_name",
    "author_followers", "source", "place", "country", "relation", "retweets", "likes",
    "replies", "quotes",
)
