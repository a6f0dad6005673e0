"""Parsed tweets → mergeable aggregate tables per day (sums and distinct sets, never ratios).

Every table has `day` in its keys (so many days are computed in one pass and written per day),
and is keyed so that a longer period is a plain sum (or a distinct union) over its days:
- `hourly`      keyword, hour, mentions, users, original_mentions, original_users
                (users: distinct authors in that hour; original_*: the same over original posts)
- `authors`     keyword, author_id, posts, original_posts, username, name, followers
                (per day; the period's unique users = distinct author_id over its days: exact;
                its original users: those with original_posts > 0 on any of its days)
- `words`       keyword, word, count     (keyword tweets containing the word: co-occurrence)
- `background`  word, count              (every archived tweet of the day containing the word)
- `totals`      tweets, matched, as_of_ms (archived tweets of the day; N of the NPMI; when the
                day's raw rows were read, epoch ms: tweets ingested before it are counted)
- `posts`       keyword, network, native_id, ..., engagement  (per keyword the day's top candidates
                by the highest engagement observed that day; a period's top is within the union;
                a post is (network, native_id): tables of before networks have `post_id` instead,
                see `post_identity`)
- `facets`      keyword, facet, name, count  (facet: location | device | sentiment)

An original post is any tweet but a retweet (replies and quotes are original writing). Tables
written before the original columns existed lack them: readers take them as null ("not counted"),
never as zero (see `HOURLY_SCHEMA`, `AUTHORS_SCHEMA`).

The same tables over a part of a day (`keys=("day", "slice")`, see `analytics/slices.py`) merge
into the day's by the same rules; `authors` then keeps `seen_at` (its latest post) for the merge.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from tweektrend_dagster.analytics.tokens import token_key

POST_CANDIDATES = 50  # per keyword and day; documents show 10


@dataclass
class DailyTables:
    hourly: DataFrame
    authors: DataFrame
    words: DataFrame
    background: DataFrame
    totals: DataFrame
    posts: DataFrame
    facets: DataFrame

    def as_dict(self) -> dict[str, DataFrame]:
        return dict(self.__dict__)


# The parsed tweet columns `daily_tables` reads (the rest of `parse_raw` is left unparsed).
DAY_COLUMNS = (
    "day", "hour", "network", "id", "created_at", "keywords", "text", "author_id",
    "author_username", "author_name", "author_followers", "author_location", "relation",
    "retweets", "likes", "replies", "quotes", "source", "place", "original",
)
TABLES = ("hourly", "authors", "words", "background", "totals", "posts", "facets")
# the columns of original posts: a table without them was written before they existed
ORIGINAL_COLUMNS = {"hourly": ("original_mentions", "original_users"),
                    "authors": ("original_posts",)}
# the day tables as read (a folder written before the original columns reads them as null)
HOURLY_SCHEMA = T.StructType([
    T.StructField("keyword", T.StringType()),
    T.StructField("hour", T.IntegerType()),
    T.StructField("mentions", T.LongType()),
    T.StructField("users", T.LongType()),
    T.StructField("original_mentions", T.LongType()),
    T.StructField("original_users", T.LongType()),
])
AUTHORS_SCHEMA = T.StructType([
    T.StructField("keyword", T.StringType()),
    T.StructField("author_id", T.StringType()),
    T.StructField("posts", T.LongType()),
    T.StructField("original_posts", T.LongType()),
    T.StructField("username", T.StringType()),
    T.StructField("name", T.StringType()),
    T.StructField("followers", T.LongType()),
])
# A post's identity in the `posts` tables
POST_KEY = ("network", "native_id")


def is_original() -> F.Column:
    """Not a retweet: replies, quotes and plain posts are original writing."""
    return F.col("relation").isNull() | (F.col("relation") != "retweet")


def with_tokens(tweets: DataFrame, tokens: DataFrame) -> DataFrame:
    """Attach (tokens, sentiment) to every tweet through the text key."""
    _, tkey = token_key()
    keys = ["day", "tkey"] if "day" in tokens.columns else ["tkey"]
    return tweets.withColumn("tkey", tkey).join(tokens, keys, "left").select(
        *tweets.columns,
        F.coalesce("tokens", F.array().cast("array<string>")).alias("tokens"),
        F.coalesce("sentiment", F.lit("neutral")).alias("sentiment"),
    )


def _clean_name(col: str) -> F.Column:
    value = F.trim(F.col(col))
    return F.when(value != "", value)


def _posts(kt: DataFrame, keys: tuple[str, ...]) -> DataFrame:
    # A retweet promotes its original: the post is the embedded original with the metrics
    # observed at that moment. A retweet without its original is no post of its own.
    o = F.col("original")
    is_rt = (F.col("relation") == "retweet") & o.isNotNull()
    post = kt.where((F.col("relation").isNull()) | (F.col("relation") != "retweet") | is_rt).select(
        *keys, "keyword", "network",
        F.when(is_rt, o["id"]).otherwise(F.col("id")).alias("native_id"),
        F.when(is_rt, o["text"]).otherwise(F.col("text")).alias("text"),
        F.when(is_rt, o["author"]["username"]).otherwise(F.col("author_username"))
        .alias("author_username"),
        F.when(is_rt, o["author"]["name"]).otherwise(F.col("author_name")).alias("author_name"),
        F.when(is_rt, o["created_at"])
        .otherwise(F.date_format("created_at", "yyyy-MM-dd'T'HH:mm:ss'Z'"))
        .alias("created_at"),
        *[
            F.when(is_rt, F.coalesce(o[m], F.lit(0))).otherwise(F.col(m)).alias(m)
            for m in ("retweets", "likes", "replies", "quotes")
        ],
    )
    post = post.withColumn(
        "engagement", F.col("retweets") + F.col("likes") + F.col("replies") + F.col("quotes"))
    return top_posts(post, keys)


def post_identity(posts: DataFrame) -> DataFrame:
    """`posts` rows keyed by (network, native_id); rows of tables written before posts had a
    network (an X `post_id` number) read as X posts. Either column may be absent or null."""
    cols = set(posts.columns)
    network = F.col("network") if "network" in cols else F.lit(None).cast("string")
    native = F.col("native_id") if "native_id" in cols else F.lit(None).cast("string")
    if "post_id" in cols:
        native = F.coalesce(native, F.col("post_id").cast("string"))
    return posts.withColumn("network", F.coalesce(network, F.lit("x"))).withColumn(
        "native_id", native).drop("post_id")


def top_posts(post: DataFrame, keys: tuple[str, ...] = ("day",)) -> DataFrame:
    """Per (keys, keyword) the POST_CANDIDATES posts of highest engagement, each post once with
    its highest observed engagement."""
    post = post_identity(post)
    best = post.groupBy(*keys, "keyword", *POST_KEY).agg(
        F.max_by(F.struct(*[c for c in post.columns if c not in (*keys, "keyword", *POST_KEY)]),
                 F.col("engagement")).alias("p")
    ).select(*keys, "keyword", *POST_KEY, "p.*")
    rank = Window.partitionBy(*keys, "keyword").orderBy(
        F.desc("engagement"), *[F.asc(c) for c in POST_KEY])
    return best.withColumn("rank", F.row_number().over(rank)).where(
        F.col("rank") <= POST_CANDIDATES
    ).drop("rank")


def tokenised(tweets: DataFrame, tokens: DataFrame, keys: tuple[str, ...] = ("day",)
              ) -> DataFrame:
    """(keys, keywords, tokens, sentiment) per tweet: only the narrow columns cross the join,
    the wide tweet rows (texts, originals) are never shuffled for it. A token table with a `day`
    column (the per-day caches) is joined on (day, tkey)."""
    _, tkey = token_key()
    tkey = F.col("tkey") if "tkey" in tweets.columns else tkey
    on = ["day", "tkey"] if "day" in tokens.columns else ["tkey"]
    return tweets.select(*keys, tkey.alias("tkey"), "keywords").join(
        tokens.select(*on, "tokens", "sentiment"), on, "left"
    ).select(
        *keys, "keywords",
        F.coalesce("tokens", F.array().cast("array<string>")).alias("tokens"),
        F.coalesce("sentiment", F.lit("neutral")).alias("sentiment"),
    )


def daily_tables(tweets: DataFrame, tokens: DataFrame | None = None,
                 as_of_ms: int | None = None, keys: tuple[str, ...] = ("day",)) -> DailyTables:
    """`tweets`: parsed tweets of any number of days; `tokens`: their (keys, keywords, tokens,
    sentiment) rows (see `tokenised`). Without `tokens`, `tweets` carries them itself (see
    `with_tokens`). Every table is grouped by `keys` too: the day, or a slice of it."""
    if tokens is None:
        tokens = tweets.select(*keys, "keywords", "tokens", "sentiment")
    kt = tweets.select("*", F.explode("keywords").alias("keyword"))
    ktok = tokens.select(*keys, "tokens", "sentiment", F.explode("keywords").alias("keyword"))
    original = is_original()
    # per author first: the distinct counts become plain counts (no Expand of two distincts)
    hourly = kt.groupBy(*keys, "keyword", "hour", "author_id").agg(
        F.count(F.lit(1)).alias("n"), F.count(F.when(original, 1)).alias("o"),
    ).groupBy(*keys, "keyword", "hour").agg(
        F.sum("n").alias("mentions"), F.count(F.lit(1)).alias("users"),
        F.sum("o").alias("original_mentions"),
        F.count(F.when(F.col("o") > 0, 1)).alias("original_users"),
    )
    latest = F.struct("created_at", "author_username", "author_name", "author_followers")
    seen_at = [F.col("a.created_at").alias("seen_at")] if keys != ("day",) else []
    authors = kt.groupBy(*keys, "keyword", "author_id").agg(
        F.count(F.lit(1)).alias("posts"), F.count(F.when(original, 1)).alias("original_posts"),
        F.max_by(latest, "created_at").alias("a"),
    ).select(
        *keys, "keyword", "author_id", "posts", "original_posts",
        F.col("a.author_username").alias("username"),
        F.col("a.author_name").alias("name"),
        F.col("a.author_followers").alias("followers"),
        *seen_at,
    )
    words = (
        ktok.select(*keys, "keyword", F.explode("tokens").alias("word"))
        .groupBy(*keys, "keyword", "word").agg(F.count(F.lit(1)).alias("count"))
    )
    background = (
        tokens.select(*keys, F.explode("tokens").alias("word"))
        .groupBy(*keys, "word").agg(F.count(F.lit(1)).alias("count"))
    )
    totals = tweets.groupBy(*keys).agg(
        F.count(F.lit(1)).alias("tweets"),
        F.count(F.when(F.size("keywords") > 0, 1)).alias("matched"),
    ).withColumn("as_of_ms", F.lit(as_of_ms).cast("long"))
    location = F.coalesce(_clean_name("place"), _clean_name("author_location"))
    places = kt.select(
        *keys, "keyword",
        F.explode(
            F.array(
                F.struct(F.lit("location").alias("facet"), location.alias("name")),
                F.struct(F.lit("device").alias("facet"), _clean_name("source").alias("name")),
            )
        ).alias("f"),
    ).select(*keys, "keyword", "f.facet", "f.name")
    moods = ktok.select(*keys, "keyword", F.lit("sentiment").alias("facet"), F.col("sentiment")
                        .alias("name"))
    facets = (
        places.unionByName(moods)
        .where(F.col("name").isNotNull())
        .groupBy(*keys, "keyword", "facet", "name").agg(F.count(F.lit(1)).alias("count"))
    )
    return DailyTables(hourly, authors, words, background, totals, _posts(kt, keys), facets)
