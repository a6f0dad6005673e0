"""What every `tweektrend` command shares: how it fails and how it reaches MongoDB."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

import typer

from tweektrend_dagster.contracts.errors import ServiceUnavailable

if TYPE_CHECKING:
    from pymongo.database import Database


def fail(message: str, code: int = 1) -> NoReturn:
    """Print the message in red on stderr and exit non-zero."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def open_database(command: str) -> Database:
    """The project's Mongo database (FerretDB locally), or exit with the message that names the
    server and how to start it."""
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.config import Settings

    try:
        return mongo_database(Settings.from_env())
    except ServiceUnavailable as exc:
        fail(f"{command}: {exc}")
