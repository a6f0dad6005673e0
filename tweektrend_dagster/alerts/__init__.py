"""Opt-in e-mail alerts for keyword spikes: which buckets to alert (pure), the mail text (pure),
subscribers and the dedupe log in Mongo, and the delivery loop the Dagster job runs."""

from tweektrend_dagster.alerts.message import alert_mail
from tweektrend_dagster.alerts.spikes import DEFAULT_WINDOW, Spike, alert_days, recent_spikes

__all__ = ["DEFAULT_WINDOW", "Spike", "alert_days", "alert_mail", "recent_spikes"]
