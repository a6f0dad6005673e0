"""Detached processes with a pid file and a log file under the data directory.

A pid number alone does not say which process it names: after a reboot, or once the process
has ended, the kernel hands the number to another program. So `start` records who it started
and `pid`/`running`/`stop` only treat a process as ours while /proc still shows that one:

- the pid file's first line is the pid (older readers that take the first number still work);
  its second line is JSON with the kernel's boot id, the process's start time (field 22 of
  /proc/<pid>/stat, clock ticks since boot) and the argv it was started with;
- ours means: same boot, same start time, the process still leads the process group we
  signal, and its command line is the argv we started or still carries at least half of its
  arguments (a launcher script that execs, like spark-submit becoming java, reorders them);
- a pid file written before this format (a bare number) is ours only if that process started
  before the file was written and runs in a directory under the stack's data directory, where
  every process the stack starts runs; we chose this over looking for product names in the
  command line because the launcher knows nothing of the product;
- anything else is a stale pid file: reported as down, removed, and never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child still answers kill(0); reap it if it is ours
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        stat = _stat_fields(pid)
        return stat is not None and stat[0] != "Z"


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (the command name before them may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat: when the process started, in clock ticks since boot."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _process_group(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[2]) if fields else None


def command_line(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def same_command(started: list[str], now: list[str]) -> bool:
    """`now` (from /proc) is the command we started: identical, or, when a launcher script
    exec'd into its program, still carrying at least half of our distinct arguments."""
    if now == started:
        return True
    args = set(started[1:])
    if not args:
        return any(Path(part).name == Path(started[0]).name for part in now[:2])
    kept = args & set(now)
    return 2 * len(kept) >= len(args)


@dataclass(frozen=True)
class Identity:
    """Who a pid file names: enough to tell that process from a later one with its number."""

    pid: int
    start_time: int | None = None
    boot_id: str | None = None
    argv: tuple[str, ...] | None = None  # None: a pid file older than this format

    @classmethod
    def of(cls, pid: int, argv: list[str]) -> Identity:
        return cls(pid, start_time(pid), boot_id(), tuple(argv))

    def dumps(self) -> str:
        record = {"start_time": self.start_time, "boot_id": self.boot_id, "argv": self.argv}
        return f"{self.pid}\n{json.dumps(record)}\n"

    @classmethod
    def loads(cls, text: str) -> Identity | None:
        first, _, rest = text.strip().partition("\n")
        try:
            pid = int(first.strip())
            if not rest.strip():
                return cls(pid) if pid > 0 else None
            record = json.loads(rest)
            return cls(pid, record["start_time"], record["boot_id"], tuple(record["argv"]))
        except (ValueError, KeyError, TypeError):
            return None


def is_ours(identity: Identity, home: Path, written_at: float) -> bool:
    """The process /proc shows under `identity.pid` is the one we started (see module doc)."""
    pid = identity.pid
    if not _alive(pid) or _process_group(pid) != pid:
        return False
    if identity.argv is None:
        return _legacy_is_ours(pid, home, written_at)
    if identity.boot_id and identity.boot_id != boot_id():
        return False
    now = command_line(pid)
    return (
        identity.start_time is not None
        and start_time(pid) == identity.start_time
        and now is not None
        and same_command(list(identity.argv), now)
    )


def _legacy_is_ours(pid: int, home: Path, written_at: float) -> bool:
    """A bare-number pid file: the process started before the file was written, and runs
    under the data directory."""
    ticks, booted = start_time(pid), _boot_time()
    if ticks is None or booted is None:
        return False
    # btime is whole seconds, so allow one second of rounding
    if booted + ticks / CLOCK_TICKS > written_at + 1.0:
        return False
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return False
    return cwd.is_relative_to(home.resolve())


class ManagedProcess:
    """One long-running process: started detached, found again through its pid file."""

    def __init__(self, name: str, home: Path):
        self.name = name
        self.home = home
        self.pidfile = home / "run" / f"{name}.pid"
        self.logfile = home / "logs" / f"{name}.log"

    def _identity(self) -> tuple[Identity, float] | None:
        """The pid file's identity and when it was written, if its process is still ours;
        a stale file is removed."""
        try:
            text = self.pidfile.read_text()
            written_at = self.pidfile.stat().st_mtime
        except FileNotFoundError:
            return None
        identity = Identity.loads(text)
        if identity is not None and is_ours(identity, self.home, written_at):
            return identity, written_at
        self._remove_if_unchanged(text)
        return None

    def _remove_if_unchanged(self, text: str) -> None:
        # a `start` that replaced the file meanwhile keeps its fresh one
        try:
            if self.pidfile.read_text() == text:
                self.pidfile.unlink(missing_ok=True)
        except FileNotFoundError:
            pass

    def pid(self) -> int | None:
        found = self._identity()
        return found[0].pid if found else None

    def running(self) -> bool:
        return self.pid() is not None

    def start(self, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        with self.logfile.open("ab") as log:
            log.write(
                f"\n=== started {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(cmd)}\n".encode()
            )
            log.flush()
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # written whole or not at all: a reader never sees half a record and calls it stale
        partial = self.pidfile.with_suffix(".pid.tmp")
        partial.write_text(Identity.of(proc.pid, cmd).dumps())
        partial.replace(self.pidfile)
        return proc.pid

    def stop(self, timeout: float = 60.0, kill_wait: float = 10.0) -> bool:
        """SIGTERM, then SIGKILL after `timeout`. Returns True if a process of ours was
        running; a stale pid file is removed without signalling anything."""
        found = self._identity()
        if found is None:
            return False
        identity, written_at = found

        def still_ours() -> bool:
            return is_ours(identity, self.home, written_at)

        if not self._signal(identity.pid, signal.SIGTERM):
            self.pidfile.unlink(missing_ok=True)
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and still_ours():
            time.sleep(0.2)
        if still_ours():
            self._signal(identity.pid, signal.SIGKILL)
            # bounded: a process stuck in the kernel must not hang `stack down`
            deadline = time.monotonic() + kill_wait
            while time.monotonic() < deadline and still_ours():
                time.sleep(0.1)
        self.pidfile.unlink(missing_ok=True)
        return True

    @staticmethod
    def _signal(pid: int, signum: int) -> bool:
        """Signal the process group we started; False if we may not (then it is not ours)."""
        try:
            os.killpg(pid, signum)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return True

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log yet)"
