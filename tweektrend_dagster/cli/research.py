"""A researcher's commands, no account needed: `tweektrend topics ...` (the command line's own
topics, user id `CLI_USER`), `tweektrend trends show` and `tweektrend export`.

Topics are the registry's (`keywords/registry.py`): the pipeline follows and backfills them as it
does the dashboard's. Trend tables and exports read the published trend documents as they are.
"""

from __future__ import annotations

import shlex
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from tweektrend_dagster.cli.common import fail, open_database

if TYPE_CHECKING:
    from pymongo.database import Database

    from tweektrend_dagster.cli.trend_reads import Target
    from tweektrend_dagster.keywords import Rule

topics_app = typer.Typer(
    help="Your topics: a name and a rule (a word, or a rule in X's filtered-stream syntax).",
    no_args_is_help=True,
)
trends_app = typer.Typer(help="Trend figures of a topic, in the terminal.", no_args_is_help=True)

# the rule may be typed unquoted over several words, and may start with '-' (an exclusion)
RULE_WORDS = {"ignore_unknown_options": True, "allow_interspersed_args": False}
RULE_HELP = ("a word, or a rule such as '코로나 OR covid -게임 lang:ko -is:retweet' (quote it so "
             "the shell keeps its quotes and parentheses)")
TOPIC_HELP = "your topic's name, or a key or keyword the registry follows"


