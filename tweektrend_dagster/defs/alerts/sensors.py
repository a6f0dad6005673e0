"""The spike alert sensor: after a recent day's trends are published, request the alert mails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from tweektrend_dagster.alerts import alert_days
from tweektrend_dagster.alerts.store import has_opted_in_users
from tweektrend_dagster.defs.alerts.jobs import spike_alert_job
from tweektrend_dagster.defs.tags import DAY, TRIGGER
from tweektrend_dagster.defs.trends.assets import daily_trends
from tweektrend_dagster.resources import MongoResource


def is_recent_day(partition: str | None, now: datetime, window: timedelta) -> bool:
    """Whether a daily_trends partition can hold a bucket recent enough to mail about."""
    return partition in {d.isoformat() for d in alert_days(now, window)}


def build_spike_alert_sensor(window: timedelta) -> dg.SensorDefinition:
    """`window`: how recent a spike must be to be mailed (TWEEKTREND_ALERT_WINDOW_HOURS)."""

    @dg.asset_sensor(
        asset_key=daily_trends.key,
        name="spike_alert_sensor",
        job=spike_alert_job,
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description="After daily_trends publishes a recent day, requests the spike alert mails "
        "(skipped while no user has alerts on).",
    )
    def spike_alert_sensor(
        context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry, mongo: MongoResource
    ):
        # the asset sensor's cursor moves past this event; only the newest one is looked at
        partition = asset_event.dagster_event.partition if asset_event.dagster_event else None
        if not is_recent_day(partition, datetime.now(UTC), window):
            return dg.SkipReason(f"daily_trends {partition} is not a recent day")
        with mongo.db() as db:
            if not has_opted_in_users(db):
                return dg.SkipReason("no user has spike alerts on")
        return dg.RunRequest(
            run_key=f"alerts:{partition}:{asset_event.run_id}:{asset_event.timestamp}",
            tags={TRIGGER: "spike_alert_sensor", DAY: partition},
        )

    return spike_alert_sensor
