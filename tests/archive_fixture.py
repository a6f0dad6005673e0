"""A seeded multi-month research archive as X wrote it, and its trend numbers counted by hand.

`write_archive` writes the same kind of collection twice over: X API v1.1 tweets (JSONL, as the
v1.1 search/stream endpoints returned them) for some days and X API v2 search pages (one page of
up to 100 tweets per line, with `includes.users`/`includes.tweets` and `meta`, as twarc2 writes
them) for the others; some tweets are in both files. Retweets carry a truncated
"RT @user: …" text and embed (v1.1) or include (v2) their original; quote tweets embed the quoted
post. Texts hold the keywords in forms that must and must not count.

`expected_numbers` recounts mentions and unique users per (keyword, period) in plain Python,
from the tweets as generated (not through the product's parsers or matcher), following the rules
of docs/ANALYTICS.md "What counts as a mention".
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

KEYWORDS = ["vaccine", "pfizer", "코로나", "bts"]
# (fragment, keywords it mentions): the boundary rules of the matcher in a few forms
FRAGMENTS = [
    ("got my vaccine today", ["vaccine"]),
    ("Vaccine appointments open!", ["vaccine"]),
    ("the #vaccine rollout", ["vaccine"]),
    ("vaccines for everyone", []),  # runs on into a letter: not a mention
    ("antivaccine nonsense", []),  # no left boundary: not a mention
    ("vaccine2021 campaign", ["vaccine"]),  # a digit may follow
    ("Pfizer-BioNTech second dose", ["pfizer"]),
    ("pfizer shot done", ["pfizer"]),
    ("코로나 확진자 증가", ["코로나"]),
    ("코로나19 백신 접종", ["코로나"]),  # Hangul: particles and numbers attach
    ("코로나가 끝나면 여행", ["코로나"]),
    ("BTS comeback stage", ["bts"]),
    ("subtsystem update", []),
    ("오늘 날씨 좋다", []),
    ("lunch with friends", []),
    ("new phone who dis", []),
]
EPOCH_ID = 1_340_000_000_000_000_000  # ids of 2021 tweets are around this size


@dataclass
class Post:
    id: int
    created_at: datetime
    author: int
    text: str  # full text (for a retweet: the original's, which is what counts)
    hashtags: list[str]
    relation: str | None = None  # "retweet" | "quote" | None
    original: Post | None = None
    in_v1: bool = True
    in_v2: bool = False
    mentions: list[str] = field(default_factory=list)  # keywords, counted by hand


def _username(author: int) -> str:
    return f"user{author}"


def generate(n: int = 3000, start: date = date(2021, 1, 1), days: int = 120,
             seed: int = 11) -> list[Post]:
    rng = random.Random(seed)
    t0 = datetime(start.year, start.month, start.day, tzinfo=UTC)
    # uneven days: a few busy days, most quiet, some empty
    weights = [rng.paretovariate(1.5) if rng.random() > 0.1 else 0.0 for _ in range(days)]
    posts: list[Post] = []
    for i in range(n):
        day = rng.choices(range(days), weights)[0]
        when = t0 + timedelta(days=day, seconds=rng.randrange(86400))
        author = int(rng.paretovariate(1.2) * 10) % 400
        originals = [p for p in posts[-200:] if p.relation is None]
        roll = rng.random()
        if roll < 0.2 and originals:
            orig = rng.choice(originals)
            post = Post(EPOCH_ID + i, when, author, orig.text, orig.hashtags, "retweet", orig)
            post.mentions = list(orig.mentions)
        else:
            parts = rng.sample(FRAGMENTS, 2)
            text = " and ".join(p[0] for p in parts) + f" #{i % 7}"
            mentions = sorted({k for p in parts for k in p[1]})
            hashtags = [m.group(1) for m in re.finditer(r"#(\w+)", text)]
            relation, orig = None, None
            if roll < 0.3 and originals:
                relation, orig = "quote", rng.choice(originals)
            post = Post(EPOCH_ID + i, when, author, text, hashtags, relation, orig)
            post.mentions = mentions
        # split the collection by day between the two files; every 25th tweet is in both
        post.in_v2 = day % 2 == 1 or i % 25 == 0
        post.in_v1 = day % 2 == 0 or i % 25 == 0
        posts.append(post)
    return posts


# ---- X API v1.1 ---------------------------------------------------------------------------------
def _v1_time(t: datetime) -> str:
    return t.strftime("%a %b %d %H:%M:%S +0000 %Y")


def _v1_user(author: int) -> dict:
    return {"id": author + 1000, "id_str": str(author + 1000), "screen_name": _username(author),
            "name": f"User {author}", "followers_count": author * 3, "location": None}


def _v1(post: Post, nested: bool = False) -> dict:
    obj = {"created_at": _v1_time(post.created_at), "id": post.id, "id_str": str(post.id),
           "full_text": post.text, "truncated": False, "user": _v1_user(post.author),
           "entities": {"hashtags": [{"text": h, "indices": [0, 1]} for h in post.hashtags],
                        "user_mentions": [], "urls": []},
           "retweet_count": post.id % 5, "favorite_count": post.id % 11, "lang": "und",
           "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>'}
    if post.relation == "retweet" and post.original is not None:
        o = post.original
        obj["full_text"] = f"RT @{_username(o.author)}: {o.text[:30]}…"
        obj["entities"]["hashtags"] = []
        obj["retweeted_status"] = _v1(o, nested=True)
    elif post.relation == "quote" and post.original is not None and not nested:
        obj["quoted_status_id_str"] = str(post.original.id)
        obj["quoted_status"] = _v1(post.original, nested=True)
    return obj


# ---- X API v2 pages -----------------------------------------------------------------------------
def _v2_user(author: int) -> dict:
    return {"id": str(author + 1000), "username": _username(author), "name": f"User {author}",
            "public_metrics": {"followers_count": author * 3, "following_count": 1,
                               "tweet_count": 10, "listed_count": 0}}


def _v2(post: Post) -> dict:
    obj = {"id": str(post.id), "text": post.text, "author_id": str(post.author + 1000),
           "created_at": post.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "lang": "und",
           "edit_history_tweet_ids": [str(post.id)],
           "public_metrics": {"retweet_count": post.id % 5, "reply_count": 0,
                              "like_count": post.id % 11, "quote_count": 0},
           "entities": {"hashtags": [{"start": 0, "end": 1, "tag": h} for h in post.hashtags]}}
    if post.original is not None:
        kind = "retweeted" if post.relation == "retweet" else "quoted"
        obj["referenced_tweets"] = [{"type": kind, "id": str(post.original.id)}]
        if post.relation == "retweet":
            obj["text"] = f"RT @{_username(post.original.author)}: {post.original.text[:30]}…"
            obj["entities"] = {}
    return obj


def _pages(posts: list[Post], size: int = 100) -> list[dict]:
    pages = []
    for i in range(0, len(posts), size):
        chunk = posts[i : i + size]
        refs = {p.original.id: p.original for p in chunk if p.original is not None}
        authors = {p.author for p in chunk} | {o.author for o in refs.values()}
        pages.append({
            "data": [_v2(p) for p in chunk],
            "includes": {"users": [_v2_user(a) for a in sorted(authors)],
                         "tweets": [_v2(o) for o in refs.values()]},
            "meta": {"result_count": len(chunk), "newest_id": str(chunk[-1].id),
                     "oldest_id": str(chunk[0].id), "next_token": f"page{i // size + 1}"},
        })
    return pages


def write_archive(posts: list[Post], folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    v1, v2 = folder / "archive-v1.jsonl", folder / "archive-v2-pages.jsonl"
    v1.write_text("".join(json.dumps(_v1(p), ensure_ascii=False) + "\n"
                          for p in posts if p.in_v1), encoding="utf-8")
    v2.write_text("".join(json.dumps(page, ensure_ascii=False) + "\n"
                          for page in _pages([p for p in posts if p.in_v2])), encoding="utf-8")
    return v1, v2


# ---- the numbers, counted by hand ---------------------------------------------------------------
def _period_start(kind: str, day: date) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def expected_numbers(posts: list[Post]) -> dict[str, tuple[int, int]]:
    """`{keyword}|{period}|{start}` → (mentions, unique users) for every period with mentions."""
    mentions: dict[str, int] = defaultdict(int)
    users: dict[str, set[int]] = defaultdict(set)
    for post in posts:
        for kw in post.mentions:
            for kind in ("day", "week", "month", "quarter"):
                key = f"{kw}|{kind}|{_period_start(kind, post.created_at.date()).isoformat()}"
                mentions[key] += 1
                users[key].add(post.author)
    return {k: (m, len(users[k])) for k, m in mentions.items()}
