"""One data directory for every process of the stack, and a misplaced one moved back once."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

from tweektrend_dagster.config import Settings
from tweektrend_dagster.local_stack import local_stack
from tweektrend_dagster.stack.launcher import Stack

PRINT_PATHS = (
    "from tweektrend_dagster.config import Settings\n"
    "s = Settings.from_env(); print(s.home); print(s.analytics_path)\n"
)


def _stack(tmp_path, lines: list[str]) -> Stack:
    settings = replace(Settings.from_env(), home=tmp_path / "home")
    return local_stack(settings, echo=lines.append)


def test_every_app_runs_with_the_stacks_absolute_data_directory(tmp_path):
    stack = _stack(tmp_path, [])
    home = stack.settings.home
    apps = stack.apps()
    assert {a.name for a in apps} >= {"ingest", "simulator", "dagster", "streamlit"}
    for app in apps:
        assert stack.app_env(app)["TWEEKTREND_HOME"] == str(home), app.name
    assert stack.app_env(next(a for a in apps if a.name == "dagster"))["DAGSTER_HOME"]

    # what an app started in apps/ (as the launcher starts them) resolves
    cwd = home / "apps"
    cwd.mkdir(parents=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TWEEKTREND_HOME", "TWEEKTREND_ANALYTICS_PATH")
    }
    dagster = next(a for a in apps if a.name == "dagster")
    out = subprocess.run(
        [sys.executable, "-c", PRINT_PATHS],
        cwd=cwd,
        env={**env, **stack.app_env(dagster), "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(home), str(home / "analytics")]
    # without it, the relative default makes a second data directory inside apps/
    stray = subprocess.run(
        [sys.executable, "-c", PRINT_PATHS],
        cwd=cwd,
        env={**env, "PYTHONPATH": os.getcwd()},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert stray[0] == str(cwd / ".tweektrend")


def test_a_misplaced_data_directory_is_moved_once_and_conflicts_are_left_and_said(tmp_path):
    lines: list[str] = []
    stack = _stack(tmp_path, lines)
    home = stack.settings.home
    misplaced = home / "apps" / ".tweektrend"
    (misplaced / "analytics" / "daily_keyword").mkdir(parents=True)
    (misplaced / "analytics" / "daily_keyword" / "part-0.parquet").write_bytes(b"PAR1")
    (misplaced / "secret_key").write_text("old-secret")
    (misplaced / "data_key").write_text("misplaced-key")
    (home / "data_key").write_text("the-key-in-use")

    stack.move_misplaced_data()
    assert (home / "analytics" / "daily_keyword" / "part-0.parquet").read_bytes() == b"PAR1"
    assert (home / "secret_key").read_text() == "old-secret"
    assert (home / "data_key").read_text() == "the-key-in-use"  # never overwritten
    assert (misplaced / "data_key").read_text() == "misplaced-key"
    assert any(line.startswith("  moved") and "analytics" in line for line in lines)
    assert any(line.startswith("  left") and "data_key" in line for line in lines)

    # once: a second start finds only what was left, and says it again
    (misplaced / "data_key").unlink()
    lines.clear()
    stack.move_misplaced_data()
    assert not misplaced.exists() and lines == []
