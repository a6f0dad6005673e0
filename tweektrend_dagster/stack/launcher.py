"""`tweektrend stack up|down|status`: the whole local stack under one data directory.

Servers (Kafka, Cassandra, FerretDB, the Spark Connect server) start first and in parallel;
each must answer a real request before the stack counts as up. Then the bootstrap (topics,
schema, indexes) runs and the project's own processes (apps) start. Both are handed in by the
caller (`tweektrend_dagster/local_stack.py`): the launcher knows nothing of the product.
A second `up` leaves running parts alone.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from tweektrend_dagster.config import Settings
from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.stack.app import App
from tweektrend_dagster.stack.process import ManagedProcess, port_in_use
from tweektrend_dagster.stack.servers import Server, all_servers

# (settings, with the demo data) → lines to print; runs once the servers are up
Bootstrap = Callable[[Settings, bool], Iterable[str]]


@dataclass
class Status:
    name: str
    title: str
    state: str  # up, down, starting, failed
    pid: int | None
    address: str
    detail: str = ""


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status < 500
    except Exception:
        return False


class Stack:
    def __init__(
        self,
        settings: Settings | None = None,
        echo: Callable[[str], None] = print,
        only: list[str] | None = None,
        apps: Callable[[Settings], list[App]] | None = None,
        bootstrap: Bootstrap | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self._apps = apps
        self._bootstrap = bootstrap
        servers = all_servers(self.settings)
        unknown = set(only or []) - {s.name for s in servers}
        if unknown:
            raise ServiceUnavailable(
                f"Unknown server(s) {sorted(unknown)}; choose from "
                f"{', '.join(s.name for s in servers)}."
            )
        self.servers: list[Server] = [s for s in servers if not only or s.name in only]
        self.partial = bool(only)  # a partial stack runs no bootstrap and no apps
        self.echo = echo

    # -- servers ---------------------------------------------------------------------------------
    def _proc(self, name: str) -> ManagedProcess:
        return ManagedProcess(name, self.settings.home)

    def _check_ports_free(self, server: Server) -> None:
        for purpose, port in server.ports().items():
            if port_in_use(server.host, port):
                raise ServiceUnavailable(
                    f"Cannot start {server.title}: port {port} ({purpose}) on {server.host} "
                    f"is already in use by another program.\nStop that program (see "
                    f"`ss -ltnp 'sport = :{port}'`) or choose other ports with the "
                    f"TWEEKTREND_{server.port_variable}_* environment variables (see README)."
                )

    def up_servers(self) -> None:
        """Start what is not running, all at once except a server that must wait for another
        one started now (a Cassandra node for the seed, Spark's driver for its master)."""
        self.settings.home.mkdir(parents=True, exist_ok=True)
        to_start = [s for s in self.servers if self._needs_start(s)]
        unready = {s.name: s for s in to_start}  # started this time, not yet answering
        while to_start:
            free = [s for s in to_start if not set(s.start_after) & set(unready)]
            if not free:
                waiting = {d for s in to_start for d in s.start_after} & set(unready)
                blocker = next(unready[n] for n in unready
                               if n in waiting and unready[n] not in to_start)
                self._wait_ready(unready.pop(blocker.name))
                continue
            for server in free:
                self._start(server)
                to_start.remove(server)
        for server in unready.values():
            self._wait_ready(server)

    def _needs_start(self, server: Server) -> bool:
        proc = self._proc(server.name)
        if proc.running():
            self.echo(f"  {server.title}: already running (pid {proc.pid()})")
            return False
        if proc.stale:
            self.echo(f"  {server.title}: removed a {proc.stale}")
        self._check_ports_free(server)
        return True

    def _start(self, server: Server) -> None:
        self.echo(
            f"  {server.title}: preparing (first run fetches artifacts; this can take minutes)")
        cmd, cwd = server.command()
        self._proc(server.name).start(cmd, cwd, env=server.env())

    def _wait_ready(self, server: Server) -> None:
        detail = self._wait(
            server.title,
            self._proc(server.name),
            server.probe,
            server.address(),
            server.start_timeout,
        )
        self.echo(f"  {server.title}: up at {server.address()} ({detail})")

    def _wait(
        self,
        title: str,
        proc: ManagedProcess,
        probe: Callable[[], object],
        address: str,
        timeout: float,
    ) -> object:
        """Until `probe()` answers; a process that exits meanwhile is reported with its log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not proc.running():
                raise ServiceUnavailable(
                    f"{title} exited during start-up. Last lines of {proc.logfile}:\n"
                    f"{proc.log_tail(25)}"
                )
            answer = probe()
            if answer:
                proc.confirm()  # its command line now is the one `down` will look for
                return answer
            time.sleep(1)
        raise ServiceUnavailable(
            f"{title} did not answer at {address} within {timeout:.0f}s. "
            f"Last lines of {proc.logfile}:\n{proc.log_tail(25)}"
        )

    # -- apps ------------------------------------------------------------------------------------
    def apps(self) -> list[App]:
        if self.partial or self._apps is None:
            return []
        return self._apps(self.settings)

    def up_apps(self) -> None:
        for app in self.apps():
            proc = self._proc(app.name)
            if not app.enabled:
                if proc.running() and proc.stop(timeout=20.0):
                    self.echo(f"  stopped {app.title}: not chosen this time")
                continue
            if proc.running():
                self.echo(f"  {app.title}: already running (pid {proc.pid()})")
                continue
            if app.port and port_in_use(self.settings.host, app.port):
                raise ServiceUnavailable(
                    f"Cannot start {app.title}: port {app.port} is already in use.")
            for target, source in app.files.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(source.read_text())
            proc.start(app.argv, self.settings.home / "apps", env=self.app_env(app))
            if app.url:
                self._wait(
                    app.title, proc, lambda url=app.url: _http_ok(url), app.url, app.start_timeout
                )
                self.echo(f"  {app.title}: up at {app.address}")
            else:
                time.sleep(0.5)
                if not proc.running():
                    raise ServiceUnavailable(
                        f"{app.title} exited at once. Last lines of {proc.logfile}:\n"
                        f"{proc.log_tail(25)}"
                    )
                proc.confirm()
                where = "" if app.address == "-" else f"at {app.address}, "
                self.echo(f"  {app.title}: running ({where}log {proc.logfile})")

    def app_env(self, app: App) -> dict[str, str]:
        """Every app gets the stack's data directory as an absolute path: apps run with cwd
        `apps/`, where the relative default would make a second data directory."""
        return {"TWEEKTREND_HOME": str(self.settings.home), **app.env}

    def move_misplaced_data(self) -> None:
        """Once: what apps wrote under `apps/.tweektrend/` (when they ran with a relative home)
        moves to the data directory; an entry that exists in both places is left, and said."""
        misplaced = self.settings.home / "apps" / ".tweektrend"
        if not misplaced.is_dir():
            return
        running = [a.title for a in self.apps() if self._proc(a.name).running()]
        if running:
            self.echo(
                f"  {misplaced} holds data of an older start; it is moved at the next "
                f"`stack up` after `stack down` ({', '.join(running)} still running)"
            )
            return
        for entry in sorted(misplaced.iterdir()):
            target = self.settings.home / entry.name
            if target.exists():
                self.echo(f"  left {entry}: {target} already exists")
                continue
            entry.rename(target)
            self.echo(f"  moved {entry} to {target}")
        if not any(misplaced.iterdir()):
            misplaced.rmdir()

    # -- the commands ----------------------------------------------------------------------------
    def up(self, servers_only: bool = False) -> None:
        self.echo(f"TweekTrend local stack — data and logs under {self.settings.home}")
        self.up_servers()
        if self.partial:
            return
        self.move_misplaced_data()
        for line in self._bootstrap(self.settings, not servers_only) if self._bootstrap else []:
            self.echo(f"  {line}")
        if not servers_only:
            self.up_apps()
        self.echo(
            "Stack is up. `tweektrend stack status` shows it; `tweektrend stack down` stops it."
        )

    def down(self) -> None:
        names = [a.name for a in reversed(self.apps())] + [s.name for s in reversed(self.servers)]
        timeouts = {s.name: s.stop_timeout for s in self.servers}
        for name in names:
            proc = self._proc(name)
            if proc.stop(timeout=timeouts.get(name, 20.0)):
                self.echo(f"  stopped {name}")
            elif proc.stale:
                self.echo(f"  {name}: removed a {proc.stale}; nothing was signalled")
        self.echo("Stack is down.")

    def status(self) -> list[Status]:
        rows = []
        for server in self.servers:
            proc = self._proc(server.name)
            pid = proc.pid()
            answers, detail = server.health(running=pid is not None)
            if answers:
                state = "up"
            elif pid is None:
                state = "down"
            else:  # alive but silent: still starting, or stopped/hung past its start time
                age = proc.age()
                state = "starting" if age is None or age < server.start_timeout else "not answering"
            rows.append(Status(server.name, server.title, state, pid, server.address(), detail))
        for app in self.apps():
            pid = self._proc(app.name).pid()
            if not app.enabled and pid is None:
                continue  # a source not chosen and not running: nothing to show
            state = (
                "down"
                if pid is None
                else ("up" if not app.url or _http_ok(app.url) else "starting")
            )
            detail = app.detail() if app.detail and pid else ""
            rows.append(Status(app.name, app.title, state, pid, app.address, detail))
        return rows

    def logs_dir(self) -> Path:
        return self.settings.logs

