"""Archive formats: X API v2 pages, twarc2 flattened lines, CSV datasets, compressed files."""

from __future__ import annotations

import bz2
import gzip
import random
import zipfile
from pathlib import Path

import orjson
import pytest

from tweektrend_dagster.tweets import InvalidTweet, detect_format, parse_payload, split_page
from tweektrend_dagster.tweets.csv_rows import csv_time, parse_columns, parse_hashtags
from tweektrend_dagster.tweets.files import iter_items
from tweektrend_dagster.tweets.inspect import inspect_file

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tweets"
PAGES = FIXTURES / "v2_pages.jsonl"
FLAT = FIXTURES / "twarc2_flat.jsonl"
KAGGLE = FIXTURES / "kaggle_vaccines.csv"


def pages() -> list[dict]:
    return [orjson.loads(ln) for ln in PAGES.read_bytes().splitlines() if ln.strip()]


def flat_lines() -> list[bytes]:
    return [ln for ln in FLAT.read_bytes().splitlines() if ln.strip()]


# ---- v2 pages ------------------------------------------------------------------------------------


def test_split_page_gives_one_envelope_per_tweet_with_only_its_includes() -> None:
    page = pages()[0]
    before = orjson.dumps(page)
    envelopes = split_page(page)
    assert orjson.dumps(page) == before  # pure
    assert len(envelopes) == 100 and all(len(e["data"]) > 1 for e in envelopes)
    plain, retweet, quote, placed = envelopes[1], envelopes[10], envelopes[15], envelopes[7]
    assert plain["includes"] == {"users": [u for u in page["includes"]["users"]
                                           if u["id"] == plain["data"]["author_id"]]}
    original_id = retweet["data"]["referenced_tweets"][0]["id"]
    assert [t["id"] for t in retweet["includes"]["tweets"]] == [original_id]
    # the retweeter and the original's author, nobody else
    assert len(retweet["includes"]["users"]) == 2
    assert quote["includes"]["tweets"][0]["id"] == quote["data"]["referenced_tweets"][0]["id"]
    assert placed["includes"]["places"][0]["full_name"] == "Manhattan, NY"
    assert "media" not in placed["includes"] and "meta" not in placed


def test_every_tweet_of_a_page_parses_on_its_own() -> None:
    tweets = [parse_payload(orjson.dumps(e)) for e in split_page(pages()[0])]
    assert len({t.id for t in tweets}) == 100
    assert sum(t.relation == "retweet" for t in tweets) == 10
    assert sum(t.relation == "quote" for t in tweets) == 10
    rt = tweets[10]
    assert rt.original is not None and rt.text == rt.original.text
    assert not rt.text.startswith("RT @")
    assert tweets[7].place == "Manhattan, NY" and tweets[7].country == "US"
    assert all(t.format == "v2" and t.notes == [] for t in tweets)


def test_page_errors_become_their_own_payloads_with_a_reason() -> None:
    out = split_page(pages()[1])
    errors = [e for e in out if "errors" in e]
    assert len(out) == 11 and len(errors) == 2
    reasons = []
    for e in errors:
        with pytest.raises(InvalidTweet) as info:
            parse_payload(e)
        reasons.append(info.value.reason)
    assert reasons == ["API error: Not Found Error (tweet 1366000000000000999)",
                       "API error: Forbidden (user 2999)"]


def test_a_retweet_whose_original_is_missing_from_includes_still_counts() -> None:
    envelope = split_page(pages()[1])[0]
    assert "tweets" not in envelope["includes"]
    t = parse_payload(envelope)
    assert (t.relation, t.related_id, t.original) == ("retweet", "1366000000000000999", None)
    assert t.text == "the original was deleted"


def test_a_multi_tweet_page_given_whole_to_the_parser_says_to_split_it() -> None:
    with pytest.raises(InvalidTweet, match="v2 page holds 100 tweets; read it with split_page"):
        parse_payload(orjson.dumps(pages()[0]))


