"""Mastodon streaming events → posts and deletions.

A Mastodon server streams events (docs.joinmastodon.org/methods/streaming) as WebSocket messages
`{"stream": ["public"], "event": "update", "payload": "<Status as a JSON string>"}`. A status id
means something only on the server that sent it, so the Mastodon source wraps each message with
the instance it came from, its payload decoded (a payload that does not decode stays a string):

    {"mastodon": {"instance": "mastodon.social", "event": "update" | "status.update" | "delete",
                  "payload": <Status object> | "<status id>", "received_at": "<ISO time>"}}

- `update` (a new status) and `status.update` (an edit) → `Tweet` (network and format
  "mastodon"), its id `<instance>/<status id>`, so an edit keeps the id of the post it replaces;
- `delete` (payload: the status id) → `Deletion` (origin "mastodon", deleted_at = received_at);
- any other event (notification, filters_changed, conversation, announcement…) →
  `InvalidTweet("not a post: …")`, which the producer counts as skipped.

The Status entity (docs.joinmastodon.org/entities/Status) is mapped so:
- text: `content` is HTML; it becomes plain text (paragraphs and <br> as line breaks, entities
  unescaped, a link as the text its author wrote, which Mastodon splits over visible and
  `invisible` spans); nothing of the markup survives. The content warning (`spoiler_text`, plain
  text) is kept in front of the text. A status of media only takes its media descriptions as
  text (or its content warning); with neither it is invalid ("empty text").
- author: `account.acct` made absolute (`user@host`: a local account's acct has no host, the
  instance's is added) is both id and username: unique on the network, and the post's link
  `https://<instance>/@user@host/<id>` opens on the instance that served it. `display_name` →
  name, `followers_count` → followers.
- `language` → lang; `application.name` → source; reblogs, favourites, replies, quotes counts.
- relation (one per post, as for X): a boost (`reblog`) is a "retweet" of the boosted status,
  whose text it takes and which it carries as `original`; else a quote (`quote`, Mastodon 4.4+, a
  Quote with the quoted status or a ShallowQuote with its id, when its state is "accepted") is a
  "quote"; else `in_reply_to_id` makes a "reply".
- `tags[].name` → hashtags; `mentions[].acct` (absolute) → mentions; `media_attachments` →
  has_media; links of the content (not mentions or hashtags) and `card.url` → urls.

Required: id, created_at, account (with acct) and content; a bad one makes the event invalid.
Optional fields of the wrong type are dropped with a note, counts clamped (`tweets.checks`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from tweektrend_dagster.tweets.checks import (
    MAX_FIELD_CHARS,
    MAX_TEXT_CHARS,
    InvalidTweet,
    check_created_at,
    check_post_id,
    check_text,
    count,
    nfc,
    opt_str,
    parse_iso_time,
)
from tweektrend_dagster.tweets.events import Deletion
from tweektrend_dagster.tweets.fields import author, unique
from tweektrend_dagster.tweets.model import Tweet

NETWORK = "mastodon"
NOT_A_POST = "not a post: "
POST_EVENTS = ("update", "status.update")
# HTML is longer than its text; beyond this the text cannot fit MAX_TEXT_CHARS anyway.
MAX_CONTENT_CHARS = 4 * MAX_TEXT_CHARS
# A quote counts only once the quoted author accepted it (Mastodon 4.4 quote policy).
_QUOTE_SHOWN = "accepted"
_BLOCKS = frozenset(("p", "div", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5",
                     "h6"))
_LINE_BREAKS = frozenset(("br", "li"))
# Elements whose content is never text (Mastodon sanitises them away; a broken server may not).
_HIDDEN = frozenset(("script", "style", "template", "noscript"))
_BLANK_LINES = re.compile(r"[ \t]*\n[ \t\n]*\n[ \t]*")


def is_mastodon(obj: Any) -> bool:
    """A Mastodon event as the Mastodon source wraps it: `{"mastodon": {...}}`."""
    return isinstance(obj, dict) and "mastodon" in obj and len(obj) == 1


def parse_mastodon(obj: dict[str, Any]) -> Tweet | Deletion:
    """One wrapped Mastodon streaming event; raises InvalidTweet with a short reason."""
    event = obj.get("mastodon")
    if not isinstance(event, dict):
        raise InvalidTweet("mastodon event is not an object")
    kind = event.get("event")
    if type(kind) is not str or not kind:
        raise InvalidTweet(f"mastodon event without a name: {str(kind)[:30]!r}")
    if kind not in POST_EVENTS and kind != "delete":
        raise InvalidTweet(f"{NOT_A_POST}{kind[:40]} event")
    instance = _instance(event.get("instance"))
    payload = event.get("payload")
    if kind == "delete":
        return Deletion(
            network=NETWORK,
            id=_post_id(instance, payload, "deleted status id"),
            deleted_at=_received_at(event.get("received_at")),
            origin="mastodon",
        )
    if type(payload) is str:
        raise InvalidTweet(f"{kind} payload is not JSON: {payload[:40]!r}")
    if not isinstance(payload, dict):
        raise InvalidTweet(f"{kind} payload is not a Status object")
    return status_tweet(payload, instance)


def status_tweet(status: dict[str, Any], instance: str, *, nested: bool = False) -> Tweet:
    """A Mastodon Status entity served by `instance` → Tweet (a boosted or quoted status inside
    it is kept as `original` unless `nested`)."""
    notes: list[str] = []
    post_id = _post_id(instance, status.get("id"), "status id")
    created_at = check_created_at(parse_iso_time(status.get("created_at")))
    account = status.get("account")
    if account is None:
        raise InvalidTweet("missing account")
    if not isinstance(account, dict):
        raise InvalidTweet("account is not an object")
    username = _acct(account.get("acct"), instance, "account acct")
    if username is None:
        raise InvalidTweet("account without acct")
    poster = author(username, username, account.get("display_name"),
                    account.get("followers_count"), None, notes)

    reblog = status.get("reblog")
    original: Tweet | None = None
    relation = related_id = None
    if reblog is not None and not nested:
        if not isinstance(reblog, dict):
            raise InvalidTweet("reblog is not a Status object")
        try:
            original = status_tweet(reblog, instance, nested=True)
        except InvalidTweet as exc:
            # a boost has no text of its own: without the boosted status it is nothing
            raise InvalidTweet(f"boosted status: {exc.reason}") from None
        relation, related_id = "retweet", original.id
    elif reblog is not None:
        notes.append("reblog of a reblog dropped")

    if original is not None:
        text, hashtags, mentions, urls, has_media = (
            original.text, original.hashtags, original.mentions, original.urls,
            original.has_media)
        lang = _lang(status.get("language"), notes) or original.lang
    else:
        text, urls, has_media = _text(status, notes)
        hashtags = _hashtags(status.get("tags"))
        mentions = _mentions(status.get("mentions"), instance)
        lang = _lang(status.get("language"), notes)
        quoted_id, quoted = _quote(status.get("quote"), instance, nested, notes)
        if quoted_id is not None:
            relation, related_id, original = "quote", quoted_id, quoted
        else:
            parent = status.get("in_reply_to_id")
            if parent is not None:
                try:
                    relation, related_id = "reply", _post_id(instance, parent, "in_reply_to_id")
                except InvalidTweet as exc:
                    notes.append(f"reply dropped: {exc.reason}")

    return Tweet(
        id=post_id,
        created_at=created_at,
        text=text,
        author=poster,
        lang=lang,
        relation=relation,
        related_id=related_id,
        retweets=count(status.get("reblogs_count"), "reblogs_count", notes),
        likes=count(status.get("favourites_count"), "favourites_count", notes),
        replies=count(status.get("replies_count"), "replies_count", notes),
        quotes=count(status.get("quotes_count"), "quotes_count", notes),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        has_media=has_media,
        source=_application(status.get("application"), notes),
        format="mastodon",
        network=NETWORK,
        original=original,
        notes=notes,
    )


# ---- identities ----------------------------------------------------------------------------------


def _instance(value: Any) -> str:
    if (type(value) is not str or not value or len(value) > MAX_FIELD_CHARS or "/" in value
            or any(c.isspace() for c in value)):
        raise InvalidTweet(f"mastodon instance is not a host name: {str(value)[:40]!r}")
    return value.lower()


def _post_id(instance: str, value: Any, what: str) -> str:
    """`<instance>/<status id>`; ids are strings (cast from integers, but not guaranteed to be
    numbers), an integer is taken as its digits."""
    if type(value) is int and value > 0:
        value = str(value)
    if value is None or value == "":
        raise InvalidTweet(f"missing {what}")
    if type(value) is not str:
        raise InvalidTweet(f"{what} is not text: {str(value)[:40]!r}")
    if "/" in value:
        raise InvalidTweet(f"{what} is not a status id: {value[:40]!r}")
    return check_post_id(NETWORK, f"{instance}/{value}", what)


def _acct(value: Any, instance: str, what: str) -> str | None:
    """A webfinger acct made absolute: `user@host` (a local account's acct is `user` alone)."""
    if value is None:
        return None
    if type(value) is not str:
        raise InvalidTweet(f"{what} is not text: {str(value)[:40]!r}")
    acct = value.strip().removeprefix("@")
    if not acct or len(acct) > MAX_FIELD_CHARS or any(c.isspace() for c in acct):
        raise InvalidTweet(f"{what} is not an account address: {value[:40]!r}")
    user, at, host = acct.partition("@")
    if not user or (at and (not host or "@" in host)):
        raise InvalidTweet(f"{what} is not an account address: {value[:40]!r}")
    return acct if at else f"{acct}@{instance}"


def _received_at(value: Any) -> datetime:
    """When the source read the delete event; an event without one is dated now."""
    if value is None:
        return datetime.now(UTC)
    return check_created_at(parse_iso_time(value, "received_at"), "received_at")


# ---- the status' fields --------------------------------------------------------------------------


def _text(status: dict, notes: list[str]) -> tuple[str, list[str], bool]:
    """(plain text with its content warning in front, links of the content and card, whether
    the status has media)."""
    content = status.get("content")
    if content is None:
        raise InvalidTweet("missing content")
    if type(content) is not str:
        raise InvalidTweet("content is not a string")
    if len(content) > MAX_CONTENT_CHARS:
        raise InvalidTweet(f"huge content: {len(content)} chars")
    body, links = html_to_text(content)
    warning = _spoiler(status.get("spoiler_text"), notes)
    media = status.get("media_attachments")
    has_media = type(media) is list and bool(media)
    if media is not None and type(media) is not list:
        notes.append("media_attachments dropped: not a list")
    if not body and has_media:
        # a status of media only: what its author wrote about the media is its text
        body = "\n".join(_descriptions(media))
    if not body and not warning:
        if has_media:
            # nothing a keyword can find: skipped, not dead-lettered (as on Bluesky)
            raise InvalidTweet("not a post: media only, no text")
        raise InvalidTweet("empty text")
    text = check_text(f"{warning}\n\n{body}" if warning and body else warning or body)
    return text, unique([*links, *_card_url(status.get("card"))]), has_media


def html_to_text(content: str) -> tuple[str, list[str]]:
    """Mastodon status HTML → (plain text, links that are neither mentions nor hashtags)."""
    if "<" not in content and "&" not in content:
        return content.strip(), []  # plain text already (some servers send it so)
    reader = _StatusHtml()
    reader.feed(content)
    reader.close()
    text = "".join(reader.parts).replace("\r\n", "\n").replace("\xa0", " ")
    return _BLANK_LINES.sub("\n\n", text).strip(), unique(reader.links)


class _StatusHtml(HTMLParser):
    """Collects the text of a status' HTML and the targets of its plain links; markup is never
    kept (entities come back as the characters they stand for: `&lt;script&gt;` is text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _LINE_BREAKS:
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")
        elif tag == "a":
            self._link(dict(attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _LINE_BREAKS:
            self.parts.append("\n")
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)

    def _link(self, attrs: dict[str, str | None]) -> None:
        href = attrs.get("href")
        kinds = {*(attrs.get("class") or "").split(), *(attrs.get("rel") or "").split()}
        # mention and hashtag links point at profiles and tag pages, not at what was shared
        if "mention" in kinds or "hashtag" in kinds or "tag" in kinds:
            return
        if href and href.startswith(("http://", "https://")) and len(href) <= MAX_FIELD_CHARS:
            self.links.append(href)


def _spoiler(value: Any, notes: list[str]) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        notes.append("spoiler_text dropped: not text")
        return ""
    if len(value) > MAX_FIELD_CHARS:
        notes.append(f"spoiler_text dropped: {len(value)} chars > {MAX_FIELD_CHARS}")
        return ""
    return value.strip()


def _descriptions(media: list) -> list[str]:
    out = []
    for item in media:
        text = item.get("description") if isinstance(item, dict) else None
        if type(text) is str and text.strip() and len(text) <= MAX_TEXT_CHARS:
            out.append(text.strip())
    return out


def _card_url(card: Any) -> list[str]:
    url = card.get("url") if isinstance(card, dict) else None
    return [url] if type(url) is str and 0 < len(url) <= MAX_FIELD_CHARS else []


def _hashtags(tags: Any) -> list[str]:
    """Hashtags without the '#' (`Status::Tag.name` is the value after the sign)."""
    out = []
    for tag in tags if type(tags) is list else ():
        name = tag.get("name") if isinstance(tag, dict) else None
        if type(name) is str and len(name) <= MAX_FIELD_CHARS:
            name = name.strip().lstrip("#＃").strip()
            if name:
                out.append(nfc(name))
    return unique(out)


def _mentions(mentions: Any, instance: str) -> list[str]:
    out = []
    for mention in mentions if type(mentions) is list else ():
        acct = mention.get("acct") if isinstance(mention, dict) else None
        try:
            absolute = _acct(acct, instance, "mention")
        except InvalidTweet:
            continue  # one broken mention does not spoil the post
        if absolute is not None:
            out.append(absolute)
    return unique(out)


def _lang(value: Any, notes: list[str]) -> str | None:
    return opt_str(value, "language", notes)


def _application(value: Any, notes: list[str]) -> str | None:
    if value is None:
        return None  # optional: remote statuses carry none
    if not isinstance(value, dict):
        notes.append("application dropped: not an object")
        return None
    return opt_str(value.get("name"), "source", notes)


def _quote(quote: Any, instance: str, nested: bool, notes: list[str]
           ) -> tuple[str | None, Tweet | None]:
    """(quoted post id, quoted post) of a Quote {state, quoted_status} or ShallowQuote
    {state, quoted_status_id}; (None, None) when there is no shown quote."""
    if quote is None:
        return None, None
    if not isinstance(quote, dict):
        notes.append("quote dropped: not an object")
        return None, None
    if quote.get("state") != _QUOTE_SHOWN:
        return None, None  # pending, revoked, deleted, blocked… : nothing quoted is shown
    quoted_status = quote.get("quoted_status")
    if isinstance(quoted_status, dict):
        try:
            quoted_id = _post_id(instance, quoted_status.get("id"), "quoted status id")
        except InvalidTweet as exc:
            notes.append(f"quote dropped: {exc.reason}")
            return None, None
        if nested:
            return quoted_id, None
        try:
            return quoted_id, status_tweet(quoted_status, instance, nested=True)
        except InvalidTweet as exc:
            # the quoting post stands on its own; only the embedded copy is lost
            notes.append(f"quoted status dropped: {exc.reason}")
            return quoted_id, None
    try:
        return _post_id(instance, quote.get("quoted_status_id"), "quoted status id"), None
    except InvalidTweet as exc:
        notes.append(f"quote dropped: {exc.reason}")
        return None, None
