"""The `trends` document: one per (keyword, period, start), written by the trend assets
(`analytics/documents.py` builds it) and read by the dashboard and the alert mails.
Its `_id` is `Period.doc_id(keyword)`: "{keyword}|{period}|{start}". docs/ARCHITECTURE.md
explains each field; tests/unit/test_contracts.py checks what the analytics build against it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict


class SeriesPoint(TypedDict):
    t: str  # bucket start, ISO UTC ("...Z"): an hour of a day, a day of longer periods
    mentions: int
    users: int
    spike: float  # burst score vs the trailing baseline
    is_spike: bool


class TopPost(TypedDict):
    network: str  # "x" | "bluesky" | "mastodon"; absent in documents of before networks: "x"
    id: str  # the post's id on its network
    text: str
    author_username: str
    author_name: str | None
    created_at: str | None
    retweets: int
    likes: int
    replies: int
    quotes: int
    engagement: int
    url: str


class NameCount(TypedDict):
    name: str
    count: int


class Correlation(TypedDict):
    reference: str
    r: float | None
    lag: int
    n: int


class OriginalPoint(TypedDict):
    t: str
    mentions: int
    users: int


class Originals(TypedDict):
    """The figures over original posts (not retweets: replies and quotes are original)."""

    mentions: int
    unique_users: int
    prev_mentions: int | None
    prev_unique_users: int | None
    change_mentions_pct: float | None
    change_users_pct: float | None
    series: list[OriginalPoint]
    top_users: list[dict]  # as `top_users`, ranked on original posts


class TrendDocument(TypedDict):
    _id: str
    keyword: str
    period: str  # day | week | month | quarter
    start: str  # YYYY-MM-DD
    end: str  # YYYY-MM-DD, exclusive
    final: bool  # closed after the late-data grace
    updated_at: datetime
    as_of: datetime | None  # every tweet ingested before it is counted
    mentions: int
    unique_users: int
    unique_users_method: str
    prev_mentions: int | None
    prev_unique_users: int | None
    change_mentions_pct: float | None
    change_users_pct: float | None
    series: list[SeriesPoint]
    top_posts: list[TopPost]
    top_users: list[dict]  # {author_id, username, name, posts, followers}
    related_words: list[dict]  # {word, count, score, kind} (text/association.py)
    locations: list[NameCount]
    devices: list[NameCount]
    sentiment: dict[str, int]  # positive, negative, neutral
    correlation: Correlation
    originals: Originals | None  # None: a day of the period was aggregated before originals
    rule: str | None  # the canonical rule the key stands for (docs/RULES.md)
    rule_version: str | None  # 12 hex of its SHA-256: which rule version made the document


TREND_FIELDS = tuple(TrendDocument.__annotations__)
