"""The launcher's pid files: only a process we started is signalled (no servers needed)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tweektrend_dagster.config import Settings
from tweektrend_dagster.stack.launcher import Stack
from tweektrend_dagster.stack.process import (
    Identity,
    ManagedProcess,
    boot_id,
    carries_token,
    command_line,
    port_in_use,
    start_time,
)

SLEEP = ["sleep", "30"]


@pytest.fixture
def sleeper(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """An unrelated process leading its own group, as a reused pid would be; runs in /tmp."""
    proc = subprocess.Popen(SLEEP, cwd=tmp_path, start_new_session=True)
    _wait_for_cmdline(proc.pid, SLEEP)
    yield proc
    proc.kill()
    proc.wait()


def _wait_for_cmdline(pid: int, expected: list[str]) -> None:
    deadline = time.monotonic() + 5
    while command_line(pid) != expected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert command_line(pid) == expected


def _gone(pid: int, argv: list[str]) -> bool:
    """The process ended (stop() reaps a child of ours, so its pid is free again)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return command_line(pid) != argv


def _write(proc: ManagedProcess, text: str) -> None:
    proc.pidfile.parent.mkdir(parents=True, exist_ok=True)
    proc.pidfile.write_text(text)


def _assert_stale_and_spared(proc: ManagedProcess, victim: subprocess.Popen) -> None:
    assert proc.pid() is None
    assert not proc.running()
    assert not proc.pidfile.exists(), "a stale pid file is removed"
    assert proc.stale and str(victim.pid) in proc.stale
    _write(proc, "x")  # stop() on a stale file signals nothing either
    assert proc.stop(timeout=1) is False
    time.sleep(0.2)
    assert victim.poll() is None, "the unrelated process was signalled"


def test_a_pid_reused_by_another_command_survives_stack_down(tmp_path, sleeper):
    """The brief's case: the pid file names a `sleep` the test started, with the command line
    and start time of a server we never started; `stack down` reports it and signals nothing."""
    settings = replace(Settings.from_env(), home=tmp_path / "home")
    lines: list[str] = []
    stack = Stack(settings, echo=lines.append, only=["kafka"])
    proc = stack._proc("kafka")
    ours = ("java", "-cp", "/jars/*", "kafka.Kafka", "/home/kafka/server.properties")
    _write(proc, Identity(sleeper.pid, start_time(sleeper.pid), boot_id(), ours).dumps())
    stack.down()
    time.sleep(0.2)
    assert sleeper.poll() is None, "an unrelated process was signalled by `stack down`"
    assert not proc.pidfile.exists()
    assert any("stale pid file" in line and "another command" in line for line in lines), lines


def test_a_pid_reused_by_a_process_with_another_start_time_is_not_signalled(tmp_path, sleeper):
    proc = ManagedProcess("kafka", tmp_path / "home")
    other_start = start_time(sleeper.pid) - 1
    _write(proc, Identity(sleeper.pid, other_start, boot_id(), tuple(SLEEP)).dumps())
    _assert_stale_and_spared(proc, sleeper)


@pytest.mark.parametrize("token", [None, "a-token-the-process-does-not-carry"])
def test_a_pid_reused_by_another_command_is_not_signalled(tmp_path, sleeper, token):
    proc = ManagedProcess("kafka", tmp_path / "home")
    ours = ("java", "-cp", "/jars/*", "kafka.Kafka", "/home/kafka/server.properties")
    identity = Identity(sleeper.pid, start_time(sleeper.pid), boot_id(), ours, token=token)
    _write(proc, identity.dumps())
    _assert_stale_and_spared(proc, sleeper)


def test_a_pid_file_from_before_a_reboot_is_not_signalled(tmp_path, sleeper):
    proc = ManagedProcess("kafka", tmp_path / "home")
    identity = Identity(sleeper.pid, start_time(sleeper.pid), "another-boot", tuple(SLEEP))
    _write(proc, identity.dumps())
    _assert_stale_and_spared(proc, sleeper)


