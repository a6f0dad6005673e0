"""Spike alert mails end to end on the test stack's FerretDB: the sensor requests the job after
a daily_trends materialisation, the job mails opted-in followers through the mail catcher once
per (user, keyword, hour bucket), and retries a failed send on its next run."""

from __future__ import annotations

import email
import email.policy
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from streamlit_app.auth import Accounts
from tests.e2e.dashboard_server import free_port
from tweektrend_dagster.alerts.spikes import alert_days
from tweektrend_dagster.definitions import defs
from tweektrend_dagster.defs.alerts.jobs import spike_alert_job
from tweektrend_dagster.keywords import KeywordRegistry
from tweektrend_dagster.mail import read_mailbox, start_mailcatcher
from tweektrend_dagster.resources import MailResource, MongoResource, RunSettingsResource
from tweektrend_dagster.trend_store.publish import publish_documents

PASSWORD = "Tr3nd-watcher!"
DASHBOARD = "http://dash.test"


@pytest.fixture
def catcher(stack_settings, tmp_path, monkeypatch):
    """Settings whose SMTP port is a mail catcher of this test (its mail under tmp_path)."""
    for var in ("SMTP_HOST", "SMTP_USER", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_SECURITY"):
        monkeypatch.delenv(f"TWEEKTREND_{var}", raising=False)
    settings = replace(stack_settings, home=tmp_path, smtp_port=free_port())
    controller = start_mailcatcher(settings, echo=False)
    yield settings
    controller.stop()


def publish_day_series(db, keyword: str, now: datetime, spikes: dict[datetime, int]) -> None:
    """Day documents of `keyword` for every day the buckets touch, 10 mentions an hour up to
    now (like a current day) except the spike buckets (bucket start → mentions)."""
    docs = []
    for day in sorted({t.date() for t in spikes} | {now.date()}):
        series = []
        for h in range(24):
            t = datetime(day.year, day.month, day.day, h, tzinfo=UTC)
            if t > now:
                break
            mentions = spikes.get(t, 10)
            series.append(
                {
                    "t": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "mentions": mentions,
                    "users": mentions // 2,
                    "spike": 8.0 if t in spikes else 0.2,
                    "is_spike": t in spikes,
                }
            )
        docs.append(
            {
                "_id": f"{keyword}|day|{day}",
                "keyword": keyword,
                "period": "day",
                "start": day.isoformat(),
                "mentions": sum(p["mentions"] for p in series),
                "series": series,
            }
        )
    publish_documents(db, docs)


def new_user(db, keywords: list[str], alerts: bool):
    accounts = Accounts(db, "alerts-secret")
    user = accounts.sign_up(f"u{uuid.uuid4().hex[:8]}@example.com", PASSWORD)
    db["users"].update_one({"_id": user.id}, {"$set": {"verified": True}})
    accounts.set_spike_alerts(user.id, alerts)
    for keyword in keywords:
        KeywordRegistry(db).add(user.id, keyword)
    return user


def run_job(db, settings, smtp_port: int | None = None) -> dg.ExecuteInProcessResult:
    return spike_alert_job.execute_in_process(
        resources={
            "mongo": MongoResource(uri=settings.mongo_uri, database=db.name),
            "mail": MailResource(smtp_port=smtp_port or settings.smtp_port),
            "run_settings": RunSettingsResource.from_settings(settings),
        },
        run_config={"ops": {"send_spike_alerts": {"config": {"dashboard_url": DASHBOARD}}}},
        raise_on_error=False,
    )


def current_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def test_sensor_requests_the_job_for_a_recent_day_with_subscribers(stack_settings, mongo_db):
    sensor = defs.resolve_sensor_def("spike_alert_sensor")
    instance = dg.DagsterInstance.ephemeral()
    mongo = MongoResource(uri=stack_settings.mongo_uri, database=mongo_db.name)
    today = alert_days(datetime.now(UTC))[-1].isoformat()

    def tick(cursor):
        context = dg.build_sensor_context(
            cursor=cursor, instance=instance, resources={"mongo": mongo}
        )
        result = sensor.evaluate_tick(context)
        return result, context.cursor

    def materialise():
        instance.report_runless_asset_event(
            dg.AssetMaterialization("daily_trends", partition=today)
        )

    user = new_user(mongo_db, ["bts"], alerts=False)
    materialise()
    skipped, cursor = tick(None)
    assert skipped.run_requests == [] and "no user has spike alerts on" in skipped.skip_message

    Accounts(mongo_db, "alerts-secret").set_spike_alerts(user.id, True)
    materialise()
    requested, cursor = tick(cursor)
    [run] = requested.run_requests
    assert run.tags["tweektrend/day"] == today and run.run_key

    again, _ = tick(cursor)  # no new materialisation: nothing more
    assert again.run_requests == []


def test_one_mail_per_spike_only_to_opted_in_followers(mongo_db, catcher):
    now = datetime.now(UTC)
    fresh, stale = current_hour(now), current_hour(now) - timedelta(hours=5)
    publish_day_series(mongo_db, "bts", now, {fresh: 300, stale: 400})
    publish_day_series(mongo_db, "넷플릭스", now, {})
    publish_day_series(mongo_db, "코로나", now, {stale: 250})
    alice = new_user(mongo_db, ["BTS", "넷플릭스"], alerts=True)
    bob = new_user(mongo_db, ["bts"], alerts=False)
    carol = new_user(mongo_db, ["코로나"], alerts=True)

    first = run_job(mongo_db, catcher)
    assert first.success and first.output_for_node("send_spike_alerts") == 1
    [mail] = read_mailbox(catcher)  # the only mail at all: none for bob or carol
    assert mail.to == alice.email
    assert "BTS" in mail.subject and f"{fresh:%H:%M} UTC" in mail.subject
    assert "Mentions:     300 (usual level 10 per hour" in mail.body
    assert f"{DASHBOARD}/trends" in mail.links
    parsed = email.message_from_bytes(mail.path.read_bytes(), policy=email.policy.default)
    assert parsed.get_content_type() == "text/plain" and not parsed.is_multipart()
    logged = mongo_db["spike_alerts"].find_one(
        {"_id": f"{alice.id}|bts|{fresh:%Y-%m-%dT%H:%M:%SZ}"}
    )
    assert logged["status"] == "sent" and logged["mentions"] == 300

    second = run_job(mongo_db, catcher)
    assert second.success and second.output_for_node("send_spike_alerts") == 0
    assert len(read_mailbox(catcher)) == 1
    assert read_mailbox(catcher, bob.email) == [] and read_mailbox(catcher, carol.email) == []


def test_a_failed_send_is_retried_by_the_next_run(mongo_db, catcher):
    now = datetime.now(UTC)
    fresh = current_hour(now)
    publish_day_series(mongo_db, "bts", now, {fresh: 120})
    dave = new_user(mongo_db, ["bts"], alerts=True)
    alert_key = {"_id": f"{dave.id}|bts|{fresh:%Y-%m-%dT%H:%M:%SZ}"}

    down = run_job(mongo_db, catcher, smtp_port=free_port())  # nothing listens there
    assert not down.success
    logged = mongo_db["spike_alerts"].find_one(alert_key)
    assert logged["status"] == "failed" and "SMTP" in logged["error"]
    assert read_mailbox(catcher) == []

    up = run_job(mongo_db, catcher)
    assert up.success and up.output_for_node("send_spike_alerts") == 1
    assert [m.to for m in read_mailbox(catcher)] == [dave.email]
    logged = mongo_db["spike_alerts"].find_one(alert_key)
    assert (logged["status"], logged["attempts"]) == ("sent", 2)

    assert run_job(mongo_db, catcher).output_for_node("send_spike_alerts") == 0
    assert len(read_mailbox(catcher)) == 1
