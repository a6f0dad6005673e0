"""Period arithmetic shared by the Spark code, the assets and the tests (pure Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

PeriodKind = Literal["day", "week", "month", "quarter"]
PERIOD_KINDS: tuple[PeriodKind, ...] = ("day", "week", "month", "quarter")


def _add_months(d: date, months: int) -> date:
    m = d.month - 1 + months
    return date(d.year + m // 12, m % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A calendar period [start, end) in UTC; weeks start on Monday, quarters in Jan/Apr/Jul/Oct."""

    kind: PeriodKind
    start: date

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        if kind == "day":
            return cls(kind, day)
        if kind == "week":
            return cls(kind, day - timedelta(days=day.weekday()))
        if kind == "month":
            return cls(kind, day.replace(day=1))
        return cls(kind, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))

    @property
    def end(self) -> date:
        if self.kind == "day":
            return self.start + timedelta(days=1)
        if self.kind == "week":
            return self.start + timedelta(days=7)
        return _add_months(self.start, 1 if self.kind == "month" else 3)

    @property
    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]

    @property
    def hourly(self) -> bool:
        """A day is charted by hour, every longer period by day."""
        return self.kind == "day"

    def bucket_starts(self) -> list[datetime]:
        start = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
        if self.hourly:
            return [start + timedelta(hours=h) for h in range(24)]
        return [start + timedelta(days=i) for i in range(len(self.days))]

    def closes_at(self, grace: timedelta) -> datetime:
        end = datetime(self.end.year, self.end.month, self.end.day, tzinfo=UTC)
        return end + grace

    def doc_id(self, keyword: str) -> str:
        return f"{keyword}|{self.kind}|{self.start.isoformat()}"


# Spike baseline: trailing buckets before the period (a day's hours, or a week of days).
SPIKE_WINDOW = {"day": 24, "week": 7, "month": 7, "quarter": 7}
# Largest lag tried in the correlation, in buckets (hours for a day, days otherwise).
MAX_LAG = {"day": 6, "week": 2, "month": 7, "quarter": 14}


def trailing_days(period: Period) -> list[date]:
    """Days before the period whose buckets feed the spike baseline of its first buckets."""
    n = 1 if period.hourly else SPIKE_WINDOW[period.kind]
    return [period.start - timedelta(days=i) for i in range(n, 0, -1)]
