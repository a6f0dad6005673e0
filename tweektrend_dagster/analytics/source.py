"""Reading the raw archive: `raw_posts_by_day` rows → one parsed row per post.

The tweet JSON (`Tweet.to_json()`) is parsed by Spark's `from_json` in the JVM: Python only sees
the distinct texts it must tokenise. The archive's `keywords` column (not the JSON's) says which
keywords a tweet belongs to, because the keyword backfill adds keywords to it later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.contracts.names import RAW_TABLE, REACTIONS_TABLE
from tweektrend_dagster.contracts.tables import RAW_TWEETS, TWEETS_BY_KEYWORD, Table
from tweektrend_dagster.tweets.checks import NETWORKS

_AUTHOR = T.StructType(
    [
        T.StructField("id", T.StringType()),
        T.StructField("username", T.StringType()),
        T.StructField("name", T.StringType()),
        T.StructField("followers", T.LongType()),
        T.StructField("location", T.StringType()),
    ]
)
_METRICS = [T.StructField(m, T.LongType()) for m in ("retweets", "likes", "replies", "quotes")]
# Ids are text (a JSON number, as X ids were written before posts had a network, reads as its
# digits).
_ORIGINAL = T.StructType(
    [
        T.StructField("id", T.StringType()),
        T.StructField("created_at", T.StringType()),
        T.StructField("text", T.StringType()),
        T.StructField("author", _AUTHOR),
        *_METRICS,
    ]
)
TWEET_SCHEMA = T.StructType(
    [
        T.StructField("text", T.StringType()),
        T.StructField("author", _AUTHOR),
        T.StructField("lang", T.StringType()),
        T.StructField("relation", T.StringType()),
        T.StructField("related_id", T.StringType()),
        *_METRICS,
        T.StructField("hashtags", T.ArrayType(T.StringType())),
        T.StructField("mentions", T.ArrayType(T.StringType())),
        T.StructField("urls", T.ArrayType(T.StringType())),
        T.StructField("source", T.StringType()),
        T.StructField("place", T.StringType()),
        T.StructField("country", T.StringType()),
        T.StructField("original", _ORIGINAL),
    ]
)

# the Spark type of each CQL type the tables use (contracts.tables.SPARK_TYPES names them)
_SPARK_TYPES = {
    "string": T.StringType(), "date": T.DateType(), "tinyint": T.ByteType(),
    "int": T.IntegerType(), "bigint": T.LongType(), "timestamp": T.TimestampType(),
    "array<string>": T.ArrayType(T.StringType()),
}


def spark_schema(table: Table) -> T.StructType:
    """A Cassandra table's rows as Spark sees them through the connector."""
    return T.StructType(
        [T.StructField(name, _SPARK_TYPES[kind]) for name, kind in table.spark_types().items()])


def cassandra_table(spark: SparkSession, keyspace: str, table: str) -> DataFrame:
    return (
        spark.read.format("org.apache.spark.sql.cassandra")
        .options(keyspace=keyspace, table=table)
        .load()
    )


def read_raw_days(spark: SparkSession, keyspace: str, days: Iterable[date]) -> DataFrame:
    """The archive rows of some days; the (day, hour) IN filter is pushed down to Cassandra, so
    only those partitions are read (never a table scan). With their reactions (see
    `with_reactions`)."""
    days = sorted(set(days))
    raw = cassandra_table(spark, keyspace, RAW_TABLE)
    raw = raw.where(F.col("day").isin(days) & F.col("hour").isin(list(range(24))))
    return with_reactions(spark, keyspace, raw, days)


def read_raw_hours(spark: SparkSession, keyspace: str, day: date, hours: Iterable[int]
                   ) -> DataFrame:
    """The archive rows of some hours of one day (those partitions only), with reactions."""
    raw = cassandra_table(spark, keyspace, RAW_TABLE)
    raw = raw.where((F.col("day") == day) & F.col("hour").isin(sorted(set(hours))))
    return with_reactions(spark, keyspace, raw, [day])


def with_reactions(spark: SparkSession, keyspace: str, raw: DataFrame, days: list[date]
                   ) -> DataFrame:
    """`raw` with the likes and reposts the stream reported of each post (`post_reactions`,
    read from the (network, day) partitions of these days only)."""
    reactions = cassandra_table(spark, keyspace, REACTIONS_TABLE).where(
        F.col("network").isin(list(NETWORKS)) & F.col("day").isin(sorted(set(days))))
    return join_reactions(raw, reactions)


