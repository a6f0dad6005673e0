"""Names of what the layers share on the servers: Cassandra tables and Mongo collections.
Topic, keyspace and database names are settings (`config.Settings`)."""

# Cassandra (keyspace `Settings.keyspace`), written by the ingestion workers
RAW_TABLE = "raw_posts_by_day"  # every post once, by (day, hour), keyed by (network, id)
KEYWORD_TABLE = "posts_by_keyword"  # one row per (keyword, post), newest first
ENGAGEMENT_TABLE = "post_engagement"  # the latest non-zero metrics seen of a post
PROGRESS_TABLE = "ingestion_progress"  # committed offset and watermark per partition
DAYS_TABLE = "ingested_days"  # days that received tweets, and when
HOURS_TABLE = "ingested_hours"  # hours of a day that received tweets, and when
REACTIONS_TABLE = "post_reactions"  # likes and reposts of followed posts (Bluesky), by post day
MIGRATIONS_TABLE = "schema_migrations"  # which one-off data migrations have finished
# The X-only tables of before posts had a network (bigint ids); `ingest/migrate.py` copies them
# into the tables above once, then drops them.
LEGACY_TABLES = {"raw_tweets_by_day": RAW_TABLE, "tweets_by_keyword": KEYWORD_TABLE,
                 "tweet_engagement": ENGAGEMENT_TABLE}

# MongoDB (database `Settings.mongo_db`)
TRENDS = "trends"  # one trend document per (keyword, period, start); see trend_document
KEYWORD_RANGES = "keyword_ranges"  # per keyword and period kind: which periods hold data
KEYWORDS = "keywords"  # the registry ingestion follows
USER_KEYWORDS = "user_keywords"
USERS = "users"
SESSIONS = "sessions"
LOGIN_ATTEMPTS = "login_attempts"
SAVED_ANALYSES = "saved_analyses"
MAIL_OUTBOX = "mail_outbox"
SPIKE_ALERTS = "spike_alerts"  # one per alert mail (dedupe)
LIVE_COUNTS = "live_counts"  # today's counts from the stream, one per (keyword, day)
SOURCE_STATUS = "source_status"  # each running source's last report (ingest/source_status.py)
