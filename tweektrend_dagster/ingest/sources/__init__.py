"""Tweet sources: simulator, replay and the X API; see `base` for the interface."""

from tweektrend_dagster.ingest.sources.base import Source, known_kinds, make_source, register_source

__all__ = ["Source", "known_kinds", "make_source", "register_source"]
