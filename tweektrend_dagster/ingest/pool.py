"""`tweektrend ingest --workers N`: N worker processes in one consumer group, and the deletion
applier (`ingest/deletions.py`) beside them.

A worker that dies is restarted after 1 s, 2 s, 4 s … (at most a minute), so a worker that
crashes at once does not spin through group rebalances; a worker that ran a healthy minute starts
again from 1 s. Restarts are written to `run/ingest-<group>.json` under the data directory, where
`tweektrend stack status` reads them.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tweektrend_dagster.config import Settings

log = logging.getLogger(__name__)

FIRST_DELAY = 1.0
MAX_DELAY = 60.0
HEALTHY_AFTER = 60.0  # seconds of life after which the next restart waits FIRST_DELAY again


@dataclass
class Restarts:
    """What `stack status` shows about the pool: how often workers died, and the last time."""

    count: int = 0
    last_at: float | None = None  # epoch seconds
    last_exit: int | None = None
    last_worker: str | None = None
    workers: dict[str, int] = field(default_factory=dict)  # name -> restarts

    def summary(self) -> str:
        if not self.count or self.last_at is None:
            return "0 restarts"
        when = time.strftime("%H:%M:%S", time.localtime(self.last_at))
        plural = "restart" if self.count == 1 else "restarts"
        return f"{self.count} {plural}, last {when} exit {self.last_exit}"


def restarts_file(settings: Settings) -> Path:
    return settings.home / "run" / f"ingest-{settings.consumer_group}.json"


def read_restarts(settings: Settings) -> Restarts | None:
    try:
        return Restarts(**json.loads(restarts_file(settings).read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def next_delay(previous: float | None, lived: float) -> float:
    """Back-off before restarting a worker that lived `lived` seconds."""
    if previous is None or lived >= HEALTHY_AFTER:
        return FIRST_DELAY
    return min(previous * 2, MAX_DELAY)


def _child(settings: Settings, name: str) -> None:
    from tweektrend_dagster.cli_logging import setup_logging
    from tweektrend_dagster.ingest.worker import run_worker

    setup_logging()
    run_worker(settings, name)


def _deletions_child(settings: Settings, name: str) -> None:
    from tweektrend_dagster.cli_logging import setup_logging
    from tweektrend_dagster.ingest.deletions import run_deletions

    setup_logging()
    run_deletions(settings, name)


@dataclass
class _Slot:
    proc: mp.process.BaseProcess | None = None
    started: float = 0.0
    delay: float | None = None  # the last back-off
    due: float = 0.0  # monotonic time of the pending restart


def run_pool(settings: Settings, workers: int, target: Callable = _child,
             deletions: Callable | None = _deletions_child) -> int:
    """Runs the workers (and the deletion applier) until SIGTERM/SIGINT; a process that dies
    is restarted with back-off."""
    ctx = mp.get_context("spawn")  # no client state is inherited across the fork
    targets = {f"worker-{i + 1}": target for i in range(workers)}
    if deletions is not None:
        targets["deletions"] = deletions
    slots: dict[str, _Slot] = {name: _Slot() for name in targets}
    restarts = Restarts()
    path = restarts_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    stopping = False

    def save() -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(restarts)))
        tmp.replace(path)

    def start(name: str) -> None:
        proc = ctx.Process(target=targets[name], args=(settings, name), name=name, daemon=False)
        proc.start()
        slots[name].proc, slots[name].started = proc, time.monotonic()

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    save()  # a fresh pool starts at 0 restarts
    for name in slots:
        start(name)
    while not stopping:
        time.sleep(0.2)
        now = time.monotonic()
        for name, slot in slots.items():
            if stopping:
                break
            if slot.proc is not None and not slot.proc.is_alive():
                lived = now - slot.started
                slot.delay = next_delay(slot.delay, lived)
                slot.due = now + slot.delay
                restarts.count += 1
                restarts.last_at, restarts.last_exit = time.time(), slot.proc.exitcode
                restarts.last_worker = name
                restarts.workers[name] = restarts.workers.get(name, 0) + 1
                save()
                log.warning(
                    "%s exited with %s after %.1fs; restarting it in %.0fs",
                    name,
                    slot.proc.exitcode,
                    lived,
                    slot.delay,
                )
                slot.proc = None
            if slot.proc is None and now >= slot.due:
                start(name)
    running = [s.proc for s in slots.values() if s.proc is not None]
    for proc in running:
        if proc.is_alive():
            proc.terminate()  # SIGTERM: each finishes its batch, commits and leaves the group
    for proc in running:
        proc.join(60)
        if proc.is_alive():
            proc.kill()
    return 0
