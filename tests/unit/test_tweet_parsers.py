"""Parsers for X API v1.1, v2, Activity Streams and the normalised JSON, on real-shaped payloads."""

from __future__ import annotations

import random
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tweektrend_dagster.tweets import (
    Author,
    InvalidTweet,
    Tweet,
    detect_format,
    parse_payload,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tweets"


def load(name: str) -> list[bytes]:
    return [ln for ln in (FIXTURES / name).read_bytes().splitlines() if ln.strip()]


def parsed(name: str) -> list[Tweet]:
    return [parse_payload(ln) for ln in load(name)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ---- v1.1 ----------------------------------------------------------------------------------------


def test_v1_plain_tweet_all_fields() -> None:
    t = parsed("v1_1.jsonl")[0]
    assert t.id == "1764600000000000001"
    assert t.created_at == utc(2024, 3, 4, 9, 15, 30)
    assert t.created_at.tzinfo is UTC
    assert t.text.startswith("코로나 확진자 오늘도 늘었네요 ㅠㅠ #코로나")
    assert t.author == Author(
        id="1001", username="minji_kim", name="김민지", followers=523, location="서울"
    )
    assert (t.lang, t.relation, t.related_id) == ("ko", None, None)
    assert (t.retweets, t.likes, t.replies, t.quotes) == (5, 17, 2, 1)
    assert t.hashtags == ["코로나"]
    assert t.mentions == ["KDCA_official"]
    assert t.urls == ["https://www.kdca.go.kr/covid"]
    assert t.source == "Twitter for iPhone"
    assert (t.place, t.country) == ("Seoul, Republic of Korea", "KR")
    assert t.format == "v1.1"
    assert t.keywords == [] and t.original is None


def test_v1_extended_tweet_uses_full_text_and_its_entities() -> None:
    t = parsed("v1_1.jsonl")[1]
    assert t.id == "1764611324000000002"
    assert "…" not in t.text and t.text.endswith("보라해")
    assert "don't miss it & share with friends" in t.text  # &amp; unescaped
    assert t.hashtags == ["BTS", "ARMY"]
    assert t.urls == ["https://weverse.io/bts/live"]  # not the truncated self-link
    assert t.mentions == ["BTS_bighit"]
    assert (t.retweets, t.likes, t.replies, t.quotes) == (45210, 98003, 1520, 310)
    assert t.author.followers == 48_000_000


def test_v1_retweet_takes_original_text_and_exposes_original() -> None:
    tweets = parsed("v1_1.jsonl")
    rt, original = tweets[2], tweets[1]
    assert rt.id == "1764612632000000003"
    assert rt.relation == "retweet" and rt.related_id == original.id
    assert rt.text == original.text and not rt.text.startswith("RT @")
    assert rt.author.username == "alex_dev"
    assert rt.created_at == utc(2024, 3, 4, 10, 5, 12)
    assert rt.hashtags == ["BTS", "ARMY"]
    assert rt.source == "Twitter for Android"
    # Engagement belongs to the original; the retweet's own counts are zero.
    assert (rt.retweets, rt.likes) == (0, 0)
    assert rt.original is not None
    assert rt.original.id == original.id
    assert rt.original.author.username == "BTS_twt"
    assert (rt.original.retweets, rt.original.likes) == (45210, 98003)
    assert rt.original.original is None


def test_v1_quote() -> None:
    q = parsed("v1_1.jsonl")[3]
    assert q.relation == "quote"
    assert q.related_id == "1764370000000000010"
    assert q.text == "Finally!! 넷플릭스 오징어게임 시즌2 드디어 😭 https://t.co/q1"
    assert (q.retweets, q.likes, q.replies) == (3, 12, 1)
    assert q.original is not None and q.original.author.username == "netflix"
    assert q.original.hashtags == ["Netflix", "SquidGame"]
    assert (q.original.retweets, q.original.likes) == (12000, 64000)


def test_v1_reply_rest_full_text() -> None:
    r = parsed("v1_1.jsonl")[4]
    assert r.relation == "reply" and r.related_id == "1764370000000000010"
    assert r.text == "@netflix Can't wait <3 Squid Game & chill this weekend"
    assert r.mentions == ["netflix"]
    assert (r.place, r.country) == ("San Francisco, CA", "US")
    assert r.created_at == utc(2024, 3, 4, 12, 1, 9)
    assert r.source == "Twitter Web App"


def _v1(**extra: object) -> dict:
    obj: dict = {
        "created_at": "Mon Mar 04 09:15:30 +0000 2024",
        "id": 1764600000000000999,
        "id_str": "1764600000000000999",
        "text": "hello #World",
        "user": {"id": 1, "id_str": "1", "screen_name": "someone", "name": "Some One"},
    }
    obj.update(extra)
    return obj


def test_v1_time_offsets_and_timestamp_ms() -> None:
    assert parse_payload(_v1(created_at="Mon Mar 04 18:15:30 +0900 2024")).created_at == utc(
        2024, 3, 4, 9, 15, 30
    )
    no_created = _v1(timestamp_ms="1709543730123")
    del no_created["created_at"]
    assert parse_payload(no_created).created_at == datetime(
        2024, 3, 4, 9, 15, 30, 123000, tzinfo=UTC
    )
    # Some exports rewrite created_at as ISO-8601.
    assert parse_payload(_v1(created_at="2024-03-04T09:15:30Z")).created_at == utc(
        2024, 3, 4, 9, 15, 30
    )


def test_v1_without_entities_extracts_from_text() -> None:
    t = parse_payload(_v1(text="#BTS 컴백 @bts_twt 보세요 https://example.com/x #방탄"))
    assert t.hashtags == ["BTS", "방탄"]
    assert t.mentions == ["bts_twt"]
    assert t.urls == ["https://example.com/x"]


def test_v1_retweet_with_broken_original_keeps_the_retweet() -> None:
    obj = _v1(
        text="RT @ghost: the original text",
        retweeted_status={"id_str": "1764600000000000555", "text": "the original text"},
    )
    t = parse_payload(obj)
    assert t.relation == "retweet" and t.related_id == "1764600000000000555"
    assert t.text == "the original text"
    assert t.original is None


def test_v1_id_str_preferred_and_int_ids_accepted() -> None:
    obj = _v1()
    del obj["id_str"]
    assert parse_payload(obj).id == "1764600000000000999"
    with pytest.raises(InvalidTweet, match="not an integer"):
        parse_payload(_v1(id=1.7646e18, id_str=None))
    with pytest.raises(InvalidTweet, match="not an integer"):
        parse_payload(_v1(id=True, id_str=None))
    with pytest.raises(InvalidTweet, match="out of range"):
        parse_payload(_v1(id_str="0"))


def test_unknown_fields_are_ignored() -> None:
    t = parse_payload(_v1(brand_new_field={"nested": [1, 2]}, another="x"))
    assert t.text == "hello #World"


# ---- v2 ------------------------------------------------------------------------------------------


def test_v2_envelope_with_place_and_user_metrics() -> None:
    t = parsed("v2.jsonl")[0]
    assert t.id == "1764700000000000101"
    assert t.created_at == utc(2024, 3, 4, 15, 2, 33)
    assert t.text == "비 오는 날엔 넷플릭스 정주행 🍿 #넷플릭스 @NetflixKR"
    assert t.author == Author(
        id="5001", username="rainy_day", name="비오는날", followers=88, location="부산"
    )
    assert (t.place, t.country) == ("Seoul, Republic of Korea", "KR")
    assert (t.retweets, t.likes, t.replies, t.quotes) == (2, 9, 0, 0)
    assert t.hashtags == ["넷플릭스"] and t.mentions == ["NetflixKR"]
    assert t.source == "Twitter for iPhone"
    assert t.lang == "ko" and t.format == "v2"


def test_v2_retweet_resolves_original_from_includes() -> None:
    t = parsed("v2.jsonl")[1]
    assert t.relation == "retweet" and t.related_id == "1764690000000000050"
    assert t.author.username == "army_forever" and t.author.followers == 1500
    assert t.text.startswith("BTS members share") and "RT @" not in t.text
    assert t.urls == ["https://btsnews.example/tour-photos"]
    assert (t.retweets, t.likes) == (0, 0)
    assert t.original is not None
    assert t.original.author == Author(
        id="5003", username="bts_news", name="BTS News", followers=250000, location=None
    )
    assert (t.original.retweets, t.original.likes, t.original.replies, t.original.quotes) == (
        3400,
        15000,
        120,
        75,
    )
    assert t.original.created_at == utc(2024, 3, 4, 13, 0)


def test_v2_long_post_uses_note_tweet() -> None:
    t = parsed("v2.jsonl")[2]
    assert len(t.text) > 280 and t.text.endswith("#covid #dataengineering")
    assert t.hashtags == ["covid", "dataengineering"]
    assert t.created_at == utc(2024, 3, 5, 0, 0, 1)


def test_v2_reply_and_quote() -> None:
    reply, quote = parsed("v2.jsonl")[3:5]
    assert reply.relation == "reply" and reply.related_id == "1764700000000000101"
    assert reply.original is None and reply.mentions == ["rainy_day"]
    assert quote.relation == "quote" and quote.related_id == "1764690000000000050"
    assert quote.original is not None and quote.original.likes == 15000
    assert quote.likes == 30


def test_v2_without_resolvable_author_is_invalid() -> None:
    env = orjson.loads(load("v2.jsonl")[0])
    bare = env["data"]
    with pytest.raises(InvalidTweet, match="missing author"):
        parse_payload(bare)
    env["includes"]["users"] = []
    with pytest.raises(InvalidTweet, match="5001 not in includes.users"):
        parse_payload(env)
    del env["data"]["author_id"]
    with pytest.raises(InvalidTweet, match="missing author"):
        parse_payload(env)


def test_v2_lookup_envelope_with_a_data_list() -> None:
    env = orjson.loads(load("v2.jsonl")[0])
    env["data"] = [env["data"]]
    assert parse_payload(env).id == "1764700000000000101"
    env["data"] = env["data"] * 2
    with pytest.raises(InvalidTweet, match="holds 2 tweets"):
        parse_payload(env)


# ---- Activity Streams ----------------------------------------------------------------------------


def test_activity_post() -> None:
    t = parsed("activity.jsonl")[0]
    assert t.id == "1764800000000000201"
    assert t.created_at == utc(2024, 3, 5, 1, 2, 3)
    assert t.author == Author(
        id="7001", username="traveler_lee", name="이여행", followers=2040, location="인천"
    )
    assert t.text == "코로나19 이후 첫 해외여행 ✈️ 설렌다 #코로나 #여행"
    assert t.hashtags == ["코로나", "여행"]
    assert (t.place, t.country) == ("Incheon, Republic of Korea", "KR")
    assert t.source == "Twitter for Android"
    assert (t.retweets, t.likes) == (4, 33)
    assert t.lang == "ko" and t.format == "activity"


def test_activity_share_is_a_retweet_of_its_object() -> None:
    t = parsed("activity.jsonl")[1]
    assert t.relation == "retweet" and t.related_id == "1764790000000000150"
    assert t.text == "Netflix announces live sports streaming starting this fall #Netflix"
    assert t.author.username == "sports_fan"
    assert (t.retweets, t.likes) == (0, 0)
    assert t.original is not None
    assert t.original.author.username == "technews"
    assert (t.original.retweets, t.original.likes) == (1200, 5400)
    assert t.original.source == "TweetDeck"


def test_activity_long_object_reply_and_quote() -> None:
    long, reply, quote = parsed("activity.jsonl")[2:5]
    assert "…" not in long.text and long.text.endswith("#BTS #정국 https://t.co/jk1")
    assert long.hashtags == ["BTS", "정국"] and long.urls == ["https://example.com/jk-solo"]
    assert reply.relation == "reply" and reply.related_id == "1764800000000000201"
    assert quote.relation == "quote" and quote.related_id == "1764790000000000150"
    assert quote.original is not None and quote.original.id == "1764790000000000150"


# ---- normalised JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["v1_1.jsonl", "v2.jsonl", "activity.jsonl"])
def test_to_json_round_trip_is_exact(name: str) -> None:
    for t in parsed(name):
        t.keywords = ["bts", "코로나"]
        raw = t.to_json()
        back = Tweet.from_json(raw)
        assert back == t
        assert back.to_json() == raw
        assert parse_payload(raw) == t  # workers accept normalised JSON on the topic too
        assert detect_format(orjson.loads(raw)) == "tweektrend"


def test_to_json_shape() -> None:
    rt = parsed("v1_1.jsonl")[2]
    obj = orjson.loads(rt.to_json())
    assert obj["created_at"] == "2024-03-04T10:05:12Z"
    assert obj["id"] == "1764612632000000003" and obj["network"] == "x"
    assert obj["author"]["username"] == "alex_dev"
    assert obj["format"] == "v1.1"
    assert obj["original"]["created_at"] == "2024-03-04T10:00:00Z"
    assert obj["original"]["original"] is None  # one level only


def test_from_json_rejects_bad_normalised_json() -> None:
    good = orjson.loads(parsed("v2.jsonl")[0].to_json())
    with pytest.raises(InvalidTweet, match="not JSON"):
        Tweet.from_json(b"{nope")
    with pytest.raises(InvalidTweet, match="missing author"):
        Tweet.from_json(orjson.dumps({**good, "author": None}))
    with pytest.raises(InvalidTweet, match="bad created_at"):
        Tweet.from_json(orjson.dumps({**good, "created_at": "soon"}))
    with pytest.raises(InvalidTweet, match="unknown relation"):
        Tweet.from_json(orjson.dumps({**good, "relation": "like"}))


# ---- bad input (SPEC §4) -------------------------------------------------------------------------

BAD_REASONS = [
    "not JSON: unexpected end of data",
    "invalid UTF-8 at byte",
    "missing user",
    "empty text",
    "huge text: 100004 chars > 100000",
    "not a tweet: delete notice",
    "not a JSON object (got array)",
    "not a JSON object (got number)",
    "id is not an integer",
    "bad created_at: 'yesterday'",
    "missing author",
    "not a tweet: limit notice",
    "not JSON: unexpected character",
    "unknown format",
    "missing text",
]


@pytest.mark.parametrize(("index", "reason"), list(enumerate(BAD_REASONS)))
def test_bad_inputs_have_clear_reasons(index: int, reason: str) -> None:
    line = load("bad.jsonl")[index]
    with pytest.raises(InvalidTweet) as info:
        parse_payload(line)
    assert reason in info.value.reason
    assert isinstance(info.value, ValueError)
    assert len(info.value.reason) < 120


def test_more_bad_inputs() -> None:
    cases = {
        b"": "not JSON: empty payload",
        b"   ": "not JSON: empty payload",
        b'"just a string"': "not a JSON object (got string)",
        b"null": "not a JSON object (got null)",
        b"{}": "unknown format: empty object",
        b'{"errors":[{"title":"operational-disconnect"}]}': "API error: operational-disconnect",
        b'{"status_withheld":{"id":1}}': "not a tweet: status_withheld notice",
        b'{"verb":"delete","id":"tag:search.twitter.com,2005:1","actor":{}}': "delete activity",
    }
    for raw, reason in cases.items():
        with pytest.raises(InvalidTweet) as info:
            parse_payload(raw)
        assert reason in info.value.reason, raw


def test_text_length_limit_is_inclusive() -> None:
    assert len(parse_payload(_v1(text="a" * 100_000)).text) == 100_000
    with pytest.raises(InvalidTweet, match="huge text"):
        parse_payload(_v1(text="a" * 100_001))


def test_input_types_and_bom() -> None:
    line = load("v1_1.jsonl")[0]
    expected = parse_payload(line)
    assert parse_payload(line.decode()) == expected
    assert parse_payload(orjson.loads(line)) == expected
    assert parse_payload(bytearray(line)) == expected
    assert parse_payload(b"\xef\xbb\xbf" + line) == expected


# ---- Unicode -------------------------------------------------------------------------------------


def test_hangul_jamo_and_emoji_survive_and_text_is_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "코로나 때문에 😷👨‍👩‍👧 ㅋㅋ ᄒᆞᆫ글")
    assert decomposed != unicodedata.normalize("NFC", decomposed)
    t = parse_payload(_v1(text=decomposed))
    assert t.text == unicodedata.normalize("NFC", decomposed)
    assert t.text.startswith("코로나 때문에 😷👨‍👩‍👧 ㅋㅋ")
    assert "\u1112\u119e\u11ab" in t.text  # archaic jamo have no syllable; kept as they are
    assert Tweet.from_json(t.to_json()) == t


def test_json_escaped_emoji_surrogate_pairs() -> None:
    t = parse_payload(orjson.dumps(_v1()).replace(b"hello", b"\\ud83d\\ude00 hi"))
    assert t.text == "😀 hi #World"


def _mutations(obj: object, rng: random.Random) -> object:
    """A copy of obj with some values swapped for values of the wrong type."""
    junk = [None, 0, -1, "", "x", [], {}, [1], {"a": 1}, True, 1.5, "2024-99-99"]
    if isinstance(obj, dict):
        return {
            k: rng.choice(junk) if rng.random() < 0.08 else _mutations(v, rng)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_mutations(v, rng) for v in obj]
    return obj


def test_wrongly_typed_fields_never_crash_the_parser() -> None:
    rng = random.Random(42)
    payloads = [
        orjson.loads(ln) for n in ("v1_1.jsonl", "v2.jsonl", "activity.jsonl") for ln in load(n)
    ]
    outcomes = {"ok": 0, "invalid": 0}
    for _ in range(300):
        for payload in payloads:
            try:
                t = parse_payload(_mutations(payload, rng))
            except InvalidTweet as exc:
                assert exc.reason
                outcomes["invalid"] += 1
            else:
                assert isinstance(t, Tweet) and t.text.strip()
                outcomes["ok"] += 1
    assert outcomes["ok"] > 0 and outcomes["invalid"] > 0
