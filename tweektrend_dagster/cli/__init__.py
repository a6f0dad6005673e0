"""The `tweektrend` command: the stack, ingestion and the live counts here; a researcher's
topics, trend tables and exports in `research.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import orjson
import typer

from tweektrend_dagster.cli import research
from tweektrend_dagster.cli.common import fail as _fail
from tweektrend_dagster.contracts.errors import ServiceUnavailable

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
app.add_typer(research.topics_app, name="topics")
app.add_typer(research.trends_app, name="trends")
app.command("export", help=research.EXPORT_HELP)(research.export)


@stack_app.command("up")
def stack_up(
    servers_only: bool = typer.Option(
        False, "--servers-only", help="Start Kafka, Cassandra and FerretDB, nothing else."
    ),
    only: list[str] = typer.Option(None, "--only", help="Start only this server (repeatable)."),
    source: list[str] = typer.Option(
        None, "--source",
        help="Where posts come from (repeatable): simulator, bluesky, mastodon, x-api, x-sample. "
             "Kept for later starts; sources not chosen are stopped. Default: the last choice, "
             "or the simulator."),
    cluster: bool = typer.Option(
        None, "--cluster/--single",
        help="--cluster: 3 Kafka brokers and 3 Cassandra nodes on 127.0.0.1-3 (replication 3), "
             "a Spark master and 2 workers; --single: one node of each. Kept for later starts; "
             "default: the last choice, or single."),
) -> None:
    """Fetch what is missing and start everything; running parts are left alone."""
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.local_stack import choose_profile, choose_sources, local_stack

    try:
        if cluster is not None:
            choose_profile(Settings.from_env(), "cluster" if cluster else "single")
        if source:
            choose_sources(Settings.from_env(), source)
        stack = local_stack(only=only or None)
        stack.up(servers_only=servers_only)
    except (ServiceUnavailable, ValueError) as exc:
        _fail(f"tweektrend stack up: {exc}")
    _print_status(stack)


@stack_app.command("down")
def stack_down(
    only: list[str] = typer.Option(None, "--only", help="Stop only this server (repeatable)."),
) -> None:
    """Stop every process of the local stack (data is kept)."""
    from tweektrend_dagster.local_stack import local_stack

    try:
        local_stack(only=only or None).down()
    except ServiceUnavailable as exc:
        _fail(f"tweektrend stack down: {exc}")


@stack_app.command("status")
def stack_status() -> None:
    """Show each server and process, up or down, with its address."""
    from tweektrend_dagster.local_stack import local_stack

    stack = local_stack()
    rows = _print_status(stack)
    servers = {"kafka", "cassandra", "ferretdb"}  # a cluster's nodes are kafka-1, cassandra-2, …
    if any(r.state != "up" for r in rows if r.name.split("-")[0] in servers):
        raise typer.Exit(3)


def _print_status(stack) -> list:
    rows = stack.status()
    for r in rows:
        color = typer.colors.GREEN if r.state == "up" else typer.colors.YELLOW
        pid = f"pid {r.pid}" if r.pid else "-"
        typer.echo(
            f"{r.name:<15}"
            + typer.style(f"{r.state:<14}", fg=color)
            + f"{r.address:<40} {pid:<12} {r.detail}"
        )
    typer.echo(f"data and logs: {stack.settings.home}")
    return rows


_COLUMNS_HELP = (
    "CSV: FIELD=HEADER pairs for headers not recognised, e.g. "
    "id=tweet_id,text=content,created_at=timestamp"
)


@app.command("inspect")
def inspect(
    path: Path,
    columns: str = typer.Option(None, "--columns", help=_COLUMNS_HELP),
) -> None:
    """Read a file of tweets and summarise it: JSON, JSONL, X API v1.1/v2 (pages too), twarc2,
    activity streams or CSV, plain, .gz, .bz2, .xz or .zip."""
    from tweektrend_dagster.tweets.csv_rows import parse_columns
    from tweektrend_dagster.tweets.inspect import inspect_file

    try:
        summary = inspect_file(path, parse_columns(columns))
    except FileNotFoundError:
        _fail(f"tweektrend inspect: no such file: {path}")
    except ValueError as exc:
        _fail(f"tweektrend inspect: {exc}")
    sys.stdout.write(orjson.dumps(summary).decode() + "\n")


@app.command("produce")
def produce(
    source: str = typer.Option(
        "simulator", help="simulator, replay, x-api, x-sample, bluesky or mastodon"),
    rate: float = typer.Option(
        200.0, help="simulator: tweets/s (0 = as fast as possible)"
    ),
    seed: int = typer.Option(42, help="simulator: random seed"),
    file: Path = typer.Option(
        None, help="replay: a file of tweets (JSON, JSONL, v2 pages, twarc2, CSV; .gz/.bz2/.zip)"
    ),
    speed: float = typer.Option(
        0.0, help="replay: 0 = at once, 1 = real time, 60 = 60x"
    ),
    loop: bool = typer.Option(False, help="replay: start over at the end"),
    columns: str = typer.Option(None, "--columns", help=f"replay: {_COLUMNS_HELP}"),
    limit: int = typer.Option(None, help="stop after this many payloads"),
    keyword: list[str] = typer.Option(None, help="also match this keyword (repeatable)"),
    endpoint: list[str] = typer.Option(
        None, envvar="TWEEKTREND_JETSTREAM_URL",
        help="bluesky: Jetstream address(es), tried in turn (default: the public instances)"),
    instance: list[str] = typer.Option(
        None, envvar="TWEEKTREND_MASTODON_INSTANCES",
        help="mastodon: instance host or URL (repeatable; the variable: comma-separated)"),
    stream: str = typer.Option(
        None, envvar="TWEEKTREND_MASTODON_STREAM",
        help="mastodon: public, public:local or hashtag (the followed keywords' hashtags); "
             "default public for one instance, public:local for several"),
    token: str = typer.Option(
        None, envvar="TWEEKTREND_MASTODON_TOKEN",
        help="mastodon: an access token, for instances whose streams need one"),
) -> None:
    """Send posts from a source to Kafka, matched against the keyword registry."""
    import signal

    from confluent_kafka import KafkaException

    from tweektrend_dagster.cli_logging import setup_logging
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.ingest.keyword_watch import KeywordWatch
    from tweektrend_dagster.ingest.producer import TweetProducer
    from tweektrend_dagster.ingest.source_status import SourceStatusWriter
    from tweektrend_dagster.ingest.sources.base import SOURCE_NETWORKS, known_kinds, make_source
    from tweektrend_dagster.keywords import KeywordRegistry, normalize_keyword

    setup_logging()
    settings = Settings.from_env()
    if source not in known_kinds():
        _fail(f"tweektrend produce: unknown source {source!r}; known: {', '.join(known_kinds())}")
    try:
        fixed = [normalize_keyword(k) for k in keyword or []]
        db = mongo_database(settings)
        registry = KeywordRegistry(db)
        watch = KeywordWatch(registry, fixed=fixed)

        def followed() -> dict:
            # the rules the producer matches now: one registry poll (the watch's) serves both
            return watch.matcher().rules

        options: dict = {}
        if source == "simulator":
            from tweektrend_dagster.ingest.sources.simulator import DEFAULT_KEYWORDS

            # the followed rules' words, so every rule has posts to find
            words = {w for rule in followed().values() for w in rule.anchor_words()}
            options = {
                "seed": seed,
                "rate": rate,
                "keywords": sorted(set(DEFAULT_KEYWORDS) | words),
            }
        elif source == "x-api":
            # the stream's rules follow the registry's (split or loosened where X needs it)
            options = {"rules_provider": followed, "max_rule_length": settings.x_max_rule_length}
        elif source == "replay":
            if file is None:
                _fail("tweektrend produce: --source replay needs --file PATH")
            options = {"path": file, "speed": speed, "loop": loop, "columns": columns}
        elif source == "bluesky":
            # the cursor survives restarts: a new start resumes a few seconds before it
            options = {"cursor_file": settings.home / "state" / "jetstream-cursor"}
            if endpoint:
                options["endpoint"] = _split(endpoint)
        elif source == "mastodon":
            if not instance:
                _fail("tweektrend produce: --source mastodon needs --instance HOST "
                      "(or TWEEKTREND_MASTODON_INSTANCES), e.g. mastodon.social")
            options = {"instances": _split(instance), "stream": stream, "token": token,
                       "hashtags_provider": lambda: followed_hashtags(followed().values())}
        src = make_source(source, **options)
        ensure_topics(settings)
    except (ServiceUnavailable, ValueError, FileNotFoundError) as exc:
        _fail(f"tweektrend produce: {exc}")
    # the source's counts and lag, for the dashboard's settings page (in the registry's database)
    status = SourceStatusWriter(db, source, source) if db is not None else None
    producer = TweetProducer(settings, watch, network=SOURCE_NETWORKS.get(source), status=status)
    # SIGTERM (`stack down`, a service manager) as Ctrl-C: stop reading, deliver what is queued
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        producer.run(src.payloads(), limit=limit)
    except KeyboardInterrupt:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not cut the flush
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        typer.echo(f"interrupted: delivering {producer.queued()} queued messages", err=True)
        try:
            producer.flush(60)
        except KafkaException as exc:
            _fail(f"tweektrend produce: {exc.args[0]}")
        typer.echo(
            f"stopped: {producer.sent} tweets as {producer.messages} messages, "
            f"{producer.dead} dead letters",
            err=True,
        )
    except KafkaException as exc:
        _fail(f"tweektrend produce: {exc.args[0]}")
    finally:
        src.close()
    if producer.failed_deliveries:
        _fail(
            f"tweektrend produce: {producer.failed_deliveries} messages were not delivered to "
            f"Kafka at {settings.kafka_bootstrap} (reasons in the log above)"
        )


def followed_hashtags(rules) -> list[str]:  # noqa: ANN001
    """The hashtags a Mastodon hashtag stream follows for the followed rules: each rule's
    hashtags and single words (Mastodon streams a tag, not a search); phrases are left out."""
    tags = set()
    for rule in rules:
        for word in rule.anchor_words():
            if not word.startswith("@") and " " not in word:
                tags.add(word.lstrip("#").lower())
    return sorted(tags)


def _split(values: list[str]) -> list[str]:
    """Repeated options and comma-separated variables alike → one list."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


