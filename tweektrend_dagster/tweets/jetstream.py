"""Bluesky Jetstream events → posts, deletions and reactions.

Jetstream (github.com/bluesky-social/jetstream) serves the AT Protocol firehose as JSON, one event
a WebSocket message:

    {"did": "did:plc:…", "time_us": 1725911162329308, "kind": "commit",
     "commit": {"rev": "…", "operation": "create" | "update" | "delete",
                "collection": "app.bsky.feed.post", "rkey": "3l3qo2vuowo2b",
                "record": {…}, "cid": "bafyrei…"}}

beside `identity` and `account` events. A post record (lexicon `app.bsky.feed.post`) holds
`text`, `createdAt`, `langs`, `reply` {root, parent: {uri, cid}}, `embed` (images, video, an
external link card, a quoted record, or a quoted record with media), `facets` (mention, link and
tag features over byte ranges of the text) and `tags`.

- a post create or update → `Tweet` (network "bluesky", format "jetstream"), its id the record's
  `at://<did>/app.bsky.feed.post/<rkey>` URI, so an edit keeps the id of the post it replaces;
- a post delete → `Deletion` (origin "jetstream", deleted_at = the event's `time_us`);
- a like or repost create → `Reaction` of the liked or reposted post (reacted_at = `time_us`);
- anything else (identity and account events, other collections, likes of feeds, deletes of
  likes) → `InvalidTweet("not a post: …")`, which the producer counts as skipped.

Authors: a commit carries the author's DID only, never a handle or display name (those live in
the profile record and the identity service, which this parser does not call), so a post's author
id and username are both the DID and its mentions are DIDs; bsky.app resolves a DID link. Jetstream
carries no engagement counts: likes and reposts arrive as events of their own.

`createdAt` is written by the author's client: when it is missing, unreadable or outside the range
`check_created_at` accepts, the post is kept, dated by the event's `time_us`, with a note.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tweektrend_dagster.tweets.checks import (
    MAX_FIELD_CHARS,
    MAX_TEXT_CHARS,
    InvalidTweet,
    check_created_at,
    check_post_id,
    check_text,
    nfc,
    opt_str,
    parse_iso_time,
)
from tweektrend_dagster.tweets.events import Deletion, Reaction
from tweektrend_dagster.tweets.fields import author, unique
from tweektrend_dagster.tweets.model import Tweet

NETWORK = "bluesky"
POST = "app.bsky.feed.post"
REACTIONS = {"app.bsky.feed.like": "like", "app.bsky.feed.repost": "repost"}
NOT_A_POST = "not a post: "
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MENTION = "app.bsky.richtext.facet#mention"
_LINK = "app.bsky.richtext.facet#link"
_TAG = "app.bsky.richtext.facet#tag"
_IMAGES = "app.bsky.embed.images"
_VIDEO = "app.bsky.embed.video"
_EXTERNAL = "app.bsky.embed.external"
_RECORD = "app.bsky.embed.record"
_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"


def is_jetstream(obj: Any) -> bool:
    """A Jetstream event: `time_us` beside a `kind` (or a `commit`: the README's own example of
    a deleted record spells `kind` as `type`)."""
    return isinstance(obj, dict) and "time_us" in obj and ("kind" in obj or "commit" in obj)


def parse_jetstream(obj: dict[str, Any]) -> Tweet | Deletion | Reaction:
    """One decoded Jetstream event; raises InvalidTweet with a short reason."""
    kind = obj.get("kind")
    if kind is None and "commit" in obj:
        kind = "commit"
    if kind != "commit":
        if type(kind) is str and kind:
            raise InvalidTweet(f"{NOT_A_POST}{kind[:30]} event")
        raise InvalidTweet("jetstream event without a kind")
    event_time = _event_time(obj.get("time_us"))
    did = _did(obj.get("did"))
    commit = obj.get("commit")
    if not isinstance(commit, dict):
        raise InvalidTweet("missing commit" if commit is None else "commit is not an object")
    collection = _text_field(commit, "collection")
    operation = _text_field(commit, "operation")
    rkey = _text_field(commit, "rkey")
    if collection == POST:
        uri = check_post_id(NETWORK, f"at://{did}/{POST}/{rkey}")
        if operation == "delete":
            return Deletion(network=NETWORK, id=uri, deleted_at=event_time, origin="jetstream")
        if operation in ("create", "update"):
            return _post(uri, did, _record(commit, collection), event_time)
        raise InvalidTweet(f"unknown operation {operation[:30]!r}")
    reaction = REACTIONS.get(collection)
    if reaction is None:
        raise InvalidTweet(f"{NOT_A_POST}{collection[:60]} record")
    if operation != "create":
        # a like taken back is not subtracted: engagement counts what was given
        raise InvalidTweet(f"{NOT_A_POST}{operation[:30]} of a {reaction}")
    record = _record(commit, collection)
    subject = record.get("subject")
    target = subject.get("uri") if isinstance(subject, dict) else None
    if target is None:
        raise InvalidTweet(f"{reaction} without a subject uri")
    target = check_post_id(NETWORK, target, f"{reaction} subject")
    if _collection(target) != POST:
        raise InvalidTweet(f"{NOT_A_POST}{reaction} of a record of {_collection(target)[:60]}")
    return Reaction(
        network=NETWORK,
        post_id=target,
        kind=reaction,
        id=check_post_id(NETWORK, f"at://{did}/{collection}/{rkey}", f"{reaction} id"),
        actor_id=did,
        reacted_at=event_time,
    )


# ---- the event envelope --------------------------------------------------------------------------


def _event_time(value: Any) -> datetime:
    """`time_us` (microseconds since the epoch, when Jetstream saw the event) as UTC."""
    if type(value) is not int:
        raise InvalidTweet(f"bad time_us: {str(value)[:30]!r}")
    try:
        when = _EPOCH + timedelta(microseconds=value)
    except OverflowError:
        raise InvalidTweet(f"bad time_us: {value}") from None
    return check_created_at(when, "time_us")


def _did(value: Any) -> str:
    if (type(value) is not str or not value.startswith("did:") or len(value) > MAX_FIELD_CHARS
            or "/" in value or any(c.isspace() for c in value)):
        raise InvalidTweet(f"did is not a DID: {str(value)[:40]!r}")
    return value


def _text_field(commit: dict, key: str) -> str:
    value = commit.get(key)
    if type(value) is not str or not value:
        raise InvalidTweet(f"commit {key} missing or not text: {str(value)[:30]!r}")
    return value


def _record(commit: dict, collection: str) -> dict:
    record = commit.get("record")
    if record is None:
        raise InvalidTweet("missing record")
    if not isinstance(record, dict):
        raise InvalidTweet("record is not an object")
    declared = record.get("$type")
    if declared is not None and declared != collection:
        raise InvalidTweet(f"record $type {str(declared)[:60]!r} in collection {collection}")
    return record


def _collection(uri: str) -> str:
    """`app.bsky.feed.post` of `at://did:plc:x/app.bsky.feed.post/3k…` (a checked URI)."""
    return uri.split("/")[3]


# ---- a post record -------------------------------------------------------------------------------


def _post(uri: str, did: str, record: dict, event_time: datetime) -> Tweet:
    notes: list[str] = []
    quoted, has_media, embed_urls = _embed(record.get("embed"), notes)
    text = record.get("text")
    if type(text) is str and len(text) <= MAX_TEXT_CHARS and not text.strip():
        if has_media:
            # common on Bluesky, and nothing a keyword can find: skipped, not dead-lettered
            raise InvalidTweet("not a post: media only, no text")
        raise InvalidTweet("empty text")
    text = check_text(text)
    mentions, links, tags = _facets(record.get("facets"))
    hashtags = unique([*tags, *_tags(record.get("tags"))])
    relation = related_id = None
    if quoted is not None:
        # one relation per post, as for X: a reply that quotes is a quote
        relation, related_id = "quote", quoted
    else:
        parent = _reply_parent(record.get("reply"), notes)
        if parent is not None:
            relation, related_id = "reply", parent
    return Tweet(
        id=uri,
        created_at=_created_at(record.get("createdAt"), event_time, notes),
        text=text,
        author=author(did, did, None, None, None, notes),
        lang=_lang(record.get("langs"), notes),
        relation=relation,
        related_id=related_id,
        hashtags=hashtags,
        mentions=mentions,
        urls=unique([*links, *embed_urls]),
        has_media=has_media,
        format="jetstream",
        network=NETWORK,
        notes=notes,
    )


def _created_at(value: Any, event_time: datetime, notes: list[str]) -> datetime:
    try:
        return check_created_at(parse_iso_time(value, "createdAt"), "createdAt")
    except InvalidTweet as exc:
        # the client's clock or a broken client: the time Jetstream saw the post is close enough
        notes.append(f"{exc.reason}; dated by the event's time_us")
        return event_time


def _lang(langs: Any, notes: list[str]) -> str | None:
    if langs is None:
        return None
    if type(langs) is not list:
        notes.append(f"langs dropped: {type(langs).__name__} instead of a list")
        return None
    if not langs:
        return None
    return opt_str(langs[0], "lang", notes)


def _reply_parent(reply: Any, notes: list[str]) -> str | None:
    if reply is None:
        return None
    parent = reply.get("parent") if isinstance(reply, dict) else None
    uri = parent.get("uri") if isinstance(parent, dict) else None
    try:
        return check_post_id(NETWORK, uri, "reply parent")
    except InvalidTweet as exc:
        notes.append(f"reply dropped: {exc.reason}")
        return None


def _quoted(ref: Any, notes: list[str]) -> str | None:
    """The quoted post of an `app.bsky.embed.record` ({"record": strongRef}); None when the
    record embedded is a feed, a list or a starter pack rather than a post."""
    strong_ref = ref.get("record") if isinstance(ref, dict) else None
    uri = strong_ref.get("uri") if isinstance(strong_ref, dict) else None
    try:
        uri = check_post_id(NETWORK, uri, "quoted record")
    except InvalidTweet as exc:
        notes.append(f"quote dropped: {exc.reason}")
        return None
    return uri if _collection(uri) == POST else None


def _embed(embed: Any, notes: list[str]) -> tuple[str | None, bool, list[str]]:
    """(quoted post URI, lists images or a video, link card URL) of a post's `embed`."""
    if not isinstance(embed, dict):
        return None, False, []
    kind = embed.get("$type")
    if kind == _RECORD:
        return _quoted(embed, notes), False, []
    if kind == _RECORD_WITH_MEDIA:
        _, has_media, urls = _embed(embed.get("media"), notes)
        return _quoted(embed.get("record"), notes), has_media, urls
    if kind == _IMAGES:
        images = embed.get("images")
        return None, type(images) is list and bool(images), []
    if kind == _VIDEO:
        return None, isinstance(embed.get("video"), dict), []
    if kind == _EXTERNAL:
        external = embed.get("external")
        uri = external.get("uri") if isinstance(external, dict) else None
        return None, False, [uri] if type(uri) is str and 0 < len(uri) <= MAX_FIELD_CHARS else []
    return None, False, []