def test_page_file_counts_per_tweet() -> None:
    report = inspect_file(PAGES)
    # 100 + 9 + 0 tweets, 2 + 2 error entries
    assert (report["read"], report["valid"], report["invalid"]) == (113, 105, 8)
    assert report["formats"] == {"v2-page": 105}
    assert report["errors"] == [
        "line 2 tweet 2: missing author: 2999 not in includes.users",
        "line 2 tweet 6: created_at before X existed: 2005-12-31",
        "line 2 tweet 7: created_at too far in the future: 2099-01-01",
        "line 2 tweet 9: v2 data is not an object",
        "line 2 error 1: API error: Not Found Error (tweet 1366000000000000999)",
        "line 2 error 2: API error: Forbidden (user 2999)",
        "line 3 error 1: API error: Not Found Error (tweet 1366000000000000300)",
        "line 3 error 2: API error: Not Found Error (tweet 1366000000000000301)",
    ]
    assert report["with_notes"] == 3
    assert "line 2 tweet 3: retweets clamped from 5000000000" in report["notes"]
    assert "line 2 tweet 3: followers clamped from 3000000000" in report["notes"]
    assert "line 2 tweet 4: lang dropped: list instead of text" in report["notes"]


def test_a_json_array_of_pages_and_a_single_page_document(tmp_path: Path) -> None:
    array = tmp_path / "pages.json"
    array.write_bytes(orjson.dumps(pages()[:2], option=orjson.OPT_INDENT_2))
    report = inspect_file(array)
    assert (report["read"], report["valid"]) == (111, 105)
    assert report["errors"][0] == "item 2 tweet 2: missing author: 2999 not in includes.users"
    single = tmp_path / "page.json"
    single.write_bytes(orjson.dumps(pages()[0], option=orjson.OPT_INDENT_2))
    assert inspect_file(single)["formats"] == {"v2-page": 100}


def test_one_tweet_envelopes_are_left_as_they_are() -> None:
    line = (FIXTURES / "v2.jsonl").read_bytes().splitlines()[0]
    assert split_page(orjson.loads(line)) == [orjson.loads(line)]
    assert [i.payload for i in iter_items(FIXTURES / "v2.jsonl")][0] == line


# ---- twarc2 flattened ----------------------------------------------------------------------------


def test_twarc2_lines_are_told_apart_from_our_normalised_json() -> None:
    first = orjson.loads(flat_lines()[0])
    assert detect_format(first) == "twarc2"
    normalised = orjson.loads(parse_payload(first).to_json())
    assert detect_format(normalised) == "tweektrend"
    bare = {k: v for k, v in first.items() if k != "__twarc"}
    assert detect_format(bare) == "twarc2"  # author_id, public_metrics ... are enough


def test_twarc2_flattened_file() -> None:
    report = inspect_file(FLAT)
    assert (report["read"], report["valid"], report["invalid"]) == (20, 17, 3)
    assert report["formats"] == {"twarc2": 17}
    assert report["errors"] == [
        "line 14: missing author: 2999 not inlined by twarc2",
        "line 18: created_at before X existed: 2005-12-31",
        "line 19: created_at too far in the future: 2099-01-01",
    ]


def test_twarc2_joins_inlined_author_original_and_place() -> None:
    tweets = [parse_payload(ln) for ln in flat_lines()[:12]]
    from_pages = [parse_payload(e) for e in split_page(pages()[0])[:12]]
    for flat, paged in zip(tweets, from_pages, strict=True):
        assert flat.format == "twarc2" and paged.format == "v2"
        flat.format = paged.format = "v2"
        if flat.original is not None:
            flat.original.format = "v2"
        assert flat == paged  # the same tweet read either way
    assert tweets[10].original is not None and tweets[10].relation == "retweet"
    assert tweets[7].place == "Manhattan, NY"


def test_twarc2_retweet_of_a_withheld_original() -> None:
    t = parse_payload(flat_lines()[12])
    assert (t.relation, t.related_id, t.original) == ("retweet", "1366000000000000999", None)


# ---- CSV -----------------------------------------------------------------------------------------


def test_kaggle_csv_counts_and_reasons() -> None:
    report = inspect_file(KAGGLE)
    assert (report["read"], report["valid"], report["invalid"]) == (11, 6, 5)
    assert report["formats"] == {"csv": 6}
    assert report["errors"] == [
        "line 7: missing id",
        "line 8: bad created_at: 'yesterday at noon'",
        "line 9: created_at before X existed: 2005-06-01",
        "line 11: missing author: no screen name or user name",
        "line 14: invalid UTF-8 in line 14",
    ]
    assert report["notes"] == [
        "line 10: followers clamped from 3000000000",
        "line 10: retweets clamped from 5000000000",
        "line 12: retweets dropped: not a number (lots)",
    ]


