"""Replay source: raw lines out unchanged, pacing by the payloads' own timestamps (fake clock)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tweektrend_dagster.ingest.sources import make_source
from tweektrend_dagster.ingest.sources.replay import Pacer, Replay, payload_time

T0 = 1_671_696_843.0  # 2022-12-22T08:14:03Z


def v11(tid: int, ts: float, with_ms: bool = True) -> dict:
    from email.utils import formatdate

    # v1.1 created_at: 'Thu Dec 22 08:14:03 +0000 2022'
    parts = formatdate(ts, usegmt=True).replace(",", "").split()  # Thu 22 Dec 2022 08:14:03 GMT
    created = f"{parts[0]} {parts[2]} {parts[1]} {parts[4]} +0000 {parts[3]}"
    obj = {
        "created_at": created,
        "id": tid,
        "id_str": str(tid),
        "text": "코로나 확진자가 늘었다",
        "user": {"id": 1, "id_str": "1", "screen_name": "a", "name": "A"},
        "lang": "ko",
    }
    if with_ms:
        obj["timestamp_ms"] = str(int(ts * 1000))
    return obj


def v2(tid: int, ts: float) -> dict:
    from datetime import UTC, datetime

    iso = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return {
        "data": {"id": str(tid), "text": "BTS 콘서트", "created_at": iso, "author_id": "2"},
        "includes": {"users": [{"id": "2", "username": "b", "name": "B"}]},
    }


def activity(tid: int, ts: float) -> dict:
    from datetime import UTC, datetime

    iso = datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "id": f"tag:search.twitter.com,2005:{tid}",
        "objectType": "activity",
        "verb": "post",
        "postedTime": iso,
        "body": "Netflix tonight",
        "actor": {"id": "id:twitter.com:3", "preferredUsername": "c", "displayName": "C"},
    }


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def write_lines(path, objs) -> list[bytes]:
    lines = [
        o if isinstance(o, bytes) else json.dumps(o, ensure_ascii=False).encode() for o in objs
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return lines


@pytest.fixture
def mixed(tmp_path):
    """v1.1, v2 and activity payloads at T0, +10 s, +70 s, plus a bad line and a blank line."""
    path = tmp_path / "mixed.jsonl"
    objs = [v11(1, T0), v2(2, T0 + 10), b"{not json", activity(3, T0 + 70)]
    lines = write_lines(path, objs)
    path.write_bytes(path.read_bytes() + b"\n   \n")  # trailing blank lines are skipped
    return path, lines


def test_yields_raw_lines_including_bad_ones(mixed):
    path, lines = mixed
    src = Replay(path)
    assert list(src.payloads()) == lines
    assert src.sent == 4


@pytest.mark.parametrize(
    ("speed", "expected"),
    [(1, [10.0, 60.0]), (60, [10 / 60, 1.0]), (0.5, [20.0, 120.0])],
)
def test_pacing_follows_payload_time(mixed, speed, expected):
    path, _ = mixed
    clock = FakeClock()
    src = Replay(path, speed=speed, clock=clock, sleep=clock.sleep)
    out = list(src.payloads())
    assert len(out) == 4
    assert clock.sleeps == pytest.approx(expected)  # the bad line goes out without waiting
    assert clock.now - 1000.0 == pytest.approx(70 / speed)


def test_speed_zero_never_sleeps(mixed):
    path, _ = mixed
    clock = FakeClock()
    assert len(list(Replay(path, speed=0, clock=clock, sleep=clock.sleep).payloads())) == 4
    assert clock.sleeps == []


def test_out_of_order_and_untimed_lines_do_not_wait(tmp_path):
    path = tmp_path / "ooo.jsonl"
    write_lines(
        path, [v2(1, T0), v2(2, T0 + 30), v2(3, T0 + 5), {"data": {"id": "4"}}, v2(5, T0 + 40)]
    )
    clock = FakeClock()
    list(Replay(path, speed=1, clock=clock, sleep=clock.sleep).payloads())
    # 30 s, then the late +5 s post and the untimed one at once, then 10 s more.
    assert clock.sleeps == pytest.approx([30.0, 10.0])


def test_consumer_lag_is_not_paid_twice(tmp_path):
    path = tmp_path / "lag.jsonl"
    write_lines(path, [v2(i, T0 + i) for i in range(5)])
    clock = FakeClock()
    it = Replay(path, speed=1, clock=clock, sleep=clock.sleep).payloads()
    next(it)
    clock.now += 2.5  # the producer was slow for 2.5 s
    rest = list(it)
    assert len(rest) == 4
    # Due at +1, +2 (already past), then +3 and +4 on the original schedule.
    assert clock.sleeps == pytest.approx([0.5, 1.0])


def test_max_gap_caps_long_silences(tmp_path):
    path = tmp_path / "gap.jsonl"
    write_lines(path, [v2(1, T0), v2(2, T0 + 86_400), v2(3, T0 + 86_401)])
    clock = FakeClock()
    list(Replay(path, speed=1, max_gap=5, clock=clock, sleep=clock.sleep).payloads())
    assert clock.sleeps == pytest.approx([5.0, 1.0])


def test_loop_repeats_and_restarts_the_schedule(tmp_path):
    path = tmp_path / "loop.jsonl"
    lines = write_lines(path, [v2(1, T0), v2(2, T0 + 2)])
    clock = FakeClock()
    src = Replay(path, speed=1, loop=True, limit=5, clock=clock, sleep=clock.sleep)
    assert list(src.payloads()) == lines * 2 + lines[:1]
    assert clock.sleeps == pytest.approx([2.0, 2.0])  # no wait from the last line back to the first


def test_json_array_file_and_gzip(tmp_path):
    objs = [v2(1, T0), v11(2, T0 + 1), activity(3, T0 + 2)]
    arr = tmp_path / "export.json"
    arr.write_text(json.dumps(objs, ensure_ascii=False, indent=2))
    out = list(Replay(arr).payloads())
    assert [json.loads(x) for x in out] == objs
    gz = tmp_path / "tweets.jsonl.gz"
    with gzip.open(gz, "wb") as fh:
        fh.write(b"\n".join(json.dumps(o).encode() for o in objs))
    assert [json.loads(x) for x in Replay(gz).payloads()] == objs


def test_close_stops_the_stream(tmp_path):
    path = tmp_path / "many.jsonl"
    write_lines(path, [v2(i, T0 + i) for i in range(100)])
    src = make_source("replay", path=path)
    it = src.payloads()
    got = [next(it), next(it)]
    src.close()
    assert list(it) == [] and len(got) == 2


def test_close_interrupts_a_long_wait(tmp_path):
    import threading
    import time

    path = tmp_path / "slow.jsonl"
    write_lines(path, [v2(1, T0), v2(2, T0 + 3600)])
    src = Replay(path, speed=1)  # real clock and the default, interruptible sleep
    it = src.payloads()
    next(it)
    threading.Timer(0.2, src.close).start()
    started = time.monotonic()
    assert list(it) == []
    assert time.monotonic() - started < 2


def test_payload_time_formats():
    assert payload_time(json.dumps(v11(1, T0)).encode()) == T0
    assert payload_time(json.dumps(v11(1, T0, with_ms=False)).encode()) == T0
    kst = {"created_at": "Thu Dec 22 17:14:03 +0900 2022", "id": 1}
    assert payload_time(json.dumps(kst).encode()) == T0
    assert payload_time(json.dumps(v2(1, T0 + 0.25)).encode()) == T0 + 0.25
    assert payload_time(json.dumps(activity(1, T0)).encode()) == T0
    assert payload_time(b"{broken") is None
    assert payload_time(b"[1, 2]") is None
    assert payload_time(b'{"data": {"created_at": "yesterday"}}') is None


def test_bad_arguments(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.jsonl"):
        Replay(tmp_path / "nope.jsonl")
    (tmp_path / "a.jsonl").write_text("{}\n")
    with pytest.raises(ValueError, match="speed"):
        Replay(tmp_path / "a.jsonl", speed=-1)


def test_pacer_alone():
    clock = FakeClock()
    pacer = Pacer(2.0, clock, clock.sleep)
    assert pacer.wait_for(100.0) == 0.0
    assert pacer.wait_for(104.0) == 2.0
    assert pacer.wait_for(None) == 0.0
    assert pacer.wait_for(110.0) == 3.0
    assert clock.sleeps == [2.0, 3.0]


# ---- archive formats -----------------------------------------------------------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "tweets"


def _outcomes(payloads):
    from tweektrend_dagster.tweets import InvalidTweet, parse_payload

    good, bad = [], []
    for raw in payloads:
        assert isinstance(raw, bytes)
        try:
            good.append(parse_payload(raw))
        except InvalidTweet as exc:
            bad.append(exc.reason)
    return good, bad


def test_v2_pages_are_replayed_one_tweet_per_payload(tmp_path):
    path = tmp_path / "search.jsonl.gz"
    path.write_bytes(gzip.compress((FIXTURES / "v2_pages.jsonl").read_bytes()))
    out = list(Replay(path).payloads())
    assert len(out) == 113  # 109 tweets (one of them not an object) and 4 error entries
    for raw in out:
        data = json.loads(raw).get("data")
        assert data is None or not isinstance(data, list)
    good, bad = _outcomes(out)
    assert len(good) == 105 and len({t.id for t in good}) == 105
    assert "API error: Forbidden (user 2999)" in bad
    assert "created_at too far in the future: 2099-01-01" in bad


def test_csv_replay_with_columns_and_unreadable_rows(tmp_path):
    out = list(Replay(FIXTURES / "kaggle_vaccines.csv").payloads())
    good, bad = _outcomes(out)
    assert (len(good), len(bad)) == (6, 5)
    assert "invalid UTF-8 in line 14" in bad and "missing id" in bad
    custom = FIXTURES / "custom_columns.csv"
    src = make_source("replay", path=custom, columns="id=post_no,created_at=posted,"
                      "username=who,text=body_text")
    good, bad = _outcomes(src.payloads())
    assert [t.author.username for t in good] == ["minji", "alex"] and bad == []
    with pytest.raises(ValueError, match="unknown column field"):
        Replay(custom, columns="tweet=body_text")


def test_csv_and_twarc2_payloads_are_paced_by_their_dates(tmp_path):
    path = tmp_path / "paced.csv"
    path.write_text("id,date,user_name,text\n1,2021-01-01 00:00:00,a,x\n"
                    "2,2021-01-01 00:00:30,a,y\n3,2021-01-01 00:01:30,a,z\n")
    clock = FakeClock()
    assert len(list(Replay(path, speed=1, clock=clock, sleep=clock.sleep).payloads())) == 3
    assert clock.sleeps == pytest.approx([30.0, 60.0])
    flat = (FIXTURES / "twarc2_flat.jsonl").read_bytes().splitlines()[0]
    assert payload_time(flat) == 1614600000.0  # 2021-03-01T12:00:00Z


def test_a_broken_json_document_goes_out_as_one_unreadable_payload(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"id": 1,\n  "text": "cut')
    out = list(Replay(path).payloads())
    assert len(out) == 1
    _, bad = _outcomes(out)
    assert bad[0].startswith("not JSON: ")
