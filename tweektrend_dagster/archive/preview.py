"""How many archived posts of the last 7 days a rule matches, before the user saves it.

The window is the 7 days ending with the newest archived day (today on a live stack; the
archive's last week after an import). Hours are read newest first, with the same evaluator as
ingestion, until the window is done or the budget (rows, seconds) is spent: a page waits a few
seconds at most, and says when the count covers only the newest part of the window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cassandra.cluster import Session
from cassandra.query import SimpleStatement

from tweektrend_dagster.contracts import names
from tweektrend_dagster.keywords.rules import Rule, RuleSet
from tweektrend_dagster.tweets.model import InvalidTweet, Tweet

WINDOW_DAYS = 7
MAX_ROWS = 150_000
MAX_SECONDS = 4.0
PAGE = 2_000


@dataclass(frozen=True)
class RulePreview:
    matched: int
    scanned: int
    complete: bool  # every archived post of the window was read
    first: datetime | None  # oldest hour read
    last: datetime | None  # newest hour read
    days: int  # days of the window that hold data

    def per_day(self) -> float | None:
        """Matches per day over the span read (an estimate when not complete)."""
        if self.first is None or self.last is None:
            return None
        span = max((self.last - self.first).total_seconds() + 3600, 3600) / 86400
        return self.matched / span

    def sentence(self) -> str:
        """What the count means, for a page or a terminal."""
        if not self.scanned:
            return "The archive holds no posts yet, so nothing to preview."
        share = f"{self.matched:,} of {self.scanned:,} archived posts"
        if self.complete:
            return (f"{share} from the last {WINDOW_DAYS} days with data "
                    f"({self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}) match.")
        per_day = self.per_day()
        estimate = f" (≈ {per_day:,.0f} a day)" if per_day is not None else ""
        return (f"{share} match, read newest first from {self.last:%Y-%m-%d %H}:00 back to "
                f"{self.first:%Y-%m-%d %H}:00{estimate}; the rest of the "
                f"{WINDOW_DAYS}-day window was not read for this preview.")


def _day(value) -> date:  # noqa: ANN001 - the driver's Date or a date
    return value.date() if hasattr(value, "date") and not isinstance(value, date) else value


def window_hours(session: Session) -> list[datetime]:
    """The archived hours of the last 7 days with data, newest first."""
    days = sorted((_day(r.day) for r in session.execute(
        "SELECT day FROM ingested_days WHERE scope='all'")), reverse=True)
    if not days:
        return []
    window = [d for d in days if d > days[0] - timedelta(days=WINDOW_DAYS)]
    hours: list[datetime] = []
    for day in window:
        rows = session.execute(
            "SELECT hour FROM ingested_hours WHERE scope='all' AND day = %s", (day,))
        marked = sorted((int(r.hour) for r in rows), reverse=True)
        # days archived before hours were marked: every hour may hold posts
        for hour in marked or range(23, -1, -1):
            hours.append(datetime(day.year, day.month, day.day, hour, tzinfo=UTC))
    return hours


def preview_rule(
    session: Session, rule: Rule, *, max_rows: int = MAX_ROWS, max_seconds: float = MAX_SECONDS,
    clock=time.monotonic,  # noqa: ANN001 - injectable for tests
) -> RulePreview:
    """Count the archived posts of the window that `rule` matches (see the module doc)."""
    matcher = RuleSet({rule.key: rule})
    hours = window_hours(session)
    started = clock()
    matched = scanned = 0
    first = last = None
    complete = True
    statement = SimpleStatement(
        f"SELECT tweet FROM {names.RAW_TABLE} WHERE day = %s AND hour = %s", fetch_size=PAGE)
    for hour in hours:
        if scanned >= max_rows or clock() - started > max_seconds:
            complete = False
            break
        rows = session.execute(statement, (hour.date(), hour.hour))
        read_any = False
        for row in rows:
            read_any = True
            scanned += 1
            try:
                tweet = Tweet.from_json(row.tweet)
            except InvalidTweet:
                continue  # never written by the workers
            if matcher.match(tweet):
                matched += 1
            if scanned >= max_rows or (scanned % PAGE == 0 and clock() - started > max_seconds):
                complete = False
                break
        if read_any:
            last = last or hour
            first = hour
        if not complete:
            break
    return RulePreview(matched, scanned, complete and bool(scanned), first, last,
                       len({h.date() for h in hours}))
