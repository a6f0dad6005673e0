"""Alerts in Dagster: the spike alert mails (an op job) and the sensor that requests them."""

from datetime import timedelta

import dagster as dg

from tweektrend_dagster.config import Settings


def build(settings: Settings) -> dg.Definitions:
    from tweektrend_dagster.defs.alerts.jobs import spike_alert_job
    from tweektrend_dagster.defs.alerts.sensors import build_spike_alert_sensor

    return dg.Definitions(
        jobs=[spike_alert_job],
        sensors=[build_spike_alert_sensor(timedelta(hours=settings.alert_window_hours))],
    )
