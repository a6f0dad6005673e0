"""Detached processes with a pid file and a log file under the data directory.

A pid number alone does not say which process it names: after a reboot, or once the process
has ended, the kernel hands the number to another program. So `start` records who it started
and `pid`, `running` and `stop` act on a process only while /proc still shows that one:

- the pid file's first line is the pid (readers that take the first number still work); its
  second line is JSON with the kernel's boot id, the process's start time (field 22 of
  /proc/<pid>/stat, clock ticks since boot), the argv it was started with, a random token
  put in its environment and, once the process answered (`confirm`), its command line as /proc
  showed it then: a launcher script that execs into its program (spark-submit becoming java,
  a start script becoming Kafka) changes the command line once, at start-up, and keeps the
  environment;
- ours means: same boot, same start time, the process leads the process group we signal, and
  its command line is the argv we started or the confirmed one; before confirmation, another
  command line counts only if the process carries our token. An empty command line is a
  process that is exiting (its memory is gone, its sockets may not be): with our start time it
  is still ours;
- `stop` judges once, signals the group, then waits on that pid and start time, never on the
  command line. Waiting on the whole identity made `down` return while a server was exiting
  (its command line already empty) and still held its ports, so the fault test's restart found
  them taken and the new server exited at once;
- a pid file written before this format (a bare number) is ours only if that process started
  before the file was written and runs in a directory under the stack's data directory (every
  process the stack starts runs there); it is rewritten in the new format;
- anything else is a stale pid file: reported, removed, and never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, replace
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


def _stat_fields(pid: int) -> list[str] | None:
    """Fields 3.. of /proc/<pid>/stat (the command name before them may hold spaces)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _alive(pid: int) -> bool:
    """The pid names a process that has not ended: some thread of it still runs (and may
    hold its ports). A zombie has ended; a leader thread that exited first shows as a zombie
    while the others still run, which is how a JVM tears down."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    # our child: wait reports it only once every thread has ended; reap it then
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        pass
    stat = _stat_fields(pid)
    if stat is None:
        return False
    if stat[0] not in ("Z", "X"):
        return True
    try:
        return any(task != str(pid) for task in os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return False


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


TOKEN_VARIABLE = "TWEEKTREND_STACK_PROCESS_TOKEN"


def carries_token(pid: int, token: str) -> bool:
    """The process's environment (kept across exec) holds the token `start` gave it."""
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False
    return f"{TOKEN_VARIABLE}={token}".encode() in environ.split(b"\0")


@dataclass(frozen=True)
class Identity:
    """Who a pid file names: enough to tell that process from a later one with its number."""

    pid: int
    start_time: int | None = None
    boot_id: str | None = None
    argv: tuple[str, ...] | None = None  # None: a bare-number file from an older stack
    confirmed: tuple[str, ...] | None = None  # /proc's command line once the process answered
    token: str | None = None  # in the process's environment, from `start`

    @classmethod
    def of(cls, pid: int, argv: list[str], token: str | None = None) -> Identity:
        return cls(pid, start_time(pid), boot_id(), tuple(argv), token=token)

    def dumps(self) -> str:
        record = {"start_time": self.start_time, "boot_id": self.boot_id, "argv": self.argv,
                  "confirmed": self.confirmed, "token": self.token}
        return f"{self.pid}\n{json.dumps(record)}\n"

    @classmethod
    def loads(cls, text: str) -> Identity | None:
        first, _, rest = text.strip().partition("\n")
        try:
            pid = int(first.strip())
            if pid <= 0:
                return None
            if not rest.strip():
                return cls(pid)
            record = json.loads(rest)
            confirmed = record.get("confirmed")
            return cls(pid, int(record["start_time"]), record["boot_id"], tuple(record["argv"]),
                       tuple(confirmed) if confirmed else None, record.get("token"))
        except (ValueError, KeyError, TypeError):
            return None

    def matches_command(self, now: list[str]) -> bool:
        if not now:  # exiting: memory released, start time still ours
            return True
        if now == list(self.argv or ()) or (self.confirmed and now == list(self.confirmed)):
            return True
        # still starting: a launcher script may have exec'd into its program
        return self.confirmed is None and bool(self.token) and carries_token(self.pid, self.token)


def why_not_ours(identity: Identity, home: Path, written_at: float) -> str | None:
    """None when /proc shows the process `identity` recorded, else the reason it does not."""
    pid = identity.pid
    if not _alive(pid):
        return f"pid {pid} has ended"
    if _process_group(pid) != pid:
        return f"pid {pid} does not lead its own process group"
    if identity.argv is None:
        return _why_legacy_not_ours(pid, home, written_at)
    if identity.boot_id and identity.boot_id != boot_id():
        return f"pid {pid} was recorded before the machine rebooted"
    if identity.start_time is None or start_time(pid) != identity.start_time:
        return f"pid {pid} now names a process that started at another time"
    now = command_line(pid)
    if now is None or not identity.matches_command(now):
        return f"pid {pid} now runs another command ({' '.join(now or [])[:80]})"
    return None


