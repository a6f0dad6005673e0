"""Type and range checks of every kept field (SPEC §4): clamped counts, dropped fields, dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from tweektrend_dagster.tweets import MAX_COUNT, InvalidTweet, Tweet, parse_payload
from tweektrend_dagster.tweets.checks import count, opt_count, opt_str

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tweets"


def v1(**extra: object) -> dict:
    obj: dict = {
        "created_at": "Mon Mar 04 09:15:30 +0000 2024",
        "id_str": "1764600000000000999",
        "text": "hello #World",
        "user": {"id_str": "1", "screen_name": "someone", "name": "Some One",
                 "followers_count": 10, "location": "Seoul"},
        "retweet_count": 1,
        "favorite_count": 2,
        "lang": "en",
        "source": "Twitter Web App",
        "place": {"full_name": "Seoul, Korea", "country_code": "KR"},
    }
    obj.update(extra)
    return obj


def v2_env(data: dict, user: dict | None = None) -> dict:
    base = {"id": "1764700000000000101", "text": "hi #there", "author_id": "5",
            "created_at": "2024-03-04T15:02:33.000Z"}
    return {"data": {**base, **data},
            "includes": {"users": [user or {"id": "5", "username": "five"}]}}


# ---- counts --------------------------------------------------------------------------------------


def test_counts_over_the_int_column_are_clamped_with_a_note() -> None:
    t = parse_payload(v1(retweet_count=5_000_000_000, favorite_count=2**31))
    assert t.retweets == MAX_COUNT == 2_147_483_647
    assert t.likes == MAX_COUNT
    assert "retweets clamped from 5000000000" in t.notes
    assert "likes clamped from 2147483648" in t.notes
    assert parse_payload(v1(retweet_count=MAX_COUNT)).notes == []  # the limit itself is fine


def test_followers_clamped_and_negative_counts_become_zero() -> None:
    user = {"id_str": "1", "screen_name": "s", "followers_count": 3_000_000_000}
    t = parse_payload(v1(user=user, reply_count=-4))
    assert t.author.followers == MAX_COUNT
    assert t.replies == 0
    assert t.notes == ["followers clamped from 3000000000", "replies negative (-4), set to 0"]


def test_digit_strings_and_integral_floats_are_read_silently() -> None:
    t = parse_payload(v2_env({"public_metrics": {"retweet_count": "12", "like_count": 7.0,
                                                 "reply_count": " 3 ", "quote_count": None}}))
    assert (t.retweets, t.likes, t.replies, t.quotes) == (12, 7, 3, 0)
    assert t.notes == []


@pytest.mark.parametrize("junk", ["x1", 1.5, [3], {"n": 3}, True, "1e9"])
def test_unreadable_counts_become_zero_with_a_note(junk: object) -> None:
    notes: list[str] = []
    assert count(junk, "likes", notes) == 0
    assert len(notes) == 1 and notes[0].startswith("likes dropped: not a number")
    notes.clear()
    assert opt_count(junk, "followers", notes) is None and len(notes) == 1


def test_clean_values_take_the_fast_path_without_notes() -> None:
    notes: list[str] = []
    assert count(0, "a", notes) == 0 and count(None, "a", notes) == 0
    assert opt_count(None, "a", notes) is None and opt_str(None, "a", notes) is None
    assert opt_str("ko", "lang", notes) == "ko" and opt_str("", "lang", notes) is None
    assert notes == []


# ---- optional text fields ------------------------------------------------------------------------


def test_wrongly_typed_optional_fields_are_dropped_with_notes() -> None:
    user = {"id_str": "1", "screen_name": "s", "name": ["a"], "location": {"city": "Paris"}}
    t = parse_payload(v1(user=user, lang=["en"], source=42,
                         place={"full_name": {"en": "Paris"}, "country_code": 33}))
    assert (t.lang, t.source, t.place, t.country) == (None, None, None, None)
    assert (t.author.name, t.author.location) == (None, None)
    assert t.text == "hello #World" and t.author.username == "s"
    assert sorted(t.notes) == sorted([
        "author name dropped: list instead of text",
        "author location dropped: object instead of text",
        "lang dropped: list instead of text",
        "source dropped: number instead of text",
        "place dropped: object instead of text",
        "country dropped: number instead of text",
    ])


def test_oversized_optional_text_is_dropped() -> None:
    t = parse_payload(v1(source="x" * 5000))
    assert t.source is None and t.notes == ["source dropped: 5000 chars > 1000"]


def test_required_fields_of_the_wrong_type_make_the_tweet_invalid() -> None:
    with pytest.raises(InvalidTweet, match="missing author id"):
        parse_payload(v1(user={"id": {"x": 1}, "screen_name": "s"}))
    with pytest.raises(InvalidTweet, match="missing author username"):
        parse_payload(v1(user={"id_str": "1", "screen_name": ["s"]}))
    with pytest.raises(InvalidTweet, match="text is not a string"):
        parse_payload(v1(text={"t": 1}))


# ---- dates ---------------------------------------------------------------------------------------


def test_dates_from_x_first_day_on() -> None:
    assert parse_payload(v1(created_at="Tue Mar 21 20:50:14 +0000 2006")).created_at.year == 2006
    with pytest.raises(InvalidTweet, match="before X existed: 2006-03-20"):
        parse_payload(v1(created_at="Mon Mar 20 23:59:59 +0000 2006"))
    with pytest.raises(InvalidTweet, match="before X existed: 1970-01-01"):
        parse_payload(v2_env({"created_at": "1970-01-01T00:00:00Z"}))


def test_clock_skew_is_valid_but_far_future_is_not() -> None:
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    assert parse_payload(v2_env({"created_at": tomorrow})).created_at > now
    in_300_days = (now + timedelta(days=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert parse_payload(v2_env({"created_at": in_300_days})).notes == []
    later = (now + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with pytest.raises(InvalidTweet, match="too far in the future"):
        parse_payload(v2_env({"created_at": later}))
    with pytest.raises(InvalidTweet, match="bad created_at"):
        parse_payload(v2_env({"created_at": "9999-12-31T23:00:00-05:00"}))


# ---- normalised JSON from the topic --------------------------------------------------------------


def _normalised(**changes: object) -> dict:
    line = (FIXTURES / "v2.jsonl").read_bytes().splitlines()[1]  # a retweet with its original
    obj = orjson.loads(parse_payload(line).to_json())
    obj.update(changes)
    return obj


def test_notes_round_trip_through_the_normalised_json() -> None:
    t = parse_payload(v1(retweet_count=5_000_000_000, lang=["en"]))
    raw = t.to_json()
    assert orjson.loads(raw)["notes"] == t.notes
    back = Tweet.from_json(raw)
    assert back == t
    assert back.notes == ["lang dropped: list instead of text", "retweets clamped from 5000000000"]
    assert back.to_json() == raw


def test_normalised_json_from_another_producer_is_checked_like_a_payload() -> None:
    obj = _normalised(retweets=5_000_000_000, likes=-1, lang=["ko"], place={"n": 1},
                      source=7, notes=["earlier note"])
    obj["author"] = {**obj["author"], "followers": 3e9, "name": ["x"]}
    obj["original"] = {**obj["original"], "retweets": 2**40}
    t = Tweet.from_json(orjson.dumps(obj))
    assert (t.retweets, t.likes, t.lang, t.place, t.source) == (MAX_COUNT, 0, None, None, None)
    assert (t.author.followers, t.author.name) == (MAX_COUNT, None)
    assert t.notes[0] == "earlier note"
    assert "retweets clamped from 5000000000" in t.notes
    assert "likes negative (-1), set to 0" in t.notes
    assert t.original is not None and t.original.retweets == MAX_COUNT
    assert t.original.notes == [f"retweets clamped from {2**40}"]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"format": ["v2"]}, "unknown format"),
        ({"format": "xml"}, "unknown format 'xml'"),
        ({"created_at": "2003-01-01T00:00:00Z"}, "before X existed"),
        ({"created_at": "2999-01-01T00:00:00Z"}, "too far in the future"),
        ({"id": 2**63}, "id out of range"),
        ({"text": "y" * 100_001}, "huge text"),
        ({"author": {"id": ["1"], "username": "u"}}, "missing author id"),
    ],
)
def test_normalised_json_with_bad_required_fields_is_invalid(changes: dict, reason: str) -> None:
    with pytest.raises(InvalidTweet, match=reason):
        Tweet.from_json(orjson.dumps(_normalised(**changes)))


def test_every_new_format_name_is_accepted_by_the_worker_path() -> None:
    for fmt in ("v2", "twarc2", "csv", "activity", "v1.1", "tweektrend"):
        assert Tweet.from_json(orjson.dumps(_normalised(format=fmt))).format == fmt
