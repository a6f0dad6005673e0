"""What the launcher knows of a server: its ports, address, command, readiness probe."""

from __future__ import annotations

from pathlib import Path
from string import Template

from tweektrend_dagster.config import Settings

TEMPLATES = Path(__file__).parent / "templates"


def render(template: str, target: Path, **values: object) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    text = Template((TEMPLATES / template).read_text()).substitute(**values)
    target.write_text(text)
    return target


class Server:
    name: str = ""
    title: str = ""
    # the TWEEKTREND_{port_variable}_* variables that choose its ports (named in a port clash)
    port_variable: str = ""
    start_timeout: float = 120.0
    stop_timeout: float = 30.0
    # servers (by name) that must answer before this one starts (a Cassandra node joining the
    # seed, the Spark driver registering with its master)
    start_after: tuple[str, ...] = ()

    def __init__(self, settings: Settings):
        self.settings = settings
        self.host = settings.host  # the address it listens on (a node: its own loopback address)

    @property
    def dir(self) -> Path:
        return self.settings.home / self.name

    def ports(self) -> dict[str, int]:
        raise NotImplementedError

    def address(self) -> str:
        raise NotImplementedError

    def command(self) -> tuple[list[str], Path]:
        """Fetch what is missing, write the config and return (argv, working directory)."""
        raise NotImplementedError

    def probe(self) -> str | None:
        """A short description (its version, its role) when the server answers a real request,
        else None."""
        raise NotImplementedError

    def health(self, running: bool) -> tuple[bool, str]:
        """(answers, what `stack status` says of it); `running`: its process is alive."""
        detail = self.probe() if running else None
        return bool(detail), detail or ""

    def env(self) -> dict[str, str]:
        """Environment variables the server process needs besides the launcher's own."""
        return {}
