"""A process of the project itself that the launcher starts after the servers are healthy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tweektrend_dagster.config import Settings


@dataclass
class App:
    name: str
    title: str
    argv: list[str]
    url: str | None = None  # polled for readiness when set
    address: str = "-"  # what the user opens or connects to
    port: int | None = None
    env: dict[str, str] = field(default_factory=dict)
    start_timeout: float = 120.0
    files: dict[Path, Path] = field(default_factory=dict)  # copied (target: source) before start
    detail: Callable[[], str] | None = None  # extra words for `stack status` while it runs
    # not chosen this time (a source the user did not pick): not started, stopped if running
    enabled: bool = True


def python_bin(settings: Settings | None = None) -> str:
    """The interpreter of this environment (TWEEKTREND_PYTHON overrides it), so every process
    of the stack runs in the launcher's venv."""
    return (settings or Settings.from_env()).python
