"""An op job, for a side effect that is not an asset: `spike_alert_job` mails opted-in users
about new spikes of their keywords; the spike alert sensor (sensors.py) requests it after
`daily_trends` materialisations of a recent day."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from tweektrend_dagster.alerts.deliver import deliver_spike_alerts
from tweektrend_dagster.defs.tags import KIND
from tweektrend_dagster.resources import MailResource, MongoResource, RunSettingsResource


class SpikeAlertConfig(dg.Config):
    """Run configuration of the alert mails; unset: the `run_settings` resource's (a spike
    older than the window, by its bucket start, is not mailed: it is news only while fresh)."""

    window_hours: float | None = None
    dashboard_url: str = ""  # the dashboard's address in the mails


@dg.op(
    out=dg.Out(int, description="Mails sent"),
    tags={"kind": "email"},
    description="Mails each opted-in follower once per new spike bucket (deduped in Mongo "
    "`spike_alerts`); a failed send is retried by the next run while the spike is recent.",
)
def send_spike_alerts(
    context: dg.OpExecutionContext,
    config: SpikeAlertConfig,
    mongo: MongoResource,
    mail: MailResource,
    run_settings: RunSettingsResource,
) -> dg.Output[int]:
    now = datetime.now(UTC)
    with mongo.db() as db:
        report = deliver_spike_alerts(
            db,
            mail.send,
            now,
            timedelta(hours=config.window_hours or run_settings.alert_window_hours),
            config.dashboard_url or run_settings.dashboard_url,
        )
    context.log.info(
        f"{report.keywords} keywords with alert subscribers, {report.spikes} recent spikes: "
        f"{report.sent} sent, {report.skipped} already sent, {report.failed} failed"
    )
    metadata = {
        "keywords": report.keywords,
        "spikes": report.spikes,
        "sent": report.sent,
        "already_sent": report.skipped,
        "failed": report.failed,
        # keywords are user text: shown as plain text, not Markdown
        "mailed": dg.MetadataValue.text("\n".join(report.mailed) or "none"),
    }
    if report.failed:
        # Claims were marked failed, so the next run retries them; the run shows red meanwhile.
        raise dg.Failure(description=report.errors[0], metadata=metadata)
    return dg.Output(report.sent, metadata=metadata)


@dg.job(
    description="E-mail alerts for new keyword spikes (requested by spike_alert_sensor).",
    tags={KIND: "alerts"},
)
def spike_alert_job() -> None:
    send_spike_alerts()
