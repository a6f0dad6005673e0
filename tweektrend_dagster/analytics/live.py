"""Today's counts from the stream: a Spark Structured Streaming query on the `tweets` topic.

Each message (one per tweet and matched keyword; the key is the keyword) of an open day (today,
or yesterday while its late grace runs) becomes three facts: the post in its hour, its author
in that hour, its author on that day; an original post (not a retweet: replies and quotes are
original writing) three more of the same for the original figures. One `dropDuplicates`
over (kind, keyword, bucket, key) keeps each fact once whatever the duplicates, replays and
restarts (its state, with the Kafka offsets, lives in the checkpoint; a 48 h watermark on the
bucket lets old state go). Each
micro-batch counts its new facts per (kind, keyword, day, hour) and hands them to a sink that
adds them to the live documents once per batch id (`trend_store/live.py`). The counts are those
the daily batch computes from the same tweets: distinct posts and authors per keyword and hour,
distinct authors per keyword and day, over all posts and over original posts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.clients import spark_kafka_options
from tweektrend_dagster.config import Settings

QUERY_NAME = "live_counts"
WATERMARK = "48 hours"  # state kept per fact: today's and yesterday's, then dropped
FUTURE_SLACK = "5 minutes"  # a post stamped further ahead than this waits for the batch
# what the counts need of a message (Tweet.to_json())
MESSAGE = T.StructType([
    T.StructField("network", T.StringType()),  # absent in messages of before networks: X
    T.StructField("id", T.StringType()),
    T.StructField("created_at", T.StringType()),
    T.StructField("author", T.StructType([T.StructField("id", T.StringType())])),
    T.StructField("relation", T.StringType()),
])
# the kinds of facts of an original post (beside post, hour_user, day_user)
ORIGINAL_KINDS = ("original_post", "original_hour_user", "original_day_user")
Sink = Callable[[Iterable[Any], int], Any]  # (FactCount rows, batch id)


def kafka_source_options(settings: Settings | None = None) -> dict[str, str]:
    """The Kafka source's login (security protocol, SASL mechanism, JAAS config) from
    TWEEKTREND_KAFKA_*; empty for a PLAINTEXT broker."""
    return spark_kafka_options(settings or Settings.from_env())


def live_facts(spark: SparkSession, bootstrap: str, topic: str,
               max_per_trigger: int = 1_000_000) -> DataFrame:
    """The stream of new facts (kind, keyword, bucket, key, planned_at), deduplicated."""
    raw = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", bootstrap)
        .options(**kafka_source_options())
        .option("subscribe", topic)
        # the first start reads what the topic holds (retention), so today is complete
        .option("startingOffsets", "earliest")
        .option("failOnDataLoss", "false")
        .option("maxOffsetsPerTrigger", str(max_per_trigger))
        .load()
    )
    t = F.from_json(F.col("value").cast("string"), MESSAGE)
    posts = raw.select(
        F.col("key").cast("string").alias("keyword"), t.alias("t"),
        F.current_timestamp().alias("planned_at"),  # the micro-batch's timestamp
    ).select(
        "keyword", "planned_at",
        # a post is (network, id): the same id on two networks is two posts
        F.when(F.col("t.id").isNotNull(),
               F.concat_ws(":", F.coalesce("t.network", F.lit("x")), "t.id")).alias("id"),
        F.col("t.author.id").alias("author"), F.to_timestamp("t.created_at").alias("created_at"),
        (F.col("t.relation").isNull() | (F.col("t.relation") != "retweet")).alias("original"),
    ).where(
        F.col("keyword").isNotNull() & F.col("id").isNotNull() & F.col("author").isNotNull()
        & (F.to_date("created_at") >= F.date_sub(F.current_date(), 1))
        & (F.col("created_at") <= F.current_timestamp() + F.expr(f"INTERVAL {FUTURE_SLACK}"))
    )
    hour = F.date_trunc("hour", "created_at")
    day = F.date_trunc("day", "created_at")
    post_id = F.col("id")
    every = [("post", hour, post_id), ("hour_user", hour, F.col("author")),
             ("day_user", day, F.col("author"))]
    originals = [(f"original_{kind}", bucket, key) for kind, bucket, key in every]

    def facts_of(kinds: list) -> F.Column:
        return F.array(*[F.struct(F.lit(kind).alias("kind"), bucket.alias("bucket"),
                                  key.alias("key")) for kind, bucket, key in kinds])

    # a retweet makes only the three facts of every post
    fact = F.explode(F.when(F.col("original"), facts_of(every + originals))
                     .otherwise(facts_of(every)))
    facts = posts.select("keyword", "planned_at", fact.alias("f")).select(
        "keyword", "planned_at", "f.kind", "f.bucket", "f.key")
    return facts.withWatermark("bucket", WATERMARK).dropDuplicates(
        ["kind", "keyword", "bucket", "key"])


def batch_counts(batch: DataFrame) -> list[Any]:
    """One micro-batch's new facts counted per (kind, keyword, day, hour): a few rows."""
    return batch.groupBy(
        "kind", "keyword", F.to_date("bucket").alias("day"), F.hour("bucket").alias("hour"),
    ).agg(F.count(F.lit(1)).alias("n"),
          # epoch milliseconds: a timestamp would come back in the machine's time zone
          F.unix_millis(F.max("planned_at")).alias("as_of_ms")).collect()


def start_live_counts(spark: SparkSession, bootstrap: str, topic: str, checkpoint: str,
                      sink: Sink, trigger_seconds: float = 5.0) -> Any:
    """Start the query; `sink(rows, batch_id)` receives each micro-batch's counts."""
    # RocksDB keeps the dedupe state off the JVM heap; 2 state partitions suit one machine
    # (both are fixed in the checkpoint at its first start)
    spark.conf.set("spark.sql.streaming.stateStore.providerClass",
                   "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider")
    spark.conf.set("spark.sql.shuffle.partitions", "2")

    def write(batch: DataFrame, batch_id: int) -> None:
        sink(batch_counts(batch), batch_id)

    return (
        live_facts(spark, bootstrap, topic).writeStream.queryName(QUERY_NAME)
        .foreachBatch(write)
        .option("checkpointLocation", checkpoint)
        .trigger(processingTime=f"{trigger_seconds:g} seconds")
        .start()
    )
