"""The `tweektrend` command."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer

from tweektrend_dagster.stack.errors import StackError

app = typer.Typer(
    help="TweekTrend: keyword trends and a live feed for X/Twitter.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
stack_app = typer.Typer(
    help="The local stack: Kafka, Cassandra, FerretDB and the project's processes.",
    no_args_is_help=True,
)
app.add_typer(stack_app, name="stack")


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


@stack_app.command("up")
def stack_up(
    servers_only: bool = typer.Option(
        False, "--servers-only", help="Start Kafka, Cassandra and FerretDB, nothing else."
    ),
    only: list[str] = typer.Option(None, "--only", help="Start only this server (repeatable)."),
) -> None:
    """Fetch what is missing and start everything; running parts are left alone."""
    from tweektrend_dagster.stack.launcher import Stack

    try:
        stack = Stack(only=only or None)
        stack.up(servers_only=servers_only)
    except StackError as exc:
        _fail(f"tweektrend stack up: {exc}")
    _print_status(stack)


@stack_app.command("down")
def stack_down(
    only: list[str] = typer.Option(None, "--only", help="Stop only this server (repeatable)."),
) -> None:
    """Stop every process of the local stack (data is kept)."""
    from tweektrend_dagster.stack.launcher import Stack

    try:
        Stack(only=only or None).down()
    except StackError as exc:
        _fail(f"tweektrend stack down: {exc}")


@stack_app.command("status")
def stack_status() -> None:
    """Show each server and process, up or down, with its address."""
    from tweektrend_dagster.stack.launcher import Stack

    stack = Stack()
    rows = _print_status(stack)
    if any(r.state != "up" for r in rows if r.name in {"kafka", "cassandra", "ferretdb"}):
        raise typer.Exit(3)


def _print_status(stack) -> list:
    rows = stack.status()
    for r in rows:
        color = typer.colors.GREEN if r.state == "up" else typer.colors.YELLOW
        pid = f"pid {r.pid}" if r.pid else "-"
        typer.echo(
            f"{r.name:<12}"
            + typer.style(f"{r.state:<9}", fg=color)
            + f"{r.address:<40} {pid:<12} {r.detail}"
        )
    typer.echo(f"data and logs: {stack.settings.home}")
    return rows


@app.command("inspect")
def inspect(path: Path) -> None:
    """Read a JSON or JSONL file of tweets (v1.1, v2, activity streams) and summarise it."""
    from tweektrend_dagster.tweets.inspect import inspect_file

    try:
        summary = inspect_file(path)
    except FileNotFoundError:
        _fail(f"tweektrend inspect: no such file: {path}")
    sys.stdout.write(orjson.dumps(summary).decode() + "\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
