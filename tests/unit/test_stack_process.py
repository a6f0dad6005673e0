"""The launcher's pid files: only a process we started is signalled (no servers needed)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tweektrend_dagster.stack.process import (
    Identity,
    ManagedProcess,
    boot_id,
    command_line,
    same_command,
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


def _gone(pid: int) -> bool:
    """The process ended (stop() reaps a child of ours, so its pid is free again)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return command_line(pid) != SLEEP


def _write(proc: ManagedProcess, text: str) -> None:
    proc.pidfile.parent.mkdir(parents=True, exist_ok=True)
    proc.pidfile.write_text(text)


def _assert_stale_and_spared(proc: ManagedProcess, victim: subprocess.Popen) -> None:
    assert proc.pid() is None
    assert not proc.running()
    assert not proc.pidfile.exists(), "a stale pid file is removed"
    assert proc.stop(timeout=1) is False  # nor does stop() signal it
    time.sleep(0.2)
    assert victim.poll() is None, "the unrelated process was signalled"


def test_a_pid_reused_by_a_process_with_another_start_time_is_not_signalled(tmp_path, sleeper):
    proc = ManagedProcess("kafka", tmp_path / "home")
    other_start = start_time(sleeper.pid) - 1
    _write(proc, Identity(sleeper.pid, other_start, boot_id(), tuple(SLEEP)).dumps())
    _assert_stale_and_spared(proc, sleeper)


def test_a_pid_reused_by_another_command_is_not_signalled(tmp_path, sleeper):
    proc = ManagedProcess("kafka", tmp_path / "home")
    ours = ("java", "-cp", "/jars/*", "kafka.Kafka", "/home/kafka/server.properties")
    _write(proc, Identity(sleeper.pid, start_time(sleeper.pid), boot_id(), ours).dumps())
    _assert_stale_and_spared(proc, sleeper)


def test_a_pid_file_from_before_a_reboot_is_not_signalled(tmp_path, sleeper):
    proc = ManagedProcess("kafka", tmp_path / "home")
    identity = Identity(sleeper.pid, start_time(sleeper.pid), "another-boot", tuple(SLEEP))
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


def test_a_bare_number_from_an_older_stack_is_still_stopped(tmp_path):
    home = tmp_path / "home"
    proc = ManagedProcess("kafka", home)
    (home / "kafka").mkdir(parents=True)
    old = subprocess.Popen(SLEEP, cwd=home / "kafka", start_new_session=True)
    try:
        _write(proc, f"{old.pid}\n")
        assert proc.pid() == old.pid
        assert proc.stop(timeout=5) is True
        assert _gone(old.pid)
        assert not proc.pidfile.exists()
    finally:
        if old.poll() is None:
            old.kill()
            old.wait()


def test_a_process_started_by_managed_process_is_recorded_and_stopped(tmp_path):
    proc = ManagedProcess("sleeper", tmp_path / "home")
    pid = proc.start(SLEEP, tmp_path / "home" / "sleeper")
    try:
        assert proc.pid() == pid
        first_line, record = proc.pidfile.read_text().splitlines()
        assert first_line == str(pid), "the first line stays the bare pid for older readers"
        assert Identity.loads(proc.pidfile.read_text()) == Identity(
            pid, start_time(pid), boot_id(), tuple(SLEEP)
        )
        assert proc.stop(timeout=5) is True
        assert not proc.running()
        assert not proc.pidfile.exists()
        assert _gone(pid)
    finally:
        if Path(f"/proc/{pid}").exists() and command_line(pid) == SLEEP:
            os.kill(pid, 9)


def test_a_launcher_that_execs_into_its_program_is_still_ours(tmp_path):
    """Like spark-submit becoming java: the pid and start time stay, the command line changes."""
    program = "import time; time.sleep(30)"
    launcher = f"import os, sys; os.execv(sys.executable, [sys.executable, '-c', {program!r}, "
    launcher += "*sys.argv[1:]])"
    argv = [sys.executable, "-c", launcher, "--name", "tweektrend-test", "--conf", "a=b"]
    proc = ManagedProcess("launcher", tmp_path / "home")
    pid = proc.start(argv, tmp_path / "home" / "launcher")
    _wait_for_cmdline(pid, [sys.executable, "-c", program, "--name", "tweektrend-test", "--conf",
                            "a=b"])
    assert proc.pid() == pid
    assert proc.stop(timeout=5) is True
    assert not proc.running()
    assert _gone(pid)


def test_an_unreadable_pid_file_is_stale(tmp_path):
    proc = ManagedProcess("kafka", tmp_path / "home")
    _write(proc, "not a pid\n")
    assert proc.pid() is None
    assert not proc.pidfile.exists()
    assert proc.stop(timeout=1) is False


def test_same_command_needs_most_of_the_arguments():
    started = ["spark-submit", "--class", "Server", "--name", "ours", "--conf", "a=b", "x"]
    reordered = ["java", "-cp", "jars", "Submit", "--conf", "a=b", "--class", "Server",
                 "--name", "ours", "x"]
    assert same_command(started, reordered)
    assert not same_command(started, ["sleep", "30"])
    assert not same_command(started, ["java", "-cp", "jars", "Other", "--name", "theirs"])
    assert same_command(["/usr/bin/sleep"], ["sleep"])
    assert not same_command(["/usr/bin/sleep"], ["python3", "app.py"])