@app.command("ingest")
def ingest(
    workers: int = typer.Option(2, min=1, help="worker processes in the consumer group"),
) -> None:
    """Consume the tweet topic into Cassandra until stopped (SIGTERM finishes the batch)."""
    from tweektrend_dagster.cli_logging import setup_logging
    from tweektrend_dagster.clients import cassandra_session
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.ingest.pool import run_pool

    setup_logging()
    settings = Settings.from_env()
    try:
        _, cluster = cassandra_session(settings)  # fail fast, with the message, before forking
        cluster.shutdown()
        ensure_topics(settings)
    except ServiceUnavailable as exc:
        _fail(f"tweektrend ingest: {exc}")
    raise typer.Exit(run_pool(settings, workers))


@app.command("forget")
def forget(
    file: Path = typer.Argument(..., help="X batch compliance results (JSON lines), or post ids "
                                "one per line; '-' reads standard input"),
    network: str = typer.Option("x", help="the network the ids belong to: x, bluesky, mastodon"),
) -> None:
    """Remove deleted posts from the archive, the feed, the top posts and later counts (the
    ingest pool's deletion applier does it; this queues the deletions on Kafka)."""
    from confluent_kafka import KafkaException, Producer

    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.ingest.producer import producer_config
    from tweektrend_dagster.tweets.checks import NETWORKS
    from tweektrend_dagster.tweets.compliance import read_compliance

    if network not in NETWORKS:
        _fail(f"tweektrend forget: unknown network {network!r}; known: {', '.join(NETWORKS)}")
    settings = Settings.from_env()
    try:
        lines = sys.stdin.buffer if str(file) == "-" else file.open("rb")
    except OSError as exc:
        _fail(f"tweektrend forget: cannot read {file}: {exc.strerror}")
    with lines:
        read = read_compliance(lines, network)
    for problem in read.problems[:20]:
        typer.echo(f"skipped {problem}", err=True)
    try:
        ensure_topics(settings)
        producer = Producer(producer_config(settings))
        for d in read.deletions:
            while True:
                try:
                    producer.produce(settings.events_topic, d.to_json(),
                                     key=f"{d.network}:{d.id}".encode())
                    break
                except BufferError:  # a long list: let the queue drain
                    producer.poll(0.5)
            producer.poll(0)
        left = producer.flush(60)
    except (ServiceUnavailable, KafkaException) as exc:
        _fail(f"tweektrend forget: {exc}")
    if left:
        _fail(f"tweektrend forget: {left} deletions were not delivered to Kafka at "
              f"{settings.kafka_bootstrap}; run the command again (it is idempotent)")
    others = ", ".join(f"{n} {action}" for action, n in sorted(read.not_deletions.items()))
    typer.echo(
        f"{len(read.deletions)} deletions queued for the deletion applier"
        + (f"; not deletions, left alone: {others}" if others else "")
        + (f"; {len(read.problems)} lines skipped" if read.problems else "")
    )


@app.command("live")
def live() -> None:
    """Keep today's mentions, unique users and hourly series from the stream (Spark
    Structured Streaming, checkpointed under the data directory) until stopped."""
    from tweektrend_dagster.cli_logging import setup_logging
    from tweektrend_dagster.clients import mongo_database
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.ingest.kafka_topics import ensure_topics
    from tweektrend_dagster.streaming import run_live

    setup_logging()
    settings = Settings.from_env()
    try:
        mongo_database(settings).client.close()  # fail fast, with the message
        ensure_topics(settings)
    except ServiceUnavailable as exc:
        _fail(f"tweektrend live: {exc}")
    run_live(settings)


@app.command("mailcatcher")
def mailcatcher() -> None:
    """A local SMTP server that keeps every mail under the data directory (development)."""
    from tweektrend_dagster.config import Settings
    from tweektrend_dagster.mail import run_mailcatcher

    run_mailcatcher(Settings.from_env())


def main() -> None:
    app()
