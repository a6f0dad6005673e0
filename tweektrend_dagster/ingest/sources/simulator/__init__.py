"""A realistic, seeded stream of X API v2 envelopes for demos, tests and load.

What makes it realistic, one module each:
- `vocab`: Korean and English word lists, topics, places and profiles, ordered by frequency and
  sampled by rank with `zipf.Zipf`;
- `korean`: Korean nouns with the right particles ("코로나 확진자가 늘었다");
- `topics`: words around each keyword: a post about BTS mentions BTS with topic words (콘서트,
  앨범, army...) far more often than other posts do; ~30 % of posts are chatter about no keyword;
- `intensity`: bursts (now and then one topic rises to several times its base rate for 5-30
  minutes) and the daily cycle;
- `users`, `places`: accounts with Zipf-like activity, log-normal follower counts, profile
  locations and a device each ("Twitter for iPhone", ...); a place (Seoul, Busan, New York, ...)
  on ~8 % of non-retweets;
- `text`: Korean sentences, English templates, hashtags, mentions and links with their entities;
- `references`: retweets, replies and quotes of earlier posts chosen by preferential attachment
  (a Polya urn), the referenced post's public metrics growing with every reference;
- `envelopes`: one post as the v2 JSON (`{"data", "includes"}`) with snowflake-like ids;
- `pacing`: simulated time held to the wall clock when `rate > 0`;
- `source`: `Simulator` (the `Source`) and `generate()`, which put these together.

Same seed, same keywords -> the same posts in the same order. Timestamps follow the simulated clock
when `start` is given, else the real clock (so content stays deterministic, times are "now").

Speed: everything per user, place and URL is prepared up front (users and places as pre-serialised
`orjson.Fragment`s), so one core makes well over 20,000 posts/s with `rate=0`.
"""

from tweektrend_dagster.ingest.sources.simulator.envelopes import TWITTER_EPOCH_MS
from tweektrend_dagster.ingest.sources.simulator.intensity import Intensity
from tweektrend_dagster.ingest.sources.simulator.source import Simulator, generate
from tweektrend_dagster.ingest.sources.simulator.vocab import DEFAULT_KEYWORDS
from tweektrend_dagster.ingest.sources.simulator.zipf import Zipf

__all__ = ["DEFAULT_KEYWORDS", "TWITTER_EPOCH_MS", "Intensity", "Simulator", "Zipf", "generate"]
