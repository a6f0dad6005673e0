"""Deletions and reactions applied: a post its network reports deleted leaves the archive, the
feed, the top posts, and the counts of the next refresh of its day; a like or repost of a
followed post is kept, and counted in its engagement by that refresh.

The producer sends every `Deletion` (Jetstream and Mastodon delete events, `tweektrend forget`
for X's compliance lists) to the events topic; one applier process consumes it (in the ingest
pool) and, for each deletion:
1. finds the post's raw row: every network's ids carry their creation time (X and Mastodon
   snowflakes, Bluesky TIDs), so the post is looked up in that hour and the two beside it (a
   post's own `created_at` may differ from its id's time by clock skew);
2. deletes the raw row, its `posts_by_keyword` rows (one per keyword it matched) and its
   engagement row, and marks its hour changed (`ingested_hours`), so the sensor's next refresh
   of that day recomputes the hour without it;
3. takes the post out of the published documents' top posts at once (they are rebuilt by that
   refresh anyway).
A deletion that finds nothing yet (the post may still be on its way: a stream that resumed
from its cursor can deliver a post again after its deletion) is tried again a minute and ten
minutes later, then counted as not found. Offsets are committed after a deletion's first try,
which is idempotent: a replay deletes nothing twice.

A `Reaction` (the producer forwards only those of posts a keyword follows) becomes one
`post_reactions` row, filed under the day its post's id names; the post's hour is marked
changed, so its day's next refresh counts the likes and reposts (`analytics/source.py` joins
them to the posts: on Bluesky a post's own record carries no counts). A replayed reaction writes
the same row again.
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import orjson
from cassandra.cluster import Session

from tweektrend_dagster.contracts import names
from tweektrend_dagster.contracts.tables import INGESTED_DAYS, INGESTED_HOURS, POST_REACTIONS
from tweektrend_dagster.tweets.checks import parse_iso_time
from tweektrend_dagster.tweets.events import REACTION_KINDS, Deletion, Reaction

log = logging.getLogger(__name__)

RETRY_AFTER = (60.0, 600.0)  # seconds after the first try
_TWITTER_EPOCH_MS = 1_288_834_974_657
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_EARLIEST = datetime(2006, 3, 21, tzinfo=UTC)


def id_time(network: str, post_id: str) -> datetime | None:
    """When a post was created, as its id encodes it; None when the id does not say."""
    try:
        if network == "x":
            value = int(post_id)
            # snowflakes began in November 2010; older ids are sequential
            at = (value >> 22) + _TWITTER_EPOCH_MS if value > 29_700_859_247 else None
            return _plausible(at / 1000 if at else None)
        if network == "mastodon":
            local = post_id.rpartition("/")[2]
            return _plausible((int(local) >> 16) / 1000) if local.isdigit() else None
        if network == "bluesky":
            rkey = post_id.rpartition("/")[2]
            if len(rkey) != 13 or any(c not in _TID_ALPHABET for c in rkey):
                return None
            value = 0
            for c in rkey:
                value = value * 32 + _TID_ALPHABET.index(c)
            return _plausible((value >> 10) / 1_000_000)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def _plausible(seconds: float | None) -> datetime | None:
    if seconds is None:
        return None
    at = datetime.fromtimestamp(seconds, UTC)
    return at if _EARLIEST <= at <= datetime.now(UTC) + timedelta(days=1) else None


def candidate_hours(network: str, post_id: str) -> list[tuple[date, int]]:
    """The (day, hour) partitions where the post's raw row may be: its id's hour first."""
    at = id_time(network, post_id)
    if at is None:
        return []
    hours = [at, at - timedelta(hours=1), at + timedelta(hours=1)]
    return [(h.date(), h.hour) for h in hours]


def decode_event(value: bytes) -> Deletion | Reaction:
    """An events-topic message → Deletion or Reaction; ValueError for anything else."""
    obj = orjson.loads(value)
    if not isinstance(obj, dict):
        raise ValueError("not an event object")
    if "deleted_at" in obj:
        return Deletion(network=str(obj["network"]), id=str(obj["id"]),
                        deleted_at=parse_iso_time(obj["deleted_at"], "deleted_at"),
                        origin=str(obj.get("origin") or "?"))
    if "reacted_at" in obj and obj.get("kind") in REACTION_KINDS:
        return Reaction(network=str(obj["network"]), post_id=str(obj["post_id"]),
                        kind=obj["kind"], id=str(obj["id"]), actor_id=str(obj["actor_id"]),
                        reacted_at=parse_iso_time(obj["reacted_at"], "reacted_at"))
    raise ValueError("neither a deletion nor a reaction")


@dataclass
class EventApplier:
    """Applies the events topic to Cassandra: deletions (and to the documents' top posts, when
    given `trends`) and reactions."""

    session: Session
    trends: object | None = None  # the Mongo `trends` collection
    deleted: int = 0
    not_found: int = 0
    reactions: int = 0
    undated: int = 0  # reactions to a post whose id names no day (left out)
    _pending: list = field(default_factory=list)  # heap of (due, seq, tries, deletion)
    _seq: int = 0

    def __post_init__(self) -> None:
        s = self.session
        self._find = s.prepare(
            f"SELECT created_at, keywords FROM {names.RAW_TABLE} "
            "WHERE day = ? AND hour = ? AND network = ? AND id = ?")
        self._del_raw = s.prepare(
            f"DELETE FROM {names.RAW_TABLE} WHERE day = ? AND hour = ? AND network = ? AND id = ?")
        self._del_keyword = s.prepare(
            f"DELETE FROM {names.KEYWORD_TABLE} WHERE keyword = ? AND day = ? AND hour = ? "
            "AND created_at = ? AND network = ? AND id = ?")
        self._del_engagement = s.prepare(
            f"DELETE FROM {names.ENGAGEMENT_TABLE} WHERE network = ? AND id = ?")
        self._mark_hour = s.prepare(INGESTED_HOURS.insert_cql(
            ("day", "hour", "updated_at"), constants={"scope": "'all'"}))
        self._mark_day = s.prepare(INGESTED_DAYS.insert_cql(
            ("day", "updated_at"), constants={"scope": "'all'"}))
        self._react = s.prepare(POST_REACTIONS.insert_cql())

    def react(self, r: Reaction) -> bool:
        """Keep the reaction under its post's day and mark that hour; False when the post's id
        names no time (then no day's aggregation would read it)."""
        at = id_time(r.network, r.post_id)
        if at is None:
            self.undated += 1
            return False
        day, hour, now = at.date(), at.hour, datetime.now(UTC)
        self.session.execute(self._react, (r.network, day, r.post_id, r.kind, r.id, r.actor_id,
                                           r.reacted_at))
        self.session.execute(self._mark_hour, (day, hour, now))
        self.session.execute(self._mark_day, (day, now))
        self.reactions += 1
        return True

    def apply(self, deletion: Deletion, tries: int = 0) -> bool:
        """Delete the post everywhere; True when it was found. Not found: tried again later."""
        for day, hour in candidate_hours(deletion.network, deletion.id):
            row = self.session.execute(self._find, (day, hour, deletion.network, deletion.id)).one()
            if row is not None:
                self._delete(deletion, day, hour, row.created_at, row.keywords or ())
                self.deleted += 1
                return True
        if tries < len(RETRY_AFTER):
            self._seq += 1
            due = time.monotonic() + RETRY_AFTER[tries] - (RETRY_AFTER[tries - 1] if tries else 0)
            heapq.heappush(self._pending, (due, self._seq, tries + 1, deletion))
        else:
            self.not_found += 1
            log.info("deleted %s post %s was not in the archive", deletion.network, deletion.id)
        return False

    def retry_due(self, now: float | None = None) -> int:
        """Try again the deletions whose wait is over; returns how many were found now."""
        now = time.monotonic() if now is None else now
        found = 0
        while self._pending and self._pending[0][0] <= now:
            _, _, tries, deletion = heapq.heappop(self._pending)
            found += self.apply(deletion, tries)
        return found

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def _delete(self, d: Deletion, day: date, hour: int, created_at: datetime,
                keywords) -> None:  # noqa: ANN001
        s = self.session
        for keyword in keywords:
            s.execute(self._del_keyword, (keyword, day, hour, created_at, d.network, d.id))
        s.execute(self._del_engagement, (d.network, d.id))
        s.execute(self._del_raw, (day, hour, d.network, d.id))
        now = datetime.now(UTC)
        # the hour changed: the day's next refresh recomputes it without the post
        s.execute(self._mark_hour, (day, hour, now))
        s.execute(self._mark_day, (day, now))
        if keywords and self.trends is not None:
            self._unpublish(d, sorted(keywords))

    def _unpublish(self, d: Deletion, keywords: list[str]) -> None:
        """The post out of the documents' top posts (filtered here and set: a `$pull` by a
        condition is beyond what FerretDB runs). Ids of different networks never look alike."""
        for doc in self.trends.find({"keyword": {"$in": keywords}, "top_posts.id": d.id},
                                    {"top_posts": 1}):
            kept = [p for p in doc["top_posts"] if p.get("id") != d.id]
            self.trends.update_one({"_id": doc["_id"]}, {"$set": {"top_posts": kept}})


def events_consumer_config(settings) -> dict:  # noqa: ANN001
    from tweektrend_dagster.clients import kafka_client_config

    return kafka_client_config(settings, **{
        "group.id": f"{settings.consumer_group}-events",
        "client.id": "deletions",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "max.poll.interval.ms": 600_000,  # a Cassandra outage is waited out inside one batch
    })


def run_deletions(settings, name: str = "deletions") -> None:  # noqa: ANN001
    """Entry point of the applier process: consumes the events topic until SIGTERM/SIGINT."""
    import signal
    import threading

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    consume_deletions(settings, stop, name)


def consume_deletions(settings, stop, name: str = "deletions") -> EventApplier:  # noqa: ANN001
    """Apply the events topic's deletions until `stop` (a threading.Event) is set; offsets are
    committed once a batch's deletions were tried. Returns the applier (its counts)."""
    from confluent_kafka import Consumer

    from tweektrend_dagster.clients import cassandra_session, mongo_database

    session, cluster = cassandra_session(settings)
    db = mongo_database(settings)
    applier = EventApplier(session, db[names.TRENDS])
    consumer = Consumer(events_consumer_config(settings))
    consumer.subscribe([settings.events_topic])
    try:
        while not stop.is_set():
            messages = consumer.consume(500, timeout=0.5)
            for msg in messages:
                if msg.error() is not None:
                    log.warning("%s: %s", name, msg.error())
                    continue
                try:
                    event = decode_event(msg.value())
                except (ValueError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
                    log.warning("%s: event at offset %d left alone: %s", name, msg.offset(), exc)
                    continue
                step = applier.apply if type(event) is Deletion else applier.react
                _until_done(lambda e=event, step=step: step(e), stop, name)
            _until_done(applier.retry_due, stop, name)
            if messages:
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()
        cluster.shutdown()
        db.client.close()
        log.info("%s: %d posts deleted, %d not found, %d waiting; %d reactions kept, %d "
                 "undated", name, applier.deleted, applier.not_found, applier.waiting,
                 applier.reactions, applier.undated)
    return applier


def _until_done(step, stop, name: str) -> None:  # noqa: ANN001
    """Run `step`, waiting out a server that is down (nothing is committed meanwhile)."""
    delay = 1.0
    while True:
        try:
            step()
            return
        except Exception as exc:  # Cassandra or Mongo unavailable: wait, then again
            if stop.is_set():
                raise
            log.warning("%s: %s; trying again in %.0f s", name, exc, delay)
            stop.wait(delay)
            delay = min(delay * 2, 30.0)
