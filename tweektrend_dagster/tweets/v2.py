"""X API v2 tweets: one-tweet envelopes, pages of many tweets, and twarc2 flattened lines.

- A v2 *envelope* (`{"data": {...}, "includes": {...}}`) is what the filtered/sample streams and
  tweet lookup return: one tweet, its author and referenced tweets in `includes`.
- A v2 *page* (`{"data": [...], "includes": {"users", "tweets", "places", "media"},
  "errors": [...], "meta": {...}}`) is what the search and timeline endpoints return and what
  `twarc2 search` writes, one page a line. `split_page` turns it into one-tweet envelopes that
  carry only the includes each tweet references, plus one `{"errors": [entry]}` payload per
  partial error, so every Kafka message stays one tweet.
- A *twarc2 flattened* line (`twarc2 flatten`) is one v2 tweet object with its includes inlined:
  `author` (the user object, `{}` when the user was not returned), `referenced_tweets[*]` merged
  with the referenced tweet (with its own `author`) when it was returned, `geo` merged with the
  place, and `__twarc` metadata (`url`, `version`, `retrieved_at`).
"""

from __future__ import annotations

from typing import Any

from tweektrend_dagster.tweets.checks import (
    InvalidTweet,
    check_created_at,
    check_id,
    check_text,
    count,
    opt_str,
    parse_iso_time,
)
from tweektrend_dagster.tweets.fields import (
    RT_PREFIX,
    author,
    entities_from_text,
    entity_urls,
    entity_values,
    lenient,
    place_fields,
    strip_html,
    unescape,
)
from tweektrend_dagster.tweets.model import Tweet

_RELATIONS = {"retweeted": "retweet", "quoted": "quote", "replied_to": "reply"}
_RELATION_RANK = {"retweet": 0, "quote": 1, "reply": 2}
# Keys only a v2 tweet object has (our normalised JSON has none of them).
TWARC2_KEYS = (
    "__twarc",
    "author_id",
    "edit_history_tweet_ids",
    "public_metrics",
    "conversation_id",
    "referenced_tweets",
)


# ---- envelopes and pages -------------------------------------------------------------------------


def parse_v2(envelope: dict[str, Any]) -> Tweet:
    """A v2 stream/lookup envelope `{"data": {...}, "includes": {...}}`. The author must be
    resolvable through includes.users; a `data` list must hold exactly one tweet (split pages
    with `split_page` first)."""
    data = envelope.get("data")
    if isinstance(data, list):
        if len(data) != 1:
            raise InvalidTweet(f"v2 page holds {len(data)} tweets; read it with split_page")
        data = data[0]
    if not isinstance(data, dict):
        raise InvalidTweet("v2 data is not an object")
    users, places, tweets = _includes(envelope)
    return v2_tweet(data, users, places, tweets, "v2", nested=False)


def _includes(obj: dict[str, Any]) -> tuple[dict[str, dict], dict[str, dict], dict[str, dict]]:
    """(users, places, tweets) of an envelope's or page's `includes`, each by id."""
    includes = obj.get("includes")
    if not isinstance(includes, dict):
        includes = {}
    return (_by_id(includes.get("users")), _by_id(includes.get("places")),
            _by_id(includes.get("tweets")))


def is_page(obj: Any) -> bool:
    """A v2 page that needs splitting: `data` is a list (of any length), or there is no `data`
    but several `errors` or errors beside `includes`/`meta` (every tweet of it was withheld)."""
    if not isinstance(obj, dict):
        return False
    data = obj.get("data")
    if isinstance(data, list):
        return True
    errors = obj.get("errors")
    return (
        data is None
        and isinstance(errors, list)
        and (len(errors) > 1 or "meta" in obj or "includes" in obj)
    )