class PeriodKind(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


def _rule_text(words: list[str]) -> str:
    return " ".join(words)


def _rule_of(key: str, canonical: str) -> Rule:
    from tweektrend_dagster.keywords import legacy_rule, rule_from_canonical

    # a key that is not q:<hash> is one word or phrase: exactly the legacy rule of that text
    return rule_from_canonical(canonical) if key.startswith("q:") else legacy_rule(key)


def _rule_lines(rule: Rule) -> list[str]:
    """The rule in plain words and what X's filtered stream receives."""
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.keywords import x_rules

    x = x_rules(rule, Settings.from_env().x_max_rule_length)  # the user's X plan's limit
    lines = [f"in plain words: {rule.explain()}"]
    label = "X receives" + ("" if x.exact else " (a wider rule; TweekTrend filters the rest)")
    if len(x.values) == 1:
        lines.append(f"{label}: {x.values[0]}")
    else:
        lines.append(f"{label}, as {len(x.values)} rules:")
        lines += [f"  {i}. {value}" for i, value in enumerate(x.values, start=1)]
    lines.append(f"  {x.note}")
    return lines


def _refused(command: str, exc: Exception) -> NoReturn:
    """An invalid or refused rule: the reason, and where it is when the parser knows."""
    from tweektrend_dagster.keywords import RuleError

    message = f"{command}: {getattr(exc, 'reason', None) or exc}"
    if isinstance(exc, RuleError) and exc.text:
        message += "\n" + exc.pointer()
    fail(message + "\nNothing was saved.")


def _topic(db: Database, command: str, name: str) -> dict[str, Any]:
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.keywords.registry import CLI_USER

    topic = KeywordRegistry(db).find_topic(CLI_USER, name)
    if topic is None:
        fail(f"{command}: you have no topic {name!r}. `tweektrend topics list` shows yours.")
    return topic


# ---------------------------------------------------------------------------------- topics
@topics_app.command("add", context_settings=RULE_WORDS)
def topics_add(
    name: str = typer.Argument(..., help="the topic's name"),
    rule: list[str] = typer.Argument(..., help=RULE_HELP),
) -> None:
    """Follow a rule as a topic; its history is backfilled from the raw archive."""
    from tweektrend_dagster.cli.trend_reads import history_status, keyword_range
    from tweektrend_dagster.keywords import InvalidKeyword, KeywordRegistry, parse_rule
    from tweektrend_dagster.keywords.registry import CLI_USER

    command = "tweektrend topics add"
    raw = _rule_text(rule)
    try:
        parsed = parse_rule(raw)  # before the database: a bad rule is told without a server
    except InvalidKeyword as exc:
        _refused(command, exc)
    db = open_database(command)
    registry = KeywordRegistry(db)
    known = registry.find_topic(CLI_USER, parsed.key)
    if known is not None and known["keyword"] == parsed.key:
        fail(f"{command}: you already follow this rule as the topic “{known['display']}”.")
    try:
        key = registry.add(CLI_USER, raw, name=name)
    except InvalidKeyword as exc:
        _refused(command, exc)
    name = (registry.find_topic(CLI_USER, key) or {}).get("display") or name
    typer.echo(f"Following “{name}”: key {key}")
    typer.echo(f"rule: {raw}")
    typer.echo("\n".join(_rule_lines(parsed)))
    if keyword_range(db, key):  # another topic follows the same rule: its data is shared
        typer.echo(f"history: {history_status(db, key)}")
    else:
        typer.echo("history: being backfilled from the raw archive (Dagster's new-keyword "
                   f"sensor picks the topic up); `tweektrend topics show {shlex.quote(name)}` "
                   "tells when documents arrive.")


@topics_app.command("edit", context_settings=RULE_WORDS)
def topics_edit(
    name: str = typer.Argument(..., help="the topic's name"),
    rule: list[str] = typer.Argument(..., help=RULE_HELP),
) -> None:
    """Give a topic a new rule (a new version); its history is recomputed by the backfill."""
    from tweektrend_dagster.keywords import InvalidKeyword, KeywordRegistry, parse_rule
    from tweektrend_dagster.keywords.registry import CLI_USER

    command = "tweektrend topics edit"
    raw = _rule_text(rule)
    try:
        parsed = parse_rule(raw)
    except InvalidKeyword as exc:
        _refused(command, exc)
    db = open_database(command)
    topic = _topic(db, command, name)
    try:
        key = KeywordRegistry(db).edit(CLI_USER, topic["keyword"], raw)
    except InvalidKeyword as exc:
        _refused(command, exc)
    if key == topic["keyword"]:
        typer.echo(f"“{topic['display']}”: the same rule written differently; its data is "
                   f"unchanged (key {key}).")
        return
    typer.echo(f"“{topic['display']}” now follows: {raw}")
    typer.echo(f"key {key} (was {topic['keyword']}; that rule's data stays)")
    typer.echo("\n".join(_rule_lines(parsed)))
    typer.echo("history: being recomputed from the raw archive for the new rule (Dagster's "
               "new-keyword sensor backfills the new key); `tweektrend topics show "
               f"{shlex.quote(topic['display'])}` tells when documents arrive.")


@topics_app.command("remove")
def topics_remove(name: str = typer.Argument(..., help="the topic's name")) -> None:
    """Stop following a topic (its trend data stays: others may follow the same rule)."""
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.keywords.registry import CLI_USER

    command = "tweektrend topics remove"
    db = open_database(command)
    topic = _topic(db, command, name)
    KeywordRegistry(db).remove(CLI_USER, topic["keyword"])
    typer.echo(f"Stopped following “{topic['display']}”. Its trend data stays under key "
               f"{topic['keyword']}: `tweektrend trends show {shlex.quote(topic['keyword'])}`.")


@topics_app.command("list")
def topics_list() -> None:
    """Your topics, oldest first."""
    from tweektrend_dagster.cli.table import render
    from tweektrend_dagster.keywords import KeywordRegistry
    from tweektrend_dagster.keywords.registry import CLI_USER

    db = open_database("tweektrend topics list")
    topics = KeywordRegistry(db).user_keywords(CLI_USER)
    if not topics:
        typer.echo("No topics yet: add one with `tweektrend topics add NAME RULE`.")
        return
    typer.echo(render(
        ["name", "rule", "key", "versions", "added (UTC)"],
        [[t["display"], t["rule"], t["keyword"], len(t["versions"]),
          f"{t['added_at']:%Y-%m-%d %H:%M}" if t.get("added_at") else None] for t in topics],
        right=[False, False, False, True, False]))


@topics_app.command("show")
def topics_show(name: str = typer.Argument(..., help="the topic's name")) -> None:
    """A topic's rule, what it means, what X receives, its versions and its history."""
    from tweektrend_dagster.cli.trend_reads import history_status

    command = "tweektrend topics show"
    db = open_database(command)
    topic = _topic(db, command, name)
    rule = _rule_of(topic["keyword"], topic["canonical"])
    typer.echo(f"name: {topic['display']}")
    typer.echo(f"rule as typed: {topic['rule']}")
    typer.echo(f"canonical: {rule.canonical}")
    typer.echo(f"key: {topic['keyword']} (rule version {rule.version})")
    typer.echo("\n".join(_rule_lines(rule)))
    typer.echo(f"versions ({len(topic['versions'])}):")
    for i, version in enumerate(topic["versions"], start=1):
        at = f"{version['at']:%Y-%m-%d %H:%M} UTC" if version.get("at") else "-"
        current = "  (current)" if version.get("key") == topic["keyword"] else ""
        typer.echo(f"  {i}. {at}  {version.get('rule')}  → {version.get('key')}{current}")
    typer.echo(f"history: {history_status(db, topic['keyword'])}")


# ---------------------------------------------------------------------------------- trends
def _parse_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date as YYYY-MM-DD",
                                 param_hint="--start") from None


def _backfill_hint(target: Target) -> str:
    """Where to look while a topic's history is computed, and its earlier rules' keys (their
    data stays under them)."""
    if target.topic is None:
        return ""
    hint = f": `tweektrend topics show {shlex.quote(target.name)}` tells"
    earlier = list(dict.fromkeys(
        v["key"] for v in target.topic["versions"] if v.get("key") not in (None, target.key)))
    if earlier:
        hint += f"; its earlier rules' data: `tweektrend trends show {shlex.quote(earlier[-1])}`"
    return hint


