"""The researcher's command line against the test stack's FerretDB: topics added, shown, edited
and removed through the registry; trend documents built by the analytics' own document builder
from posts counted here in plain Python, published and indexed as the trend assets do; `trends
show` prints their figures and `export` writes files that read back equal to those counts."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

import orjson
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tweektrend_dagster.analytics.documents import build_documents
from tweektrend_dagster.analytics.rollup import KeywordStats, PeriodStats
from tweektrend_dagster.cli import app
from tweektrend_dagster.contracts.names import USER_KEYWORDS
from tweektrend_dagster.contracts.periods import Period
from tweektrend_dagster.keywords import KeywordRegistry, parse_rule, x_rules
from tweektrend_dagster.keywords.registry import CLI_USER
from tweektrend_dagster.trend_store.publish import publish_documents
from tweektrend_dagster.trend_store.ranges import update_keyword_ranges

pytestmark = pytest.mark.integration

RULE = "코로나 OR covid -게임"
MARCH = Period("month", date(2024, 3, 1))


@dataclass(frozen=True)
class Post:
    at: datetime
    author: str
    retweet: bool


def _posts(seed: int = 7) -> list[Post]:
    """March 2024 posts of a topic: a few authors, some days empty, a third of them retweets."""
    rnd = random.Random(seed)
    posts = []
    for day in range(1, 32):
        if day % 5 == 0:
            continue  # days without posts stay zero in the series
        for _ in range(rnd.randrange(1, 9)):
            at = datetime(2024, 3, day, rnd.randrange(24), tzinfo=UTC)
            posts.append(Post(at, f"user{rnd.randrange(12)}", rnd.random() < 0.33))
    return posts


def _stats(key: str, period: Period, posts: list[Post]) -> KeywordStats:
    """What the Spark roll-up computes for a key and period, counted in plain Python."""
    mine = [p for p in posts if period.start <= p.at.date() < period.end]
    buckets: dict[datetime, set[str]] = defaultdict(set)
    counts: Counter[datetime] = Counter()
    for p in mine:
        t = p.at.replace(hour=0) if not period.hourly else p.at
        counts[t] += 1
        buckets[t].add(p.author)
    by_author = Counter(p.author for p in mine)
    return KeywordStats(
        keyword=key, mentions=len(mine), unique_users=len({p.author for p in mine}),
        prev_mentions=0, prev_unique_users=0,
        buckets={t: (counts[t], len(buckets[t])) for t in counts},
        top_users=[{"author_id": a[4:], "username": a, "name": a.title(), "posts": n,
                    "followers": 100 + int(a[4:])}
                   for a, n in sorted(by_author.items(), key=lambda x: (-x[1], x[0]))[:10]],
        words=[("백신", 9, 20), ("=HYPERLINK(1)", 4, 4)],
    )


def _originals(stats: KeywordStats, doc: dict) -> dict:
    """The `originals` figures of the design (issue 15) from the originals' own stats."""
    return {
        "mentions": stats.mentions, "unique_users": stats.unique_users,
        "prev_mentions": 0, "prev_unique_users": 0,
        "change_mentions_pct": None, "change_users_pct": None,
        "series": [{"t": p["t"], "mentions": m, "users": u} for p, (m, u) in zip(
            doc["series"],
            [stats.buckets.get(datetime.fromisoformat(p["t"].replace("Z", "+00:00")), (0, 0))
             for p in doc["series"]], strict=True)],
        "top_users": stats.top_users,
    }


def _publish(db, key: str, period: Period, posts: list[Post], with_originals: bool) -> dict:
    """Build, stamp and publish one period's document as the trend assets do."""
    stats = PeriodStats(period=period, background_tweets=1000, days_present=period.days,
                        prev_days_present=[], keywords={key: _stats(key, period, posts)},
                        as_of=datetime(2024, 4, 2, tzinfo=UTC))
    (doc,) = build_documents(stats, now=datetime(2024, 4, 2, tzinfo=UTC))
    rule = KeywordRegistry(db).rules_for([key])[key]
    doc["rule"], doc["rule_version"] = rule.canonical, rule.version
    doc["originals"] = None  # as the builder writes a period whose originals were not counted
    if with_originals:
        originals = _stats(key, period, [p for p in posts if not p.retweet])
        doc["originals"] = _originals(originals, doc)
    publish_documents(db, [doc])
    update_keyword_ranges(db, [doc])
    return doc