def split_page(page: dict[str, Any]) -> list[dict[str, Any]]:
    """Expand one decoded v2 page into one-tweet envelopes (each carrying only the users, tweets
    and places it references; media and polls are left out: no parser reads them) followed by
    one `{"errors": [entry]}` payload per entry of the page's `errors`. A one-tweet envelope
    comes back as it is. Pure: the page is not modified."""
    if not isinstance(page, dict) or isinstance(page.get("data"), dict):
        return [page]
    data = page.get("data")
    users, places, tweets = _includes(page)
    rules = page.get("matching_rules")
    out: list[dict[str, Any]] = []
    for tweet in data if isinstance(data, list) else ():
        out.append(_envelope(tweet, users, places, tweets, rules))
    errors = page.get("errors")
    if isinstance(errors, list):
        out.extend({"errors": [entry]} for entry in errors)
    elif errors is not None:
        out.append({"errors": [errors]})
    return out


def _envelope(
    tweet: Any,
    users: dict[str, dict],
    places: dict[str, dict],
    tweets: dict[str, dict],
    rules: Any,
) -> dict[str, Any]:
    if not isinstance(tweet, dict):
        return {"data": tweet}  # parse_v2 says what is wrong with it
    own_users: dict[str, dict] = {}
    own_places: dict[str, dict] = {}
    own_tweets: dict[str, dict] = {}

    def take(t: dict) -> None:
        user = users.get(str(t.get("author_id")))
        if user is not None:
            own_users[str(user["id"])] = user
        geo = t.get("geo")
        place = places.get(str(geo.get("place_id"))) if isinstance(geo, dict) else None
        if place is not None:
            own_places[str(place["id"])] = place

    take(tweet)
    refs = tweet.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else ():
        ref_tweet = tweets.get(str(ref.get("id"))) if isinstance(ref, dict) else None
        if ref_tweet is not None:  # a deleted or withheld original is simply absent
            own_tweets[str(ref_tweet["id"])] = ref_tweet
            take(ref_tweet)
    includes: dict[str, list] = {}
    if own_users:
        includes["users"] = list(own_users.values())
    if own_tweets:
        includes["tweets"] = list(own_tweets.values())
    if own_places:
        includes["places"] = list(own_places.values())
    envelope: dict[str, Any] = {"data": tweet, "includes": includes}
    if rules is not None:
        envelope["matching_rules"] = rules
    return envelope


def api_error_reason(entry: Any) -> str:
    """ "API error: Not Found Error (tweet 123)" for one entry of a v2 `errors` list."""
    if not isinstance(entry, dict):
        return "API error"
    title = entry.get("title") or entry.get("message") or entry.get("detail")
    kind = entry.get("resource_type")
    ident = entry.get("resource_id") or entry.get("value")
    what = " ".join(str(x)[:40] for x in (kind, ident) if x)
    text = str(title)[:80] if title else "unknown"
    return f"API error: {text} ({what})" if what else f"API error: {text}"


# ---- twarc2 flattened ----------------------------------------------------------------------------


def parse_twarc2(obj: dict[str, Any]) -> Tweet:
    """One `twarc2 flatten` line: a v2 tweet with `author`, referenced tweets and place inline."""
    users: dict[str, dict] = {}
    places: dict[str, dict] = {}
    tweets: dict[str, dict] = {}
    _inline(obj, users, places)
    if obj.get("author_id") in (None, "") and isinstance(obj.get("author"), dict):
        obj = {**obj, "author_id": obj["author"].get("id")}
    refs = obj.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else ():
        # {"type", "id"} alone: the referenced tweet was not returned (deleted or withheld).
        if isinstance(ref, dict) and ("text" in ref or "author_id" in ref):
            tweets[str(ref.get("id"))] = ref
            _inline(ref, users, places)
    if obj.get("author_id") not in (None, "") and str(obj["author_id"]) not in users:
        raise InvalidTweet(f"missing author: {str(obj['author_id'])[:30]} not inlined by twarc2")
    return v2_tweet(obj, users, places, tweets, "twarc2", nested=False)


def _inline(tweet: dict, users: dict[str, dict], places: dict[str, dict]) -> None:
    user = tweet.get("author")
    if isinstance(user, dict) and user.get("id") is not None:
        users[str(user["id"])] = user
    geo = tweet.get("geo")
    if isinstance(geo, dict) and geo.get("place_id") is not None:
        places[str(geo["place_id"])] = geo


# ---- one v2 tweet object -------------------------------------------------------------------------


