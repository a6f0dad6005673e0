"""Ingestion in Dagster: the tables the workers fill, as external assets at the root of the
lineage (the trends domain's ingestion sensor reports their progress on them)."""

import dagster as dg

from tweektrend_dagster.config import Settings


def build(settings: Settings) -> dg.Definitions:
    from tweektrend_dagster.defs.ingestion.assets import INGESTION_ASSETS

    return dg.Definitions(assets=INGESTION_ASSETS)
