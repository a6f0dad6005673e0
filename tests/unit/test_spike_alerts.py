"""Which buckets of a day document are alerted, and the alert mail's text (pure logic)."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg

from tweektrend_dagster.alerts import Spike, alert_days, alert_mail, recent_spikes
from tweektrend_dagster.alerts.store import alert_id
from tweektrend_dagster.defs.alerts.sensors import build_spike_alert_sensor, is_recent_day
from tweektrend_dagster.resources import MongoResource

NOW = datetime(2026, 11, 25, 14, 20, tzinfo=UTC)
WINDOW = timedelta(hours=3)


def day_doc(keyword: str, day: date, points: dict[int, tuple[int, float, bool]], hours: int = 24):
    """A day document with 10 mentions an hour, except `points`: hour → (mentions, score, spike)."""
    series = []
    for h in range(hours):
        mentions, score, hit = points.get(h, (10, 0.1, False))
        t = datetime(day.year, day.month, day.day, h, tzinfo=UTC)
        series.append(
            {
                "t": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mentions": mentions,
                "users": mentions // 2,
                "spike": score,
                "is_spike": hit,
            }
        )
    return {"_id": f"{keyword}|day|{day}", "keyword": keyword, "period": "day", "series": series}


def test_a_fresh_spike_is_alerted_with_its_numbers():
    doc = day_doc("bts", NOW.date(), {13: (90, 7.5, True)}, hours=15)
    [spike] = recent_spikes(doc, NOW, WINDOW)
    assert spike.t == datetime(2026, 11, 25, 13, tzinfo=UTC)
    assert (spike.keyword, spike.mentions, spike.score) == ("bts", 90, 7.5)
    assert spike.usual == 10  # median of the 13 hours before it
    assert spike.bucket == "2026-11-25T13:00:00Z"


def test_old_zero_unflagged_and_future_buckets_are_not_alerted():
    doc = day_doc(
        "bts",
        NOW.date(),
        {
            10: (200, 9.0, True),  # 4 h 20 min ago: outside the window
            11: (150, 8.0, True),  # 3 h 20 min ago: outside as well
            12: (0, 4.0, True),  # flagged but empty
            13: (80, 2.9, False),  # high, but not a spike by the score
            15: (300, 9.9, True),  # starts after now (cannot be real, must not mail)
        },
    )
    assert recent_spikes(doc, NOW, WINDOW) == []


def test_the_window_edge_and_the_current_hour_count():
    doc = day_doc("bts", NOW.date(), {11: (50, 5.0, True), 14: (60, 6.0, True)}, hours=15)
    edge = NOW.replace(hour=14, minute=0)  # 11:00 started exactly 3 h ago
    assert [s.t.hour for s in recent_spikes(doc, edge, WINDOW)] == [11, 14]
    assert [s.t.hour for s in recent_spikes(doc, NOW, WINDOW)] == [14]


def test_a_backfilled_day_keeps_its_spikes_off_the_mail():
    old = day_doc("bts", date(2026, 11, 20), {13: (500, 12.0, True)})
    assert recent_spikes(old, NOW, WINDOW) == []


def test_usual_level_of_an_early_hour_uses_the_day_before():
    today = date(2026, 11, 25)
    now = datetime(2026, 11, 25, 1, 30, tzinfo=UTC)
    doc = day_doc("bts", today, {0: (5, 0.0, False), 1: (70, 6.0, True)}, hours=2)
    before = day_doc("bts", today - timedelta(days=1), {h: (20, 0.0, False) for h in range(24)})
    [alone] = recent_spikes(doc, now, WINDOW)
    assert alone.usual == 5  # only midnight's bucket is known
    [spike] = recent_spikes(doc, now, WINDOW, previous=before)
    assert spike.usual == 20  # median of the trailing 24 hours: 23 × 20 and one 5


def test_first_bucket_without_history_has_no_usual_level():
    doc = day_doc("bts", NOW.date(), {0: (70, 6.0, True)}, hours=1)
    [spike] = recent_spikes(doc, NOW.replace(hour=1), WINDOW)
    assert spike.usual is None
    _, body = alert_mail(spike, "BTS", "http://dash")
    assert "no earlier hours to compare with" in body


def test_alert_days_cross_midnight_only_when_the_window_does():
    assert alert_days(NOW, WINDOW) == [date(2026, 11, 25)]
    early = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert alert_days(early, WINDOW) == [date(2026, 11, 24), date(2026, 11, 25)]
    assert is_recent_day("2026-11-24", early, WINDOW)
    assert not is_recent_day("2026-11-24", NOW, WINDOW)
    assert not is_recent_day(None, NOW, WINDOW)


def test_the_mail_names_keyword_hour_numbers_and_links():
    spike = Spike("bts", datetime(2026, 11, 25, 13, tzinfo=UTC), 90, 7.46, 10.0)
    subject, body = alert_mail(spike, "BTS", "http://dash.example/")
    assert "BTS" in subject and "13:00 UTC" in subject
    assert "2026-11-25 13:00–14:00 UTC" in body
    assert "Mentions:     90 (usual level 10 per hour" in body and "9.0× usual" in body
    assert "Spike score:  7.5" in body
    assert "http://dash.example/trends" in body and "http://dash.example/settings" in body


def test_the_subject_stays_one_line_and_the_body_plain():
    spike = Spike("<b>x</b>", datetime(2026, 11, 25, 13, tzinfo=UTC), 9, 3.0, 0.0)
    subject, body = alert_mail(spike, "<b>x</b>\r\nBcc: evil@example.com", "http://d")
    assert "\n" not in subject and "\r" not in subject
    assert "<b>x</b>" in body  # literal text in a text/plain mail, no markup made of it
    assert "× usual" not in body  # no ratio against a zero baseline


def test_dedupe_key_is_user_keyword_and_bucket():
    spike = Spike("코로나", datetime(2026, 11, 25, 13, tzinfo=UTC), 9, 3.0, 1.0)
    assert alert_id("u1", spike) == "u1|코로나|2026-11-25T13:00:00Z"


def test_sensor_skips_materialisations_of_old_days_without_touching_mongo():
    instance = dg.DagsterInstance.ephemeral()
    instance.report_runless_asset_event(
        dg.AssetMaterialization("daily_trends", partition="2024-01-05")
    )
    sensor = build_spike_alert_sensor(timedelta(hours=3))
    # an unreachable Mongo: the sensor must decide before connecting
    mongo = MongoResource(uri="mongodb://127.0.0.1:1/", database="none")
    context = dg.build_sensor_context(instance=instance, resources={"mongo": mongo})
    result = sensor.evaluate_tick(context)
    assert result.run_requests == [] and "2024-01-05" in result.skip_message
    assert context.cursor  # moved past the event: it is not looked at again


def test_definitions_wire_the_alert_sensor_to_its_job():
    from tweektrend_dagster.definitions import defs

    dg.Definitions.validate_loadable(defs)
    sensor = defs.resolve_sensor_def("spike_alert_sensor")
    assert sensor.job_name == "spike_alert_job"
    assert sensor.asset_key == dg.AssetKey("daily_trends")
    job = defs.resolve_job_def("spike_alert_job")
    assert {"mongo", "mail", "run_settings"} <= set(job.required_resource_keys)