def test_a_confirmed_command_line_must_match_exactly(tmp_path, sleeper):
    proc = ManagedProcess("spark", tmp_path / "home")
    # started as a launcher whose arguments `sleep 30` shares, then confirmed as something else
    identity = Identity(sleeper.pid, start_time(sleeper.pid), boot_id(), ("sh", "30"),
                        confirmed=("java", "Server", "30"))
    _write(proc, identity.dumps())
    _assert_stale_and_spared(proc, sleeper)


def test_a_bare_number_is_stale_when_the_process_runs_outside_the_data_directory(
    tmp_path, sleeper
):
    proc = ManagedProcess("kafka", tmp_path / "home")  # the sleeper runs in tmp_path itself
    _write(proc, f"{sleeper.pid}\n")
    _assert_stale_and_spared(proc, sleeper)


def test_a_bare_number_is_stale_when_the_process_started_after_the_file(tmp_path):
    home = tmp_path / "home"
    proc = ManagedProcess("kafka", home)
    (home / "kafka").mkdir(parents=True)
    victim = subprocess.Popen(SLEEP, cwd=home / "kafka", start_new_session=True)
    try:
        _write(proc, f"{victim.pid}\n")
        hour_ago = time.time() - 3600  # as if written before the machine rebooted
        os.utime(proc.pidfile, (hour_ago, hour_ago))
        _assert_stale_and_spared(proc, victim)
    finally:
        victim.kill()
        victim.wait()


def test_a_bare_number_from_an_older_stack_is_upgraded_and_stopped(tmp_path):
    home = tmp_path / "home"
    proc = ManagedProcess("kafka", home)
    (home / "kafka").mkdir(parents=True)
    old = subprocess.Popen(SLEEP, cwd=home / "kafka", start_new_session=True)
    try:
        _wait_for_cmdline(old.pid, SLEEP)
        _write(proc, f"{old.pid}\n")
        assert proc.pid() == old.pid
        upgraded = Identity.loads(proc.pidfile.read_text())
        assert upgraded == Identity(old.pid, start_time(old.pid), boot_id(), tuple(SLEEP),
                                    tuple(SLEEP))
        assert proc.stop(timeout=5) is True
        assert _gone(old.pid, SLEEP)
        assert not proc.pidfile.exists()
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()


def test_a_process_started_by_managed_process_is_recorded_confirmed_and_stopped(tmp_path):
    proc = ManagedProcess("sleeper", tmp_path / "home")
    pid = proc.start(SLEEP, tmp_path / "home" / "sleeper")
    try:
        assert proc.pid() == pid
        first_line, _ = proc.pidfile.read_text().splitlines()
        assert first_line == str(pid), "the first line stays the bare pid for older readers"
        recorded = Identity.loads(proc.pidfile.read_text())
        assert recorded == Identity(pid, start_time(pid), boot_id(), tuple(SLEEP),
                                    token=recorded.token)
        assert recorded.token and carries_token(pid, recorded.token)
        proc.confirm()
        assert Identity.loads(proc.pidfile.read_text()).confirmed == tuple(SLEEP)
        assert proc.stop(timeout=5) is True
        assert not proc.running()
        assert not proc.pidfile.exists()
        assert _gone(pid, SLEEP)
    finally:
        if Path(f"/proc/{pid}").exists() and command_line(pid) == SLEEP:
            os.kill(pid, 9)


def test_a_start_script_that_execs_into_another_program_is_ours_by_its_token(tmp_path):
    """Like docker/kafka/start.sh becoming java: nothing of the command line stays, the
    environment does; once confirmed, the program's own command line is what is looked for."""
    proc = ManagedProcess("script", tmp_path / "home")
    pid = proc.start(["bash", "-c", "sleep 0.3; exec sleep 30"], tmp_path / "home" / "script")
    try:
        _wait_for_cmdline(pid, SLEEP)
        assert proc.pid() == pid, proc.stale
        proc.confirm()
        assert Identity.loads(proc.pidfile.read_text()).confirmed == tuple(SLEEP)
        assert proc.stop(timeout=5) is True
        assert _gone(pid, SLEEP)
    finally:
        if Path(f"/proc/{pid}").exists() and command_line(pid) == SLEEP:
            os.kill(pid, 9)


