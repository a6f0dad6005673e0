"""The worker pool restarts a dying worker with growing back-off and says so in its status file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import replace

from tweektrend_dagster.config import Settings
from tweektrend_dagster.ingest.pool import (
    FIRST_DELAY,
    HEALTHY_AFTER,
    MAX_DELAY,
    Restarts,
    next_delay,
    read_restarts,
)


def crash_at_once(settings, name) -> None:
    """A worker that dies as soon as it starts (exit 1)."""
    sys.exit(1)


def test_back_off_doubles_to_a_cap_and_resets_after_a_healthy_minute():
    delays = [next_delay(None, 0.1)]
    for _ in range(8):
        delays.append(next_delay(delays[-1], 0.1))
    assert delays[:4] == [FIRST_DELAY, 2 * FIRST_DELAY, 4 * FIRST_DELAY, 8 * FIRST_DELAY]
    assert max(delays) == MAX_DELAY == delays[-1]
    assert next_delay(MAX_DELAY, HEALTHY_AFTER + 1) == FIRST_DELAY


def test_the_summary_reads_as_stack_status_shows_it():
    at = time.mktime((2026, 3, 1, 14, 2, 11, 0, 0, -1))
    assert Restarts(2, at, 1, "worker-1").summary() == "2 restarts, last 14:02:11 exit 1"
    assert Restarts(1, at, -9, "worker-2").summary() == "1 restart, last 14:02:11 exit -9"
    assert Restarts().summary() == "0 restarts"


def test_a_crashing_worker_is_restarted_with_growing_pauses(tmp_path):
    settings = replace(Settings.from_env(), home=tmp_path, consumer_group="crashy")
    code = (
        "import sys; from dataclasses import replace; from pathlib import Path\n"
        "from tweektrend_dagster.config import Settings\n"
        "from tweektrend_dagster.ingest.pool import run_pool\n"
        "from tests.unit.test_ingest_pool import crash_at_once\n"
        f"s = replace(Settings.from_env(), home=Path({str(tmp_path)!r}), consumer_group='crashy')\n"
        "sys.exit(run_pool(s, 1, target=crash_at_once, deletions=None))\n"
    )
    pool = subprocess.Popen([sys.executable, "-c", code], cwd=os.getcwd())
    try:
        seen: list[tuple[float, int]] = []
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            restarts = read_restarts(settings)
            if restarts and (not seen or restarts.count != seen[-1][1]):
                seen.append((time.monotonic(), restarts.count))
            if restarts and restarts.count >= 4:
                break
            time.sleep(0.05)
    finally:
        pool.send_signal(signal.SIGTERM)
        assert pool.wait(30) == 0
    restarts = read_restarts(settings)
    assert restarts is not None and restarts.count >= 4, seen
    assert restarts.last_exit == 1 and restarts.workers == {"worker-1": restarts.count}
    # pauses of 1 s, 2 s, 4 s between deaths (plus start-up time): they grow, no tight loop
    assert seen[0][1] == 0  # a fresh pool starts at 0 restarts
    gaps = [b[0] - a[0] for a, b in zip(seen[1:], seen[2:], strict=False)]
    assert len(gaps) >= 3, seen
    assert gaps[0] >= 1.0 and gaps[1] >= 2.0 and gaps[2] >= 4.0, gaps