def _why_legacy_not_ours(pid: int, home: Path, written_at: float) -> str | None:
    """A bare-number pid file: the process started before the file was written, and runs
    under the data directory."""
    ticks, booted = start_time(pid), _boot_time()
    if ticks is None or booted is None:
        return f"the start time of pid {pid} cannot be read"
    # btime is whole seconds, so allow one second of rounding
    if booted + ticks / CLOCK_TICKS > written_at + 1.0:
        return f"pid {pid} started after its pid file was written"
    try:
        cwd = Path(os.readlink(f"/proc/{pid}/cwd"))
    except OSError:
        return f"the working directory of pid {pid} cannot be read"
    if not cwd.is_relative_to(home.resolve()):
        return f"pid {pid} runs outside {home}"
    return None


class ManagedProcess:
    """One long-running process: started detached, found again through its pid file."""

    def __init__(self, name: str, home: Path):
        self.name = name
        self.home = home
        self.pidfile = home / "run" / f"{name}.pid"
        self.logfile = home / "logs" / f"{name}.log"
        self.stale: str | None = None  # why the last pid file read was stale (and removed)

    # -- the pid file -----------------------------------------------------------------------------
    def _identity(self) -> Identity | None:
        """The pid file's identity if its process is still ours; a stale file is removed."""
        try:
            text = self.pidfile.read_text()
            written_at = self.pidfile.stat().st_mtime
        except FileNotFoundError:
            return None
        identity = Identity.loads(text)
        reason = (
            "the file cannot be read" if identity is None
            else why_not_ours(identity, self.home, written_at)
        )
        if reason is None:
            if identity.argv is None:  # an older stack's file: record who it names now
                identity = self._upgrade(identity, text)
            return identity
        self.stale = f"stale pid file {self.pidfile} ({reason})"
        self._replace_if_unchanged(text, None)
        return None

    def _upgrade(self, identity: Identity, text: str) -> Identity:
        now = tuple(command_line(identity.pid) or ())
        upgraded = Identity(identity.pid, start_time(identity.pid), boot_id(), now, now or None)
        self._replace_if_unchanged(text, upgraded)
        return upgraded

    def _write(self, identity: Identity) -> None:
        # written whole or not at all: a reader never sees half a record and calls it stale
        partial = self.pidfile.with_name(f".{self.pidfile.name}.{os.getpid()}.tmp")
        partial.write_text(identity.dumps())
        partial.replace(self.pidfile)

    def _replace_if_unchanged(self, text: str, identity: Identity | None) -> None:
        # a `start` that replaced the file meanwhile keeps its fresh one
        try:
            if self.pidfile.read_text() != text:
                return
        except FileNotFoundError:
            return
        if identity is None:
            self.pidfile.unlink(missing_ok=True)
        else:
            self._write(identity)

    # -- queries ----------------------------------------------------------------------------------
    def pid(self) -> int | None:
        identity = self._identity()
        return identity.pid if identity else None

    def running(self) -> bool:
        return self.pid() is not None

    def age(self) -> float | None:
        """Seconds since the process started (None when it is not running)."""
        pid = self.pid()
        started, booted = (start_time(pid), _boot_time()) if pid else (None, None)
        if started is None or booted is None:
            return None
        return time.time() - (booted + started / os.sysconf("SC_CLK_TCK"))

    # -- start, confirm, stop ---------------------------------------------------------------------
    def start(self, cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> int:
        self.pidfile.parent.mkdir(parents=True, exist_ok=True)
        self.logfile.parent.mkdir(parents=True, exist_ok=True)
        cwd.mkdir(parents=True, exist_ok=True)
        with self.logfile.open("ab") as log:
            log.write(
                f"\n=== started {time.strftime('%Y-%m-%d %H:%M:%S')}: {' '.join(cmd)}\n".encode()
            )
            log.flush()
            token = uuid.uuid4().hex
            proc = subprocess.Popen(
                cmd,
                cwd=cwd,
                env={**os.environ, **(env or {}), TOKEN_VARIABLE: token},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        # Popen returns once the program is exec'd: the start time is the process's own
        self._write(Identity.of(proc.pid, cmd, token))
        return proc.pid

    def confirm(self) -> None:
        """Record the command line /proc shows now that the process answers (a launcher
        script has exec'd into its program by then); later checks want exactly that."""
        try:
            text = self.pidfile.read_text()
        except FileNotFoundError:
            return
        identity = self._identity()
        if identity is None or identity.argv is None:
            return
        now = command_line(identity.pid)
        if now and tuple(now) != identity.confirmed:
            self._replace_if_unchanged(text, replace(identity, confirmed=tuple(now)))

    def stop(self, timeout: float = 60.0, kill_wait: float = 10.0) -> bool:
        """SIGTERM, then SIGKILL after `timeout`. Returns True if a process of ours was
        running; a stale pid file is removed without signalling anything (see `stale`)."""
        self.stale = None
        identity = self._identity()
        if identity is None:
            return False
        pid, ticks = identity.pid, identity.start_time

        def same_process() -> bool:
            # the pid still names the process we judged ours: same start time, not ended
            return _alive(pid) and start_time(pid) == ticks

        if not self._signal(pid, signal.SIGTERM):
            self.stale = f"stale pid file {self.pidfile} (pid {pid} may not be signalled)"
            self.pidfile.unlink(missing_ok=True)
            return False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and same_process():
            time.sleep(0.2)
        if same_process():
            self._signal(pid, signal.SIGKILL)
            # bounded: a process stuck in the kernel must not hang `stack down`
            deadline = time.monotonic() + kill_wait
            while time.monotonic() < deadline and same_process():
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