def _facets(facets: Any) -> tuple[list[str], list[str], list[str]]:
    """(mentioned DIDs, link URIs, tags) of a post's rich-text facets; broken ones are skipped,
    as the text itself is still good."""
    mentions: list[str] = []
    links: list[str] = []
    tags: list[str] = []
    for facet in facets if type(facets) is list else ():
        features = facet.get("features") if isinstance(facet, dict) else None
        for feature in features if type(features) is list else ():
            if not isinstance(feature, dict):
                continue
            kind = feature.get("$type")
            if kind == _MENTION:
                did = feature.get("did")
                if type(did) is str and did.startswith("did:") and len(did) <= MAX_FIELD_CHARS:
                    mentions.append(did)
            elif kind == _LINK:
                uri = feature.get("uri")
                if type(uri) is str and 0 < len(uri) <= MAX_FIELD_CHARS:
                    links.append(uri)
            elif kind == _TAG:
                tags.extend(_tags([feature.get("tag")]))
    return unique(mentions), unique(links), tags


def _tags(values: Any) -> list[str]:
    """Hashtags as written, without the '#' (the lexicon stores them without; some clients
    do not)."""
    out = []
    for value in values if type(values) is list else ():
        if type(value) is str and len(value) <= MAX_FIELD_CHARS:
            tag = value.strip().lstrip("#＃").strip()
            if tag:
                out.append(nfc(tag))
    return out
