"""Old home of the simulator's word lists, now `simulator.vocab`; kept for bench/ingest.py.

Delete once bench/ingest.py imports DEFAULT_KEYWORDS from `ingest.sources.simulator`.
"""

from tweektrend_dagster.ingest.sources.simulator.vocab import *  # noqa: F403
