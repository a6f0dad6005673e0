"""Dagster software-defined assets: the raw stream (external) and the trend tables."""
