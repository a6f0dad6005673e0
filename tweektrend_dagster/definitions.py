"""The one Definitions object: assets, resources, sensors, schedules and asset checks."""

import dagster as dg

from tweektrend_dagster.assets.raw import RAW_ASSETS
from tweektrend_dagster.assets.trends import (
    TREND_ASSETS,
    TREND_JOBS,
    daily_trends_job,
    keyword_backfill_job,
    monthly_trends_job,
    quarterly_trends_job,
    weekly_trends_job,
)
from tweektrend_dagster.jobs import ALERT_JOBS, spike_alert_job
from tweektrend_dagster.resources import (
    CassandraResource,
    KafkaResource,
    MailResource,
    MongoResource,
)
from tweektrend_dagster.resources.spark import SparkResource
from tweektrend_dagster.schedules import TREND_SCHEDULES
from tweektrend_dagster.sensors import (
    build_ingestion_sensor,
    build_keyword_sensor,
    build_spike_alert_sensor,
)

defs = dg.Definitions(
    assets=[*RAW_ASSETS, *TREND_ASSETS],
    jobs=[*TREND_JOBS, *ALERT_JOBS],
    schedules=TREND_SCHEDULES,
    sensors=[
        build_ingestion_sensor(
            [daily_trends_job, weekly_trends_job, monthly_trends_job, quarterly_trends_job]
        ),
        build_keyword_sensor(
            [keyword_backfill_job, weekly_trends_job, monthly_trends_job, quarterly_trends_job]
        ),
        build_spike_alert_sensor(spike_alert_job),
    ],
    # Steps run inside their run's process: a run attaches to Spark once and pays one Python
    # start, not one per step (the jobs' steps run one after another anyway).
    executor=dg.in_process_executor,
    resources={
        "kafka": KafkaResource(),
        "cassandra": CassandraResource(),
        "mongo": MongoResource(),
        "mail": MailResource(),
        "spark": SparkResource(),
    },
)