def test_kaggle_rows_become_normalised_tweets() -> None:
    tweets = {}
    for item in iter_items(KAGGLE):
        try:
            t = parse_payload(orjson.dumps(item.payload))
        except (InvalidTweet, TypeError):
            continue
        tweets[t.id] = t
    first = tweets["1340539111971516416"]
    assert first.format == "csv" and first.created_at.isoformat() == "2020-12-20T06:06:44+00:00"
    # no screen-name column: the user name stands in, with a derived, stable author id
    assert (first.author.username, first.author.id) == ("Rachel Roh", "@rachel roh")
    assert (first.author.followers, first.author.location) == (405, "La Crescenta-Montrose, "
                                                                     "California")
    assert first.hashtags == ["PfizerBioNTech"] and first.source == "Twitter for Android"
    assert first.urls == ["https://t.co/xeHhIMg1kF"]
    two = tweets["1338158543359250433"]
    assert two.hashtags == ["whereareallthesickpeople", "PfizerBioNTech"] and two.likes == 1
    assert two.mentions == ["BorisJohnson", "MattHancock"]
    multiline = tweets["1337858199140118533"]
    assert "\n\nA second line" in multiline.text
    assert multiline.hashtags == ["PfizerBioNTech"]  # empty cell: taken from the text
    assert multiline.author.location is None
    huge = tweets["1337850832256176136"]
    assert (huge.retweets, huge.likes, huge.author.followers) == (2**31 - 1, 12, 2**31 - 1)
    assert tweets["1337845910559506432"].created_at.isoformat() == "2020-12-12T10:41:38+00:00"
    assert tweets["1337842295857623042"].created_at.isoformat() == "2020-12-12T19:27:16+00:00"
    back = parse_payload(first.to_json())  # the worker's path
    assert back == first and back.format == "csv"


def test_columns_mapping_for_unknown_headers(tmp_path: Path) -> None:
    path = FIXTURES / "custom_columns.csv"
    report = inspect_file(path)
    assert (report["read"], report["invalid"]) == (1, 1)
    assert report["errors"][0].startswith("line 1: CSV header has no id or created_at or text")
    columns = parse_columns("id=post_no,created_at=posted,username=who,text=body_text")
    report = inspect_file(path, columns)
    assert (report["read"], report["valid"], report["formats"]) == (2, 2, {"csv": 2})
    t = parse_payload(orjson.dumps(next(iter_items(path, columns)).payload))
    assert (t.id, t.author.username, t.author.id, t.likes) == ("1400000000000000001", "minji",
                                                              "@minji", 3)
    assert t.hashtags == ["백신"]
    with pytest.raises(ValueError, match="unknown column field 'idx'"):
        parse_columns("idx=post_no")
    with pytest.raises(ValueError, match="names no header"):
        parse_columns("id=")
    bad = inspect_file(path, parse_columns("id=nope"))
    assert bad["errors"] == ["line 1: --columns id=nope: no such column in the header"]


def test_csv_header_spellings_relations_and_delimiters(tmp_path: Path) -> None:
    path = tmp_path / "twint.csv"
    path.write_text(
        "ID;Created At;User_ID;Username;Tweet;Language;Retweets_Count;Likes_Count;Is_Retweet;"
        "Quoted_Status_ID\n"
        "11;2021-04-08 18:05:45 UTC;77;Neo;RT @x: 백신 #백신;ko;3;4;True;\n"
        "12;2021-04-08 18:06:45 +0000;78;trin;quoting it;en;0;1;False;11\n",
        encoding="utf-8",
    )
    a, b = (parse_payload(i.payload) for i in iter_items(path))
    assert (a.author.id, a.author.username, a.lang, a.retweets, a.likes) == ("77", "Neo", "ko", 3,
                                                                              4)
    assert (a.relation, a.related_id, a.text) == ("retweet", None, "백신 #백신")
    assert (b.relation, b.related_id) == ("quote", "11")
    assert b.created_at.isoformat() == "2021-04-08T18:06:45+00:00"


@pytest.mark.parametrize(
    ("cell", "iso"),
    [
        ("2021-02-03 10:11:12", "2021-02-03T10:11:12+00:00"),
        ("2021-02-03T10:11:12.000Z", "2021-02-03T10:11:12+00:00"),
        ("2021-02-03T19:11:12+09:00", "2021-02-03T10:11:12+00:00"),
        ("2021-02-03 10:11:12 UTC", "2021-02-03T10:11:12+00:00"),
        ("Wed Feb 03 10:11:12 +0000 2021", "2021-02-03T10:11:12+00:00"),
        ("1612347072", "2021-02-03T10:11:12+00:00"),
        ("1612347072000", "2021-02-03T10:11:12+00:00"),
    ],
)
def test_csv_date_shapes(cell: str, iso: str) -> None:
    assert csv_time(cell).isoformat() == iso


