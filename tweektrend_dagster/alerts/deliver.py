"""The delivery loop: recent spikes of followed keywords → one mail per (user, keyword, bucket).

Order per mail: claim in `spike_alerts` (insert by `_id`), send, then mark sent — or mark failed,
which the next run retries while the bucket is still recent. A run that dies between claim and
send leaves the claim in "sending" and that mail is not retried: an alert is never sent twice,
at the price of a rare lost one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pymongo.database import Database

from tweektrend_dagster.alerts import store
from tweektrend_dagster.alerts.message import alert_mail
from tweektrend_dagster.alerts.spikes import Spike, alert_days, recent_spikes
from tweektrend_dagster.mail import MailError

Send = Callable[[str, str, str], None]  # (to, subject, body); raises MailError


@dataclass
class AlertReport:
    keywords: int = 0  # followed by someone with alerts on
    spikes: int = 0  # recent spike buckets among them
    sent: int = 0
    skipped: int = 0  # already sent (or claimed) before
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    mailed: list[str] = field(default_factory=list)  # "keyword bucket" per mail, for the preview


def keyword_spikes(db: Database, keyword: str, now: datetime, window: timedelta) -> list[Spike]:
    """Recent spikes of one keyword, from its day documents read by `_id`."""
    spikes: list[Spike] = []
    for day in alert_days(now, window):
        doc = store.day_document(db, keyword, day.isoformat())
        if doc is None:
            continue
        found = recent_spikes(doc, now, window)
        if found:  # the day before only matters for the usual level of an early hour
            before = store.day_document(db, keyword, (day - timedelta(days=1)).isoformat())
            found = recent_spikes(doc, now, window, previous=before)
        spikes.extend(found)
    return spikes


def deliver_spike_alerts(
    db: Database, send: Send, now: datetime, window: timedelta, dashboard_url: str
) -> AlertReport:
    report = AlertReport()
    recipients = store.alert_recipients(db)
    report.keywords = len(recipients)
    for keyword, people in sorted(recipients.items()):
        for spike in keyword_spikes(db, keyword, now, window):
            report.spikes += 1
            for person in people:
                _deliver_one(db, send, spike, person, now, dashboard_url, report)
    return report


def _deliver_one(
    db: Database,
    send: Send,
    spike: Spike,
    person: store.Recipient,
    now: datetime,
    dashboard_url: str,
    report: AlertReport,
) -> None:
    if not store.claim(db, person.user_id, spike, now):
        report.skipped += 1
        return
    subject, body = alert_mail(spike, person.display, dashboard_url)
    try:
        send(person.email, subject, body)
    except MailError as exc:
        store.mark_failed(db, person.user_id, spike, str(exc))
        report.failed += 1
        report.errors.append(str(exc))
        return
    store.mark_sent(db, person.user_id, spike, now)
    report.sent += 1
    report.mailed.append(f"{spike.keyword} {spike.bucket}")