def _target_document(command: str, topic: str, period: str,
                     start: date | None) -> tuple[Target, dict[str, Any]]:
    """The TOPIC's key and its trend document of the period holding `start` (default: the
    newest period of this kind that holds data), or exit with why there is none."""
    from tweektrend_dagster.cli.trend_reads import (
        fetch_document,
        keyword_range,
        newest_start,
        period_start,
        resolve_target,
    )

    db = open_database(command)
    target = resolve_target(db, topic)
    if target is None:
        fail(f"{command}: no topic or followed keyword {topic!r}. `tweektrend topics list` "
             "shows your topics; `tweektrend topics add NAME RULE` follows one.")
    if start is None:
        first = newest_start(db, target.key, period)
        if first is None:
            fail(f"{command}: “{target.name}” has no {period} with posts yet (key "
                 f"{target.key}). A topic added moments ago is still being backfilled"
                 f"{_backfill_hint(target)}.")
    else:
        first = period_start(period, start)
    doc = fetch_document(db, target.key, period, first)
    if doc is None:
        rng = keyword_range(db, target.key) or {}
        known = (f" Its posts span {rng['first_day']} to {rng['last_day']}."
                 if rng.get("first_day") else "")
        fail(f"{command}: “{target.name}” has no trend document for the {period} starting "
             f"{first}: no post matched in it, or it has not been computed yet.{known}")
    return target, doc


@trends_app.command("show")
def trends_show(
    topic: str = typer.Argument(..., help=TOPIC_HELP),
    period: PeriodKind = typer.Option(PeriodKind.week, "--period", help="the period's length"),
    start: str = typer.Option(
        None, "--start", help="a day of the period (YYYY-MM-DD); default: the newest period "
        "that holds data"),
    exclude_retweets: bool = typer.Option(
        False, "--exclude-retweets", help="original posts only (replies and quotes count)"),
    top: int = typer.Option(10, "--top", min=1, help="top users and related words shown"),
) -> None:
    """A topic's period as a table: mentions, unique users, change against the previous
    period, the series per hour (day) or per day, top users and top related words."""
    from tweektrend_dagster.cli.trend_view import NoOriginals, render_trend

    command = "tweektrend trends show"
    target, doc = _target_document(command, topic, period.value, _parse_day(start))
    try:
        typer.echo(render_trend(doc, target.name, target.key, exclude_retweets, top))
    except NoOriginals as exc:
        fail(f"{command}: {exc}")


# ---------------------------------------------------------------------------------- export
EXPORT_HELP = "\n\n".join([
    "Write a topic's period as CSV or Parquet: its series, related words and top users, as "
    "three files side by side.",
    "The series, one row per bucket (an hour of a day, a day of longer periods): t (bucket "
    "start, UTC), mentions, users, and original_mentions, original_users (original posts: "
    "not retweets) when the trend document has them. It is --out, by default "
    "<topic>_<period>_<start>.<csv|parquet> in the working directory.",
    "<stem>.related_words.<ext>: rank, word, count, score, kind.",
    "<stem>.top_users.<ext>: among (all | originals), rank, username, name, author_id, posts, "
    "followers.",
    "CSV is UTF-8 with a BOM; a cell a spreadsheet would run as a formula starts with a '. "
    "Parquet files keep the topic, key, rule, rule version and as-of time as file metadata "
    "(key 'tweektrend'). Existing files are kept unless --overwrite.",
])


def export(
    topic: str = typer.Argument(..., help=TOPIC_HELP),
    period: PeriodKind = typer.Option(PeriodKind.month, "--period", help="the period's length"),
    fmt: ExportFormat = typer.Option(ExportFormat.csv, "--format", help="csv or parquet"),
    start: str = typer.Option(
        None, "--start", help="a day of the period (YYYY-MM-DD); default: the newest period "
        "that holds data"),
    out: Path = typer.Option(None, "--out", help="the series file; the others go beside it"),
    overwrite: bool = typer.Option(False, "--overwrite", help="replace existing files"),
) -> None:
    """Write a topic's period as CSV or Parquet files (see EXPORT_HELP)."""
    from tweektrend_dagster.cli.export import export_paths, provenance, write_export
    from tweektrend_dagster.cli.trend_view import originals_of, period_label

    command = "tweektrend export"
    day = _parse_day(start)
    target, doc = _target_document(command, topic, period.value, day)
    files = export_paths(fmt.value, target.name, period.value, doc["start"], out)
    existing = [str(p) for p in files.all() if p.exists()]
    if existing and not overwrite:
        fail(f"{command}: {', '.join(existing)} already exist; pass --overwrite to replace.")
    try:
        written = write_export(doc, files, fmt.value, target.name)
    except OSError as exc:
        fail(f"{command}: cannot write {exc.filename}: {exc.strerror}")
    meta = provenance(doc, target.name)
    typer.echo(f"“{target.name}” (key {meta['key']}), {period_label(doc)}"
               + (f", rule version {meta['rule_version']}" if meta["rule_version"] else "")
               + (", final" if meta["final"] else ", open: still counting")
               + (f", as of {meta['as_of']}" if meta["as_of"] else ""))
    if originals_of(doc) is None:
        typer.echo("note: this period's document has no original-post figures yet (written at "
                   "its next computation); the series has totals only.", err=True)
    for path, rows in written.items():
        typer.echo(f"{path}  ({rows} rows)")