def join_reactions(raw: DataFrame, reactions: DataFrame) -> DataFrame:
    """`raw` with `reaction_likes` and `reaction_reposts` per post (0 for a post without any),
    counted from `post_reactions` rows; `parse_raw` takes them into the post's figures."""
    counts = reactions.groupBy("network", F.col("post_id").alias("id")).agg(
        F.count(F.when(F.col("kind") == "like", 1)).alias("reaction_likes"),
        F.count(F.when(F.col("kind") == "repost", 1)).alias("reaction_reposts"))
    # broadcast: a day's reacted posts are few beside its archive (only followed posts'
    # reactions are kept), so the archive's rows are never shuffled for this join
    return raw.join(F.broadcast(counts), ["network", "id"], "left").na.fill(
        0, ["reaction_likes", "reaction_reposts"])


def _nonneg(col: Column) -> Column:
    return F.greatest(F.coalesce(col, F.lit(0)), F.lit(0))


def parse_raw(raw: DataFrame) -> DataFrame:
    """(day, hour, network, id, created_at, tweet, keywords) → flat post columns; unparseable
    JSON rows (which the workers never write) are dropped rather than failing a whole day."""
    t = F.from_json("tweet", TWEET_SCHEMA).alias("t")
    # the stream's likes and reposts of a post count beside what its own payload said
    reacted = {"likes": "reaction_likes", "retweets": "reaction_reposts"}
    extra = [c for c in reacted.values() if c in raw.columns]
    parsed = raw.select(
        *extra,
        "day", "hour", "network", "id", "created_at",
        F.array_sort(F.coalesce(F.col("keywords"), F.array().cast("array<string>")))
        .alias("keywords"),
        t,
    )
    return parsed.where(F.col("t.text").isNotNull() & F.col("t.author.id").isNotNull()).select(
        "day", F.col("hour").cast("int").alias("hour"), "network", "id", "created_at",
        "keywords",
        F.col("t.text").alias("text"),
        F.col("t.lang").alias("lang"),
        F.col("t.author.id").alias("author_id"),
        F.col("t.author.username").alias("author_username"),
        F.col("t.author.name").alias("author_name"),
        F.col("t.author.followers").alias("author_followers"),
        F.col("t.author.location").alias("author_location"),
        F.col("t.relation").alias("relation"),
        F.col("t.related_id").alias("related_id"),
        *[(F.greatest(_nonneg(F.col(f"t.{m}")), F.col(reacted[m]).cast("long"))
           if reacted.get(m) in extra else _nonneg(F.col(f"t.{m}"))).alias(m)
          for m in ("retweets", "likes", "replies", "quotes")],
        F.coalesce(F.col("t.hashtags"), F.array().cast("array<string>")).alias("hashtags"),
        F.coalesce(F.col("t.mentions"), F.array().cast("array<string>")).alias("mentions"),
        F.coalesce(F.col("t.urls"), F.array().cast("array<string>")).alias("urls"),
        F.col("t.source").alias("source"),
        F.col("t.place").alias("place"),
        F.col("t.country").alias("country"),
        F.col("t.original").alias("original"),
    )


RAW_SCHEMA = spark_schema(RAW_TWEETS)


def keyword_rows(tweets: DataFrame, ingested_at: Column | None = None) -> DataFrame:
    """Parsed tweets → `tweets_by_keyword` rows, one per (tweet, keyword in `keywords`)."""
    kt = tweets.select("*", F.explode("keywords").alias("keyword"))
    ingested_at = ingested_at if ingested_at is not None else F.current_timestamp()
    return kt.select(*[
        (ingested_at if name == "ingested_at" else F.col(name)).cast(kind).alias(name)
        for name, kind in TWEETS_BY_KEYWORD.spark_types().items()
    ])


def write_cassandra(df: DataFrame, keyspace: str, table: str) -> None:
    (
        df.write.format("org.apache.spark.sql.cassandra")
        .options(keyspace=keyspace, table=table)
        .mode("append")
        .save()
    )