@pytest.fixture
def cli(stack_settings, mongo_db):
    runner = CliRunner()
    env = {**stack_settings.as_env(), "TWEEKTREND_MONGO_DB": mongo_db.name}

    def run(*args: str):
        return runner.invoke(app, list(args), env=env)

    return run


def test_a_topic_from_add_to_export(cli, mongo_db, tmp_path):
    key = parse_rule(RULE).key
    added = cli("topics", "add", "covid ko", RULE)
    assert added.exit_code == 0, added.output
    assert f"key {key}" in added.stdout
    assert parse_rule(RULE).explain() in added.stdout
    assert "X receives: " in added.stdout and "being backfilled" in added.stdout
    listed = cli("topics", "list")
    assert "covid ko" in listed.stdout and RULE in listed.stdout and key in listed.stdout
    shown = cli("topics", "show", "covid ko")
    assert "not computed yet" in shown.stdout and f"canonical: {parse_rule(RULE).canonical}" \
        in shown.stdout

    posts = _posts()
    month = _publish(mongo_db, key, MARCH, posts, with_originals=True)
    week = Period("week", date(2024, 3, 4))
    _publish(mongo_db, key, week, posts, with_originals=False)

    # the newest month with data by default, the totals as counted
    table = cli("trends", "show", "covid ko", "--period", "month")
    assert table.exit_code == 0, table.output
    assert "month 2024-03-01 – 2024-03-31 · all posts" in table.stdout
    mentions_line = next(line for line in table.stdout.splitlines()
                         if line.startswith("mentions"))
    assert mentions_line.split()[1] == f"{len(posts):,}"
    day3 = [p for p in posts if p.at.date() == date(2024, 3, 3)]
    day3_line = next(line for line in table.stdout.splitlines() if line.startswith("2024-03-03"))
    assert day3_line.split()[2:4] == [str(len(day3)), str(len({p.author for p in day3}))]
    originals = [p for p in posts if not p.retweet]
    table = cli("trends", "show", key, "--period", "month", "--exclude-retweets")
    assert table.exit_code == 0, table.output
    assert next(line for line in table.stdout.splitlines()
                if line.startswith("mentions")).split()[1] == f"{len(originals):,}"
    # a day of the week asked for; its document has no originals yet: said, not guessed
    week_table = cli("trends", "show", "covid ko", "--period", "week", "--start", "2024-03-06",
                     "--exclude-retweets")
    assert week_table.exit_code == 1 and "no figures for original posts" in week_table.stderr
    assert "week 2024-03-04" in cli("trends", "show", "covid ko", "--period", "week",
                                    "--start", "2024-03-06").stdout

    csv_out = tmp_path / "covid.csv"
    exported = cli("export", "covid ko", "--period", "month", "--format", "csv",
                   "--out", str(csv_out))
    assert exported.exit_code == 0, exported.output
    series = pd.read_csv(csv_out, encoding="utf-8-sig")
    per_day = Counter(p.at.date().isoformat() for p in posts)
    per_day_originals = Counter(p.at.date().isoformat() for p in originals)
    assert len(series) == 31
    assert series["mentions"].tolist() == [per_day[t[:10]] for t in series["t"]]
    assert series["original_mentions"].tolist() == [
        per_day_originals[t[:10]] for t in series["t"]]
    words = pd.read_csv(tmp_path / "covid.related_words.csv", encoding="utf-8-sig")
    assert "'=HYPERLINK(1)" in words["word"].tolist()  # a formula arrives as text
    users = pd.read_csv(tmp_path / "covid.top_users.csv", encoding="utf-8-sig")
    assert users[users["among"] == "all"]["posts"].tolist() == [
        u["posts"] for u in month["top_users"]]

    again = cli("export", "covid ko", "--format", "csv", "--out", str(csv_out))
    assert again.exit_code == 1 and "--overwrite" in again.stderr
    pq_out = tmp_path / "covid.parquet"
    assert cli("export", "covid ko", "--format", "parquet", "--out", str(pq_out)).exit_code == 0
    table = pq.read_table(pq_out)
    meta = orjson.loads(table.schema.metadata[b"tweektrend"])
    assert meta["key"] == key and meta["rule_version"] == parse_rule(RULE).version
    assert meta["start"] == "2024-03-01" and meta["final"] is True
    frame = table.to_pandas()
    assert frame["users"].tolist() == [p["users"] for p in month["series"]]
    assert frame["t"].iloc[0] == pd.Timestamp("2024-03-01", tz="UTC")

    shown = cli("topics", "show", "covid ko")
    assert "trend documents with posts from 2024-03-01" in shown.stdout

    # no longer followed: its history stays readable by key
    assert cli("topics", "remove", "covid ko").exit_code == 0
    by_key = cli("trends", "show", key, "--period", "month")
    assert by_key.exit_code == 0, by_key.output
    assert f"(key {key}) · month 2024-03-01" in by_key.stdout


