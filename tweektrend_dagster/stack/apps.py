"""The project's own long-running processes in the local stack, in start order."""

from __future__ import annotations

import os
from pathlib import Path

from tweektrend_dagster.config import Settings
from tweektrend_dagster.stack.artifacts import REPO_ROOT
from tweektrend_dagster.stack.launcher import App, python_bin


def _tool(name: str) -> str:
    """A console script of this environment (dagster, streamlit) next to its python."""
    return str(Path(python_bin()).parent / name)


def local_apps(settings: Settings) -> list[App]:
    py = python_bin()
    host = settings.host
    workers = os.environ.get("TWEEKTREND_WORKERS", "2")
    rate = os.environ.get("TWEEKTREND_SIMULATOR_RATE", "50")
    dagster_home = settings.home / "dagster"
    return [
        App(
            "mailcatcher",
            "Mail catcher (SMTP)",
            [py, "-m", "tweektrend_dagster.cli", "mailcatcher"],
            port=settings.smtp_port,
            address=f"smtp://{host}:{settings.smtp_port}",
        ),
        App(
            "ingest",
            f"Ingestion workers ({workers})",
            [py, "-m", "tweektrend_dagster.cli", "ingest", "--workers", workers],
        ),
        App(
            "simulator",
            f"Simulator ({rate} tweets/s)",
            [
                py,
                "-m",
                "tweektrend_dagster.cli",
                "produce",
                "--source",
                "simulator",
                "--rate",
                rate,
            ],
        ),
        App(
            "dagster",
            "Dagster (dagster dev)",
            [
                _tool("dagster"),
                "dev",
                "-w",
                str(REPO_ROOT / "workspace.yaml"),
                "-h",
                host,
                "-p",
                str(settings.dagster_port),
            ],
            url=f"http://{host}:{settings.dagster_port}/server_info",
            address=f"http://{host}:{settings.dagster_port}",
            port=settings.dagster_port,
            env={"DAGSTER_HOME": str(dagster_home)},
            start_timeout=240,
            # dagster reads its instance config (SQLite storage) from DAGSTER_HOME/dagster.yaml
            files={dagster_home / "dagster.yaml": REPO_ROOT / "dagster.yaml"},
        ),
        App(
            "streamlit",
            "Dashboard (Streamlit)",
            [
                _tool("streamlit"),
                "run",
                str(REPO_ROOT / "streamlit_app" / "app.py"),
                "--server.port",
                str(settings.streamlit_port),
                "--server.address",
                host,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            url=f"http://{host}:{settings.streamlit_port}/_stcore/health",
            address=f"http://{host}:{settings.streamlit_port}",
            port=settings.streamlit_port,
            start_timeout=120,
        ),
    ]
