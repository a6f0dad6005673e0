"""The local run of the product: the launcher (`stack/`, which knows nothing of the product)
given the bootstrap to run once the servers are up and the project's own processes to start,
in start order. `tweektrend stack ...`, the tests and the benches build their stack here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from tweektrend_dagster.artifacts.build import REPO_ROOT
from tweektrend_dagster.config import Settings
from tweektrend_dagster.stack.app import App, python_bin
from tweektrend_dagster.stack.launcher import Stack
from tweektrend_dagster.stack.process import ManagedProcess


def local_stack(
    settings: Settings | None = None,
    echo: Callable[[str], None] = print,
    only: list[str] | None = None,
) -> Stack:
    """The whole local stack: servers, then topics/schema/indexes, then the apps below."""
    return Stack(settings, echo, only, apps=local_apps, bootstrap=bootstrap)


def bootstrap(settings: Settings, with_demo: bool) -> Iterator[str]:
    """Topics, the Cassandra schema and the Mongo indexes; with the demo data: the demo
    user's keywords, so a fresh local run has trends to show."""
    from tweektrend_dagster.ingest import bootstrap as ingest_bootstrap

    yield from ingest_bootstrap.bootstrap(settings)
    if with_demo:
        yield ingest_bootstrap.seed_demo_keywords(settings)


# The live sources the stack can run (`stack up --source KIND`, repeatable), each a
# `tweektrend produce` process; their options come from TWEEKTREND_* variables (README).
SOURCE_TITLES = {
    "simulator": "Simulator ({rate} tweets/s)",
    "bluesky": "Bluesky (Jetstream)",
    "mastodon": "Mastodon (streaming API)",
    "x-api": "X API filtered stream",
    "x-sample": "X API sample stream",
}
DEFAULT_SOURCES = ("simulator",)


def sources_file(settings: Settings) -> Path:
    return settings.home / "sources"


def chosen_sources(settings: Settings) -> tuple[str, ...]:
    """The sources the stack runs: TWEEKTREND_SOURCES (comma-separated), else the last
    `stack up --source` choice kept in the data directory, else the simulator."""
    raw = settings.sources
    if not raw:
        try:
            raw = sources_file(settings).read_text()
        except FileNotFoundError:
            return DEFAULT_SOURCES
    chosen = tuple(k for k in (p.strip() for p in raw.replace("\n", ",").split(",")) if k)
    unknown = [k for k in chosen if k not in SOURCE_TITLES]
    if unknown:
        raise ValueError(f"unknown source {', '.join(unknown)}; known: {', '.join(SOURCE_TITLES)}")
    return chosen or DEFAULT_SOURCES


def choose_sources(settings: Settings, kinds: list[str]) -> tuple[str, ...]:
    """Keep `kinds` as the stack's sources from now on (checked first)."""
    unknown = [k for k in kinds if k not in SOURCE_TITLES]
    if unknown:
        raise ValueError(f"unknown source {', '.join(unknown)}; known: {', '.join(SOURCE_TITLES)}")
    settings.home.mkdir(parents=True, exist_ok=True)
    sources_file(settings).write_text(",".join(kinds) + "\n")
    return tuple(kinds)


def choose_profile(settings: Settings, profile: str) -> None:
    """Keep `profile` (single or cluster) for this and later starts. The other profile's
    servers must be down first: both use the same ports on 127.0.0.1."""
    from tweektrend_dagster.config import is_set, profile_file
    from tweektrend_dagster.contracts.errors import ServiceUnavailable

    if profile == settings.profile:
        return
    if is_set("PROFILE"):
        raise ServiceUnavailable(
            f"TWEEKTREND_PROFILE is {settings.profile}: unset it to choose {profile} here.")
    running = [s.title for s in Stack(settings, echo=lambda line: None).servers
               if ManagedProcess(s.name, settings.home).running()]
    if running:
        raise ServiceUnavailable(
            f"The {settings.profile} stack is running ({', '.join(running)}). Stop it with "
            f"`tweektrend stack down`, then start the {profile} one.")
    settings.home.mkdir(parents=True, exist_ok=True)
    profile_file(settings.home).write_text(profile + "\n")


def source_apps(settings: Settings) -> list[App]:
    """One `produce` process per source kind; only the chosen ones are started."""
    py = python_bin(settings)
    chosen = chosen_sources(settings)
    rate = f"{settings.simulator_rate:g}"
    apps = []
    for kind, title in SOURCE_TITLES.items():
        argv = [py, "-m", "tweektrend_dagster.cli", "produce", "--source", kind]
        if kind == "simulator":
            argv += ["--rate", rate]
        apps.append(App(kind, title.format(rate=rate), argv, enabled=kind in chosen))
    return apps


def _ingest_restarts(settings: Settings) -> str:
    from tweektrend_dagster.ingest.pool import read_restarts

    restarts = read_restarts(settings)
    return restarts.summary() if restarts else ""


def _tool(settings: Settings, name: str) -> str:
    """A console script of this environment (dagster, streamlit) next to its python."""
    return str(Path(python_bin(settings)).parent / name)


def local_apps(settings: Settings) -> list[App]:
    py = python_bin(settings)
    host = settings.host
    workers = str(settings.workers)
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
            detail=lambda: _ingest_restarts(settings),
        ),
        App(
            "live",
            "Live counts (Spark Structured Streaming)",
            [py, "-m", "tweektrend_dagster.cli", "live"],
        ),
        *source_apps(settings),
        App(
            "dagster",
            "Dagster (dagster dev)",
            [
                _tool(settings, "dagster"),
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
                _tool(settings, "streamlit"),
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
