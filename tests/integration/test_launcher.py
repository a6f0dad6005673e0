"""The launcher's promises: idempotent up, truthful status, clean down, clear errors."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import replace

import pytest

from tweektrend_dagster.contracts.errors import ServiceUnavailable
from tweektrend_dagster.local_stack import local_stack
from tweektrend_dagster.stack.launcher import Stack


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def ferret_only(stack_settings, tmp_path):
    """A FerretDB-only stack in its own data directory: cheap to start and stop in a test."""
    settings = replace(stack_settings, home=tmp_path / "home", mongo_port=_free_port())
    stack = Stack(settings, echo=lambda line: None, only=["ferretdb"])
    yield stack
    stack.down()


def test_up_is_idempotent_and_status_and_down_tell_the_truth(ferret_only):
    ferret_only.up()
    [row] = ferret_only.status()
    assert (row.name, row.state) == ("ferretdb", "up")
    assert "compatible" in row.detail
    first_pid = row.pid

    lines: list[str] = []
    ferret_only.echo = lines.append
    ferret_only.up()
    assert any("already running" in line for line in lines)
    assert ferret_only.status()[0].pid == first_pid

    ferret_only.down()
    [row] = ferret_only.status()
    assert (row.state, row.pid) == ("down", None)
    with socket.socket() as s:  # the port is free again
        s.bind(("127.0.0.1", ferret_only.settings.mongo_port))


def test_taken_port_gives_a_clear_error(ferret_only):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", ferret_only.settings.mongo_port))
        blocker.listen()
        with pytest.raises(ServiceUnavailable, match=r"port \d+ \(mongodb\).*already in use"):
            ferret_only.up()
    assert ferret_only.status()[0].state == "down"


def test_cli_reports_taken_port_without_traceback(stack_settings, tmp_path):
    port = _free_port()
    env = {
        **os.environ,
        "TWEEKTREND_HOME": str(tmp_path / "home"),
        "TWEEKTREND_MONGO_PORT": str(port),
    }
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        result = subprocess.run(
            [sys.executable, "-m", "tweektrend_dagster.cli", "stack", "up", "--only", "ferretdb"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_status_of_the_session_stack_shows_every_server_up(stack_settings):
    rows = {r.name: r for r in local_stack(stack_settings, echo=lambda line: None).status()}
    for name in ("kafka", "cassandra", "ferretdb"):
        assert rows[name].state == "up", rows[name]
    assert rows["kafka"].address.endswith(f":{stack_settings.kafka_port}")


def test_a_server_that_dies_at_start_is_reported_with_its_log(stack_settings, tmp_path):
    # FerretDB exits when its data directory cannot be created: the error must quote its log
    home = tmp_path / "home"
    (home / "ferretdb").mkdir(parents=True)
    (home / "ferretdb" / "data").write_text("a file where the SQLite directory should be")
    settings = replace(stack_settings, home=home, mongo_port=_free_port())
    stack = Stack(settings, echo=lambda line: None, only=["ferretdb"])
    with pytest.raises(ServiceUnavailable) as err:
        stack.up()
    stack.down()
    message = str(err.value)
    assert "exited during start-up" in message
    assert "cannot create" in message  # the server's own words, from its log


@pytest.mark.parametrize(
    ("command", "closed", "server"),
    [
        (["ingest", "--workers", "1"], "TWEEKTREND_CASSANDRA_PORT", "Cassandra"),
        (["produce", "--limit", "1"], "TWEEKTREND_MONGO_PORT", "MongoDB"),
        (["produce", "--limit", "1"], "TWEEKTREND_KAFKA_PORT", "Kafka"),
    ],
)
def test_unreachable_server_is_named_with_how_to_start_it(stack_settings, command, closed, server):
    env = {**os.environ, closed: str(_free_port())}
    result = subprocess.run(
        [sys.executable, "-m", "tweektrend_dagster.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"{server}" in result.stderr and "tweektrend stack up" in result.stderr
    assert "Traceback" not in result.stderr


def test_down_then_up_again_restarts_a_server_the_same_process_started(ferret_only):
    """The fault test's restart path, cheaply: `down` returns once the port is free, and the
    server started again is recorded (start time, boot, command line /proc shows) and ours."""
    from tweektrend_dagster.stack.process import Identity, command_line, start_time

    ferret_only.up()
    first = ferret_only.status()[0].pid
    for _ in range(2):
        ferret_only.down()
        with socket.socket() as s:  # free at once: nothing of the old server holds it
            s.bind(("127.0.0.1", ferret_only.settings.mongo_port))
        ferret_only.up()
        [row] = ferret_only.status()
        assert row.state == "up" and row.pid not in (None, first)
        record = Identity.loads(ferret_only._proc("ferretdb").pidfile.read_text())
        assert record.start_time == start_time(row.pid)
        assert list(record.confirmed) == command_line(row.pid)
        first = row.pid


def test_down_reports_and_spares_a_process_it_did_not_start(ferret_only, tmp_path):
    from tweektrend_dagster.stack.process import Identity, boot_id, start_time

    stranger = subprocess.Popen(["sleep", "60"], cwd=tmp_path, start_new_session=True)
    try:
        lines: list[str] = []
        ferret_only.echo = lines.append
        server, = ferret_only.servers
        argv, _ = server.command()  # what the launcher would have started
        proc = ferret_only._proc("ferretdb")
        proc.pidfile.parent.mkdir(parents=True, exist_ok=True)
        identity = Identity(stranger.pid, start_time(stranger.pid), boot_id(), tuple(argv))
        proc.pidfile.write_text(identity.dumps())
        ferret_only.down()
        assert stranger.poll() is None, "`stack down` signalled a process it did not start"
        assert any("stale pid file" in line for line in lines), lines
        assert not proc.pidfile.exists()
    finally:
        stranger.kill()
        stranger.wait()
