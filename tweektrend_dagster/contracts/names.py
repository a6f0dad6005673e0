"""Names of what the layers share on the servers: Cassandra tables and Mongo collections.
Topic, keyspace and database names are settings (`config.Settings`)."""

# Cassandra (keyspace `Settings.keyspace`), written by the ingestion workers
RAW_TABLE = "raw_tweets_by_day"  # every tweet once, by (day, hour)
KEYWORD_TABLE = "tweets_by_keyword"  # one row per (keyword, tweet), newest first
ENGAGEMENT_TABLE = "tweet_engagement"  # the latest non-zero metrics seen of a tweet
PROGRESS_TABLE = "ingestion_progress"  # committed offset and watermark per partition
DAYS_TABLE = "ingested_days"  # days that received tweets, and when
HOURS_TABLE = "ingested_hours"  # hours of a day that received tweets, and when

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
