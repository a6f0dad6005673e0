"""The one Definitions object: each domain's definitions (tweektrend_dagster/defs/) merged, with
the resources built from the settings."""

import dagster as dg

from tweektrend_dagster.config import Settings
from tweektrend_dagster.defs import alerts, ingestion, live, trends
from tweektrend_dagster.resources import (
    CassandraResource,
    KafkaResource,
    MailResource,
    MongoResource,
    RunSettingsResource,
    SparkResource,
)


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        "kafka": KafkaResource.from_settings(settings),
        "cassandra": CassandraResource.from_settings(settings),
        "mongo": MongoResource.from_settings(settings),
        "mail": MailResource.from_settings(settings),
        "spark": SparkResource.from_settings(settings),
        "run_settings": RunSettingsResource.from_settings(settings),
    }


def build_definitions(settings: Settings, **resources: dg.ConfigurableResource) -> dg.Definitions:
    """Every domain's definitions; `resources` replace the ones built from `settings` (tests)."""
    return dg.Definitions.merge(
        ingestion.build(settings),
        live.build(settings),
        trends.build(settings),
        alerts.build(settings),
        dg.Definitions(
            resources={**build_resources(settings), **resources},
            # Steps run inside their run's process: a run attaches to Spark once and pays one
            # Python start, not one per step (the jobs' steps run one after another anyway).
            executor=dg.in_process_executor,
        ),
    )


defs = build_definitions(Settings.from_env())
