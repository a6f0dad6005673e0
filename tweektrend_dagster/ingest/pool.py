"""`tweektrend ingest --workers N`: N worker processes in one consumer group."""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import time

from tweektrend_dagster.config import Settings

log = logging.getLogger(__name__)


def _child(settings: Settings, name: str) -> None:
    from tweektrend_dagster.cli_logging import setup_logging
    from tweektrend_dagster.ingest.worker import run_worker

    setup_logging()
    run_worker(settings, name)


def run_pool(settings: Settings, workers: int) -> int:
    """Runs the workers until SIGTERM/SIGINT; a worker that dies is restarted."""
    ctx = mp.get_context("spawn")  # no client state is inherited across the fork
    procs: dict[str, mp.Process] = {}
    stopping = False

    def start(name: str) -> None:
        proc = ctx.Process(target=_child, args=(settings, name), name=name, daemon=False)
        proc.start()
        procs[name] = proc

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for i in range(workers):
        start(f"worker-{i + 1}")
    while not stopping:
        time.sleep(0.5)
        for name, proc in list(procs.items()):
            if not proc.is_alive() and not stopping:
                log.warning("%s exited with %s; restarting it", name, proc.exitcode)
                start(name)
    for proc in procs.values():
        if proc.is_alive():
            proc.terminate()  # SIGTERM: each finishes its batch, commits and leaves the group
    for proc in procs.values():
        proc.join(60)
        if proc.is_alive():
            proc.kill()
    return 0
