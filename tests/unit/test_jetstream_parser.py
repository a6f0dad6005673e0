"""Bluesky Jetstream events → posts, deletions, reactions (tweets/jetstream.py).

tests/fixtures/bluesky/jetstream_events.jsonl holds Jetstream events as the README and the
app.bsky.* lexicons document them, clean and messy; jetstream_cases.json says, line by line,
what each must become (make_jetstream_events.py writes both).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from tweektrend_dagster.tweets.checks import InvalidTweet
from tweektrend_dagster.tweets.events import Deletion, Reaction
from tweektrend_dagster.tweets.jetstream import is_jetstream, parse_jetstream
from tweektrend_dagster.tweets.model import Tweet

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bluesky"
EVENTS = [orjson.loads(line) for line in
          (FIXTURES / "jetstream_events.jsonl").read_bytes().splitlines()]
CASES = json.loads((FIXTURES / "jetstream_cases.json").read_text(encoding="utf-8"))
BY_CASE = {case["case"]: (EVENTS[n], case["expect"]) for n, case in enumerate(CASES)}
TWEET_FIELDS = ("id", "text", "lang", "relation", "related_id", "hashtags", "mentions", "urls",
                "has_media")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_every_fixture_line_has_an_expected_outcome():
    assert len(EVENTS) == len(CASES) == len(BY_CASE)
    outcomes = {next(iter(set(c["expect"]) - {"notes"})) for c in CASES}
    assert outcomes == {"tweet", "deletion", "reaction", "skip", "invalid"}


@pytest.mark.parametrize("case", [c["case"] for c in CASES])
def test_fixture_event(case):
    event, expect = BY_CASE[case]
    if "skip" in expect or "invalid" in expect:
        with pytest.raises(InvalidTweet) as caught:
            parse_jetstream(event)
        reason = caught.value.reason
        if "skip" in expect:
            assert reason.startswith("not a post: ")
            assert expect["skip"] in reason
        else:
            assert not reason.startswith("not a post: "), reason
            assert expect["invalid"] in reason
            assert len(reason) < 200
        return
    out = parse_jetstream(event)
    if "deletion" in expect:
        want = expect["deletion"]
        assert out == Deletion(network="bluesky", id=want["id"],
                               deleted_at=_time(want["deleted_at"]), origin="jetstream")
        return
    if "reaction" in expect:
        want = expect["reaction"]
        assert out == Reaction(network="bluesky", post_id=want["post_id"], kind=want["kind"],
                               id=want["id"], actor_id=want["actor_id"],
                               reacted_at=_time(want["reacted_at"]))
        return
    want = expect["tweet"]
    assert isinstance(out, Tweet)
    assert (out.network, out.format) == ("bluesky", "jetstream")
    assert out.author.id == out.author.username == want["author_id"]
    assert out.created_at == _time(want["created_at"])
    for name in TWEET_FIELDS:
        if name in want:
            assert getattr(out, name) == want[name], name
    if expect.get("notes"):
        for words in expect["notes"]:
            assert any(words in note for note in out.notes), (words, out.notes)
    else:
        assert out.notes == []
    # what the producer writes reads back as the same post
    assert Tweet.from_json(out.to_json()) == out


def test_every_event_is_recognised_as_jetstream_and_nothing_else_is():
    recognised = [c["case"] for e, c in zip(EVENTS, CASES, strict=True) if is_jetstream(e)]
    assert set(BY_CASE) - set(recognised) == {"kind_missing"}
    tweet = BY_CASE["english_post"]
    assert not is_jetstream(orjson.loads(parse_jetstream(tweet[0]).to_json()))
    assert not is_jetstream({"data": {"id": "1", "text": "x"}, "includes": {}})
    assert not is_jetstream({"mastodon": {"instance": "mastodon.social", "event": "delete",
                                          "payload": "1"}})
    assert not is_jetstream(["time_us", "kind"])


def test_an_edit_keeps_the_post_id_and_replaces_its_text():
    created = parse_jetstream(BY_CASE["english_post"][0])
    edited = parse_jetstream(BY_CASE["post_update_keeps_id"][0])
    assert edited.id == created.id
    assert edited.text != created.text and edited.text.endswith("(edited)")


def test_a_deletion_names_the_post_a_create_made():
    event, _ = BY_CASE["reply_deep_thread"]
    deletion = parse_jetstream(BY_CASE["post_delete"][0])
    assert deletion.id == parse_jetstream(event).id


def test_reactions_name_posts_of_the_stream():
    like = parse_jetstream(BY_CASE["like"][0])
    repost = parse_jetstream(BY_CASE["repost"][0])
    assert like.post_id == parse_jetstream(BY_CASE["english_post"][0]).id
    assert repost.post_id == parse_jetstream(BY_CASE["korean_post_with_tags"][0]).id
    assert like.id != repost.id and like.actor_id != repost.actor_id


def test_post_web_link_goes_to_bluesky():
    post = parse_jetstream(BY_CASE["english_post"][0])
    did, rkey = post.id.split("/")[2], post.id.rsplit("/", 1)[1]
    assert post.url == f"https://bsky.app/profile/{did}/post/{rkey}"


def test_bad_created_at_falls_back_to_the_event_time_not_to_a_rejection():
    for case in ("created_at_garbage", "created_at_1970", "created_at_2100",
                 "created_at_missing", "created_at_number"):
        event, _ = BY_CASE[case]
        post = parse_jetstream(event)
        assert post.created_at.timestamp() * 1_000_000 == pytest.approx(event["time_us"])
        assert len(post.notes) == 1


def test_bad_time_us_when_created_at_also_fails_is_rejected():
    event, _ = BY_CASE["created_at_garbage"]
    broken = {**event, "time_us": 12}  # 1970: neither date is usable
    with pytest.raises(InvalidTweet, match="time_us"):
        parse_jetstream(broken)


def test_wrongly_typed_corners_never_raise_anything_but_invalid_tweet():
    event, _ = BY_CASE["quote_with_media"]
    record = event["commit"]["record"]
    variants = [
        {**record, "embed": {"$type": "app.bsky.embed.recordWithMedia", "record": "x",
                             "media": [1]}},
        {**record, "embed": {"$type": "app.bsky.embed.images", "images": {"a": 1}}},
        {**record, "embed": {"$type": "app.bsky.embed.external", "external": "uri"}},
        {**record, "reply": ["parent"]},
        {**record, "tags": "music"},
        {**record, "langs": [7]},
        {**record, "langs": []},
    ]
    for variant in variants:
        out = parse_jetstream({**event, "commit": {**event["commit"], "record": variant}})
        assert isinstance(out, Tweet) and out.text == record["text"]
    assert parse_jetstream({**event, "commit": {**event["commit"], "record": variants[0]}}
                           ).relation is None
