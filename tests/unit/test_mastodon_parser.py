"""Mastodon streaming events → posts and deletions (tweets/mastodon.py).

tests/fixtures/mastodon/statuses.jsonl holds streaming events wrapped as the Mastodon source
wraps them, with Status entities as docs.joinmastodon.org documents them, clean and messy;
statuses_cases.json says, line by line, what each must become (make_statuses.py writes both).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tweektrend_dagster.tweets.checks import InvalidTweet
from tweektrend_dagster.tweets.events import Deletion
from tweektrend_dagster.tweets.mastodon import html_to_text, is_mastodon, parse_mastodon
from tweektrend_dagster.tweets.model import Tweet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon"
EVENTS = [orjson.loads(line) for line in
          (FIXTURES / "statuses.jsonl").read_bytes().splitlines()]
CASES = json.loads((FIXTURES / "statuses_cases.json").read_text(encoding="utf-8"))
BY_CASE = {case["case"]: (EVENTS[n], case["expect"]) for n, case in enumerate(CASES)}
TWEET_FIELDS = ("id", "text", "lang", "relation", "related_id", "hashtags", "mentions", "urls",
                "has_media", "source", "retweets", "likes", "replies")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _check_fields(out: Tweet, want: dict) -> None:
    for name in TWEET_FIELDS:
        if name in want:
            assert getattr(out, name) == want[name], name
    if "created_at" in want:
        assert out.created_at == _time(want["created_at"])
    if "author" in want:
        a = want["author"]
        assert (out.author.id, out.author.username, out.author.name, out.author.followers) == (
            a["id"], a["username"], a["name"], a["followers"])


def test_every_fixture_line_has_an_expected_outcome():
    assert len(EVENTS) == len(CASES) == len(BY_CASE)
    outcomes = {next(iter(set(c["expect"]) - {"notes"})) for c in CASES}
    assert outcomes == {"tweet", "deletion", "skip", "invalid"}


@pytest.mark.parametrize("case", [c["case"] for c in CASES])
def test_fixture_event(case):
    event, expect = BY_CASE[case]
    if "skip" in expect or "invalid" in expect:
        with pytest.raises(InvalidTweet) as caught:
            parse_mastodon(event)
        reason = caught.value.reason
        if "skip" in expect:
            assert reason.startswith("not a post: ")
            assert expect["skip"] in reason
        else:
            assert not reason.startswith("not a post: "), reason
            assert expect["invalid"] in reason
            assert len(reason) < 200
        return
    out = parse_mastodon(event)
    if "deletion" in expect:
        want = expect["deletion"]
        assert out == Deletion(network="mastodon", id=want["id"],
                               deleted_at=_time(want["deleted_at"]), origin="mastodon")
        return
    want = expect["tweet"]
    assert isinstance(out, Tweet)
    assert (out.network, out.format) == ("mastodon", "mastodon")
    _check_fields(out, want)
    if "original" in want:
        if want["original"] is None:
            assert out.original is None
        else:
            assert out.original is not None and out.original.original is None
            _check_fields(out.original, want["original"])
            assert out.original.network == "mastodon"
    if expect.get("notes"):
        for words in expect["notes"]:
            assert any(words in note for note in out.notes), (words, out.notes)
    else:
        assert out.notes == []
    # no markup survives: every '<' of the text was written as &lt; in the content
    content = event["mastodon"]["payload"].get("content") or ""
    assert out.text.count("<") == content.count("&lt;") + (
        out.original.text.count("<") if out.original and out.relation == "retweet" else 0)
    # what the producer writes reads back as the same post
    assert Tweet.from_json(out.to_json()) == out


def test_every_event_is_recognised_as_mastodon_and_nothing_else_is():
    assert all(is_mastodon(e) for e in EVENTS)
    post = parse_mastodon(BY_CASE["english post with a link card"][0])
    assert not is_mastodon(orjson.loads(post.to_json()))
    assert not is_mastodon(BY_CASE["english post with a link card"][0]["mastodon"]["payload"])
    assert not is_mastodon({"did": "did:plc:x", "time_us": 1, "kind": "commit"})
    assert not is_mastodon({"mastodon": {}, "data": {}})
    assert not is_mastodon(["mastodon"])


def test_an_edit_keeps_the_post_id_and_replaces_its_text():
    created = parse_mastodon(BY_CASE["english post with a link card"][0])
    edited = parse_mastodon(BY_CASE["edit of a status"][0])
    assert edited.id == created.id and edited.text != created.text


def test_a_deletion_names_the_post_an_update_made():
    deleted = parse_mastodon(BY_CASE["delete"][0])
    assert deleted.id == parse_mastodon(BY_CASE["escaped script stays text"][0]).id
    other = parse_mastodon(BY_CASE["delete on another instance"][0])
    assert other.id == parse_mastodon(BY_CASE["status of another instance"][0]).id


def test_same_status_id_on_two_instances_stays_two_posts():
    event, _ = BY_CASE["english post with a link card"]
    moved = copy.deepcopy(event)
    moved["mastodon"]["instance"] = "hachyderm.io"
    here, there = parse_mastodon(event), parse_mastodon(moved)
    assert here.id != there.id
    assert here.id.split("/")[1] == there.id.split("/")[1]


def test_delete_without_received_at_is_dated_now():
    before = datetime.now(UTC)
    out = parse_mastodon({"mastodon": {"instance": "mastodon.social", "event": "delete",
                                       "payload": "123"}})
    assert out.id == "mastodon.social/123"
    assert before <= out.deleted_at <= datetime.now(UTC)


def test_post_web_link_opens_on_the_instance_that_served_it():
    post = parse_mastodon(BY_CASE["korean post with hashtags, mentions and br"][0])
    status_id = post.id.split("/")[1]
    assert post.url == f"https://mastodon.social/@seoyeon@mstdn.kr/{status_id}"


def test_html_to_text_keeps_no_markup_and_writes_links_as_their_text():
    text, links = html_to_text(
        '<p>a<br/>b<img src="x.png" onerror="evil()"></p><style>p{}</style>'
        '<p><a href="https://example.com/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/long</span><span class="invisible">/path</span>'
        '</a> &amp;amp; &#12354;</p><iframe src="https://x"></iframe>')
    assert text == "a\nb\n\nhttps://example.com/long/path &amp; あ"
    assert links == ["https://example.com/long/path"]
    assert html_to_text("&lt;b&gt;bold&lt;/b&gt;")[0] == "<b>bold</b>"
    assert html_to_text('<a href="javascript:alert(1)">x</a>') == ("x", [])
    # a hashtag link of another server's software (rel="tag", no class) is no shared link
    assert html_to_text('<a href="https://misskey.io/tags/bts" rel="tag">#bts</a> '
                        '<a href="https://a.example/p" rel="nofollow noopener">a</a>') == (
        "#bts a", ["https://a.example/p"])


def test_wrongly_typed_corners_never_raise_anything_but_invalid_tweet():
    event, _ = BY_CASE["korean post with hashtags, mentions and br"]
    status = event["mastodon"]["payload"]
    variants = [
        {**status, "account": {**status["account"], "display_name": 5, "followers_count": []}},
        {**status, "account": {**status["account"], "acct": "@seoyeon@mstdn.kr"}},
        {**status, "tags": [{"name": 5}, None, {"name": "#BTS"}]},
        {**status, "card": {"url": 3}},
        {**status, "reblog": 7},
        {**status, "account": {**status["account"], "acct": "two words"}},
        {**status, "quote": {"state": "accepted", "quoted_status": {"id": None}}},
        {**status, "quote": {"state": "accepted", "quoted_status": {"id": "9"}}},
        {**status, "media_attachments": [None, "x"], "content": ""},
    ]
    outcomes = []
    for variant in variants:
        wrapped = {"mastodon": {**event["mastodon"], "payload": variant}}
        try:
            outcomes.append(parse_mastodon(wrapped))
        except InvalidTweet as exc:
            outcomes.append(exc.reason)
    assert outcomes[0].author.name is None and outcomes[0].author.followers is None
    assert outcomes[1].author.id == "seoyeon@mstdn.kr"
    assert outcomes[2].hashtags == ["BTS"]
    assert outcomes[3].urls == []
    assert outcomes[4] == "reblog is not a Status object"
    assert "not an account address" in outcomes[5]
    assert outcomes[6].relation is None and any("quote dropped" in n for n in outcomes[6].notes)
    # a quoted status too broken to embed still names the quoted post
    assert (outcomes[7].relation, outcomes[7].related_id, outcomes[7].original) == (
        "quote", "mastodon.social/9", None)
    assert outcomes[8] == "not a post: media only, no text"


def test_the_producers_entry_point_reads_wrapped_events_as_bytes():
    from tweektrend_dagster.tweets.parsers import NOT_A_POST, parse_event

    line = (FIXTURES / "statuses.jsonl").read_bytes().splitlines()
    assert parse_event(line[0]) == parse_mastodon(EVENTS[0])
    skipped = next(n for n, c in enumerate(CASES) if "skip" in c["expect"])
    with pytest.raises(InvalidTweet, match=f"^{NOT_A_POST}"):
        parse_event(line[skipped])