def test_editing_removing_and_bad_input(cli, mongo_db):
    assert cli("topics", "add", "covid ko", RULE).exit_code == 0
    edited = cli("topics", "edit", "covid ko", "covid", "-게임")  # an exclusion, unquoted
    assert edited.exit_code == 0, edited.output
    new_key = parse_rule("covid -게임").key
    assert f"key {new_key} (was {parse_rule(RULE).key}" in edited.stdout
    shown = cli("topics", "show", "covid ko")
    assert "versions (2):" in shown.stdout and "(current)" in shown.stdout
    assert f"key: {new_key}" in shown.stdout
    waiting = cli("trends", "show", "covid ko")  # the new rule's history is not there yet
    assert waiting.exit_code == 1 and "still being backfilled" in waiting.stderr
    assert f"tweektrend trends show {parse_rule(RULE).key}" in waiting.stderr

    saved = mongo_db[USER_KEYWORDS].count_documents({"user_id": CLI_USER})
    broken = cli("topics", "add", "broken", '"covid OR 코로나')
    assert broken.exit_code == 1 and "^" in broken.stderr
    refused = cli("topics", "add", "noise", "-게임")
    assert refused.exit_code == 1 and "almost every post" in refused.stderr
    taken = cli("topics", "add", "covid ko", "bts")
    assert taken.exit_code == 1 and "already have a topic named" in taken.stderr
    assert mongo_db[USER_KEYWORDS].count_documents({"user_id": CLI_USER}) == saved

    long_rule = " OR ".join(f"word{i}" for i in range(120))
    long = cli("topics", "add", "long", long_rule)
    assert long.exit_code == 0, long.output
    parts = len(x_rules(parse_rule(long_rule)).values)
    assert parts > 1 and "longer than X allows" in long.stdout
    assert f"as {parts} rules" in long.stdout

    removed = cli("topics", "remove", "covid ko")
    assert removed.exit_code == 0 and f"trends show {new_key}" in removed.stdout
    assert "covid ko" not in cli("topics", "list").stdout
    missing = cli("topics", "show", "covid ko")
    assert missing.exit_code == 1 and "topics list" in missing.stderr


def test_a_topic_names_another_users_keyword_when_it_is_not_yours(cli, mongo_db):
    KeywordRegistry(mongo_db).add("someone", "BTS")
    _publish(mongo_db, "bts", Period("day", date(2024, 3, 3)),
             [Post(datetime(2024, 3, 3, h, tzinfo=UTC), f"user{h % 4}", False) for h in range(10)],
             with_originals=True)
    shown = cli("trends", "show", "BTS", "--period", "day")
    assert shown.exit_code == 0, shown.output
    assert "day 2024-03-03" in shown.stdout and "05:00" in shown.stdout
    unknown = cli("trends", "show", "nobody follows this", "--period", "day")
    assert unknown.exit_code == 1 and "no topic or followed keyword" in unknown.stderr
    empty = cli("trends", "show", "BTS", "--period", "day", "--start", "2024-03-04")
    assert empty.exit_code == 1 and "no trend document" in empty.stderr