@pytest.mark.parametrize(
    ("cell", "tags"),
    [
        ("['PfizerBioNTech', 'vaccine']", ["PfizerBioNTech", "vaccine"]),
        ('["a", "b"]', ["a", "b"]),
        ('[{"start": 0, "end": 4, "tag": "BTS"}]', ["BTS"]),
        ("covid vaccine", ["covid", "vaccine"]),
        ("#a,#b, #a", ["a", "b"]),
        ("", []),
    ],
)
def test_hashtag_cells(cell: str, tags: list[str]) -> None:
    assert parse_hashtags(cell) == tags


def test_a_huge_csv_field_is_one_invalid_row(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("id,date,user_name,text\n"
                    f'1,2021-01-01 00:00:00,a,"{"y" * 100_001}"\n'
                    "2,2021-01-01 00:00:00,b,fine\n", encoding="utf-8")
    report = inspect_file(path)
    assert (report["read"], report["valid"]) == (2, 1)
    assert report["errors"] == ["line 2: huge text: 100001 chars > 100000"]


# ---- compressed and zipped files -----------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".gz", ".bz2"])
def test_compressed_files_are_read_as_they_are(tmp_path: Path, suffix: str) -> None:
    compress = gzip.compress if suffix == ".gz" else bz2.compress
    for source in (PAGES, KAGGLE, FLAT):
        packed = tmp_path / (source.name + suffix)
        packed.write_bytes(compress(source.read_bytes()))
        assert inspect_file(packed) == inspect_file(source)


def test_zip_members_in_name_order(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("b/tweets.csv", KAGGLE.read_bytes())
        zf.writestr("a/pages.jsonl", PAGES.read_bytes())
        zf.writestr("README.txt", "not tweets")
        zf.writestr("__MACOSX/a/._pages.jsonl", b"\x00\x01")
        zf.writestr("c/flat.json", FLAT.read_bytes())  # JSONL under a .json name
    report = inspect_file(path)
    assert report["formats"] == {"v2-page": 105, "csv": 6, "twarc2": 17}
    assert (report["read"], report["valid"]) == (113 + 11 + 20, 105 + 6 + 17)
    assert report["errors"][0] == "a/pages.jsonl line 2 tweet 2: missing author: 2999 not in " \
                                  "includes.users"
    assert "b/tweets.csv line 7: missing id" in report["errors"]


def test_broken_compressed_files_are_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(gzip.compress(PAGES.read_bytes())[:2000])
    report = inspect_file(path)
    assert report["invalid"] >= 1
    assert report["errors"][-1].startswith("end of file: unreadable cut.jsonl.gz")
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes(b"PK not really")
    assert inspect_file(bad_zip)["errors"][0].startswith("line 1: not a zip file")


# ---- wrong types anywhere never crash ------------------------------------------------------------


def _mutations(obj: object, rng: random.Random) -> object:
    junk = [None, 0, -1, "", "x", [], {}, [1], {"a": 1}, True, 1.5, 2**40, "2024-99-99"]
    if isinstance(obj, dict):
        return {k: rng.choice(junk) if rng.random() < 0.06 else _mutations(v, rng)
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [_mutations(v, rng) for v in obj]
    return obj


def test_wrongly_typed_archive_payloads_never_crash() -> None:
    rng = random.Random(7)
    page = pages()[1]
    flats = [orjson.loads(ln) for ln in flat_lines()[10:]]
    rows = [i.payload for i in iter_items(KAGGLE) if isinstance(i.payload, dict)]
    outcomes = {"ok": 0, "invalid": 0}
    for _ in range(150):
        payloads = split_page(_mutations(page, rng)) if rng.random() < 0.5 else []
        payloads += [_mutations(f, rng) for f in flats] + [_mutations(r, rng) for r in rows]
        for payload in payloads:
            try:
                t = parse_payload(payload)
            except InvalidTweet as exc:
                assert exc.reason
                outcomes["invalid"] += 1
            else:
                assert t.text.strip() and 0 <= t.retweets <= 2**31 - 1
                assert t.lang is None or isinstance(t.lang, str)
                assert parse_payload(t.to_json()) == t  # the worker reads what was sent
                outcomes["ok"] += 1
    assert outcomes["ok"] > 100 and outcomes["invalid"] > 100


# ---- has_media -----------------------------------------------------------------------------------

V1 = FIXTURES / "v1_1.jsonl"
V2 = FIXTURES / "v2.jsonl"
ACTIVITY = FIXTURES / "activity.jsonl"
_PHOTO_V1 = {"id_str": "9", "type": "photo", "media_url_https": "https://pbs.twimg.com/media/a.jpg"}


def _first(path: Path) -> dict:
    return orjson.loads(path.read_bytes().splitlines()[0])


def _lines(path: Path) -> list[bytes]:
    return [ln for ln in path.read_bytes().splitlines() if ln.strip()]


def test_no_fixture_post_without_media_says_it_has_media() -> None:
    for path in (V1, V2, ACTIVITY, FLAT, FIXTURES / "mixed.jsonl"):
        for line in _lines(path):
            try:
                tweet = parse_payload(line)
            except InvalidTweet:
                continue
            assert tweet.has_media is False, (path.name, tweet.id)


@pytest.mark.parametrize("where", ["entities", "extended_entities"])
def test_v1_media_in_entities_or_extended_entities(where: str) -> None:
    obj = _first(V1)
    obj.setdefault(where, {})["media"] = [_PHOTO_V1]
    tweet = parse_payload(obj)
    assert tweet.has_media is True and tweet.format == "v1.1"
    obj[where]["media"] = []
    assert parse_payload(obj).has_media is False


def test_v1_extended_tweet_media_and_a_retweet_of_a_photo() -> None:
    obj = _first(V1)
    obj["extended_tweet"] = {"full_text": obj["text"] + " more",
                             "extended_entities": {"media": [_PHOTO_V1]}}
    assert parse_payload(obj).has_media is True
    retweet = {**_first(V1), "id_str": "1764600000000000099", "id": 1764600000000000099,
               "retweeted_status": obj}
    retweet.pop("extended_tweet", None)
    parsed = parse_payload(retweet)
    assert parsed.relation == "retweet" and parsed.has_media is True


def test_v2_media_keys_and_twarc2_inlined_media() -> None:
    envelope = _first(V2)
    envelope["data"]["attachments"] = {"media_keys": ["3_1"]}
    envelope["includes"]["media"] = [{"media_key": "3_1", "type": "photo"}]
    assert parse_payload(envelope).has_media is True
    envelope["data"]["attachments"] = {"poll_ids": ["1"]}
    assert parse_payload(envelope).has_media is False
    flat = orjson.loads(flat_lines()[1])
    flat["attachments"] = {"media_keys": ["3_2"], "media": [{"media_key": "3_2", "type": "video"}]}
    tweet = parse_payload(flat)
    assert tweet.format == "twarc2" and tweet.has_media is True


def test_v2_page_split_keeps_the_media_flag() -> None:
    page = pages()[0]
    page["data"][1]["attachments"] = {"media_keys": ["3_9"]}
    tweets = [parse_payload(e) for e in split_page(page)]
    assert [t.has_media for t in tweets[:3]] == [False, True, False]


def test_activity_streams_media() -> None:
    obj = _first(ACTIVITY)
    obj["twitter_extended_entities"] = {"media": [_PHOTO_V1]}
    tweet = parse_payload(obj)
    assert tweet.format == "activity" and tweet.has_media is True


def test_csv_media_column(tmp_path: Path) -> None:
    path = tmp_path / "media.csv"
    path.write_text(
        "id,created_at,username,text,photos\n"
        "21,2021-04-08 18:05:45,neo,with a photo,['https://pbs.twimg.com/media/a.jpg']\n"
        "22,2021-04-08 18:05:46,neo,no photo,[]\n"
        "23,2021-04-08 18:05:47,neo,empty cell,\n",
        encoding="utf-8",
    )
    assert [parse_payload(i.payload).has_media for i in iter_items(path)] == [True, False, False]
    flagged = tmp_path / "flag.csv"
    flagged.write_text("id,created_at,username,text,has_media\n1,2021-04-08,a,x,True\n"
                       "2,2021-04-08,a,y,false\n", encoding="utf-8")
    assert [parse_payload(i.payload).has_media for i in iter_items(flagged)] == [True, False]


def test_has_media_survives_the_normalised_json() -> None:
    obj = _first(V1)
    obj["entities"]["media"] = [_PHOTO_V1]
    tweet = parse_payload(obj)
    back = parse_payload(tweet.to_json())
    assert back == tweet and back.has_media is True
    raw = orjson.loads(tweet.to_json())
    raw["has_media"] = "yes"
    odd = parse_payload(orjson.dumps(raw))
    assert odd.has_media is False and any("has_media dropped" in n for n in odd.notes)
    del raw["has_media"]
    assert parse_payload(orjson.dumps(raw)).has_media is False  # written before the field