def test_a_launcher_that_execs_into_its_program_is_still_ours(tmp_path):
    """Like spark-submit becoming java: the pid and start time stay, the command line changes;
    once confirmed, the program's own command line is what is looked for."""
    program = "import time; time.sleep(30)"
    launcher = f"import os, sys; os.execv(sys.executable, [sys.executable, '-c', {program!r}, "
    launcher += "*sys.argv[1:]])"
    argv = [sys.executable, "-c", launcher, "--name", "tweektrend-test", "--conf", "a=b"]
    final = [sys.executable, "-c", program, "--name", "tweektrend-test", "--conf", "a=b"]
    proc = ManagedProcess("launcher", tmp_path / "home")
    pid = proc.start(argv, tmp_path / "home" / "launcher")
    _wait_for_cmdline(pid, final)
    assert proc.pid() == pid
    proc.confirm()
    assert Identity.loads(proc.pidfile.read_text()).confirmed == tuple(final)
    assert proc.pid() == pid
    assert proc.stop(timeout=5) is True
    assert not proc.running()
    assert _gone(pid, final)


SLOW_SERVER = """
import ctypes, signal, socket, sys, threading, time
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", int(sys.argv[1])))
server.listen()
def bye(*_):
    # a JVM's teardown: the leader thread ends first (the pid shows as a zombie with an empty
    # command line) while other threads still run and hold the port
    threading.Thread(target=time.sleep, args=(1.5,)).start()
    ctypes.CDLL(None).pthread_exit(None)
signal.signal(signal.SIGTERM, bye)
while True:
    time.sleep(1)
"""

START_DETACHED = """
import sys
from pathlib import Path
from tweektrend_dagster.stack.process import ManagedProcess
ManagedProcess("slow", Path(sys.argv[1])).start(sys.argv[2:], Path(sys.argv[1]) / "slow")
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(proc: ManagedProcess, port: int) -> None:
    deadline = time.monotonic() + 10
    while not port_in_use("127.0.0.1", port):
        assert proc.running(), proc.stale
        assert time.monotonic() < deadline, "the server did not listen"
        time.sleep(0.05)


@pytest.mark.parametrize("parent", ["this process", "a parent that has exited"])
def test_stop_then_start_again_reuses_the_port_every_time(tmp_path, parent):
    """The fault test's path (down, then up) in a loop: `stop` returns only once the server has
    ended and freed its port, though its pid looked like a zombie with no command line before
    that; the restarted one is ours at once and after it answers. Started by this process
    (the test stack) or by a `tweektrend stack up` that has exited (the server is no child)."""
    port = _free_port()
    home = tmp_path / "home"
    proc = ManagedProcess("slow", home)
    argv = [sys.executable, "-c", SLOW_SERVER, str(port)]
    for _ in range(3):
        if parent == "this process":
            proc.start(argv, home / "slow")
        else:
            subprocess.run([sys.executable, "-c", START_DETACHED, str(home), *argv], check=True)
        pid = Identity.loads(proc.pidfile.read_text()).pid
        _wait_listening(proc, port)
        proc.confirm()
        assert proc.pid() == pid
        assert proc.stop(timeout=10) is True
        assert not port_in_use("127.0.0.1", port), "stop returned while the server held its port"
        assert _gone(pid, argv)


def test_an_exiting_process_with_no_command_line_is_still_ours():
    identity = Identity(1234, 5, "boot", ("java", "-cp", "x", "Main"), ("java", "-cp", "x",
                                                                      "Main"))
    assert identity.matches_command([])  # its memory is gone while it exits: same start time
    assert not identity.matches_command(["sleep", "30"])


def test_an_unreadable_pid_file_is_stale(tmp_path):
    proc = ManagedProcess("kafka", tmp_path / "home")
    _write(proc, "not a pid\n")
    assert proc.pid() is None
    assert not proc.pidfile.exists()
    assert proc.stop(timeout=1) is False