def v2_tweet(
    data: dict[str, Any],
    users: dict[str, dict],
    places: dict[str, dict],
    tweets: dict[str, dict],
    fmt: str,
    *,
    nested: bool,
) -> Tweet:
    tweet_id = check_id(data.get("id"))
    author_id = data.get("author_id")
    if author_id in (None, ""):
        raise InvalidTweet("missing author: no author_id")
    user = users.get(str(author_id))
    if user is None:
        raise InvalidTweet(f"missing author: {str(author_id)[:30]} not in includes.users")
    notes: list[str] = []
    metrics = user.get("public_metrics")
    tweet_author = author(
        user.get("id"),
        user.get("username"),
        user.get("name"),
        metrics.get("followers_count") if isinstance(metrics, dict) else None,
        user.get("location"),
        notes,
    )
    created_at = check_created_at(parse_iso_time(data.get("created_at")))

    relation = related_id = original = None
    refs = data.get("referenced_tweets")
    for ref in refs if isinstance(refs, list) else ():
        kind = _RELATIONS.get(str(ref.get("type"))) if isinstance(ref, dict) else None
        # One relation per tweet: retweet > quote > reply (a reply may also quote).
        if kind and (relation is None or _RELATION_RANK[kind] < _RELATION_RANK[relation]):
            relation, related_id = kind, ref.get("id")
    if relation is not None:
        related_id = check_id(related_id, f"{relation} id")
        embedded = tweets.get(str(related_id)) if relation != "reply" else None
        if embedded is not None and not nested:
            original = lenient(v2_tweet, embedded, users, places, tweets, fmt)

    if relation == "retweet" and original is not None:
        text, hashtags, mentions, urls = (
            original.text,
            original.hashtags,
            original.mentions,
            original.urls,
        )
        media = original.has_media
    else:
        media = _v2_has_media(data)
        note = data.get("note_tweet")
        if isinstance(note, dict) and note.get("text"):
            raw_text, entities = note["text"], note.get("entities") or data.get("entities")
        else:
            raw_text, entities = data.get("text"), data.get("entities")
        if relation == "retweet" and isinstance(raw_text, str):
            raw_text = RT_PREFIX.sub("", raw_text, count=1)
        text = check_text(unescape(raw_text))
        if isinstance(entities, dict):
            hashtags = entity_values(entities, "hashtags", "tag")
            mentions = entity_values(entities, "mentions", "username")
            urls = entity_urls(entities)
        else:
            hashtags, mentions, urls = entities_from_text(text)

    place_name = country = None
    geo = data.get("geo")
    if isinstance(geo, dict) and geo.get("place_id"):
        place_name, country = place_fields(places.get(str(geo["place_id"])), notes)

    pm = data.get("public_metrics")
    if not isinstance(pm, dict) or relation == "retweet":
        pm = {}  # a retweet's own counts mirror its original's
    return Tweet(
        id=tweet_id,
        created_at=created_at,
        text=text,
        lang=opt_str(data.get("lang"), "lang", notes),
        author=tweet_author,
        relation=relation,
        related_id=related_id,
        retweets=count(pm.get("retweet_count"), "retweets", notes),
        likes=count(pm.get("like_count"), "likes", notes),
        replies=count(pm.get("reply_count"), "replies", notes),
        quotes=count(pm.get("quote_count"), "quotes", notes),
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        has_media=media,
        source=strip_html(data.get("source"), notes),
        place=place_name,
        country=country,
        format=fmt,
        original=original,
        notes=notes,
    )


def _v2_has_media(data: dict[str, Any]) -> bool:
    """Media keys in `attachments` (twarc2 flatten also inlines them as `attachments.media`), or
    a url entity that points at a media key."""
    attachments = data.get("attachments")
    if isinstance(attachments, dict):
        for name in ("media_keys", "media"):
            items = attachments.get(name)
            if isinstance(items, list) and items:
                return True
    entities = data.get("entities")
    urls = entities.get("urls") if isinstance(entities, dict) else None
    return isinstance(urls, list) and any(isinstance(u, dict) and u.get("media_key") for u in urls)


def _by_id(items: Any) -> dict[str, dict]:
    if not isinstance(items, list):
        return {}
    return {str(it["id"]): it for it in items if isinstance(it, dict) and "id" in it}
