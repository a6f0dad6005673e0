"""Which write errors dead-letter a message (permanent) and which are waited out (transient),
how batches are bounded by bytes as well as rows, and how dead letters are kept under Kafka's
size limit."""

from __future__ import annotations

import struct

import pytest
from cassandra import (
    InvalidRequest,
    OperationTimedOut,
    Unavailable,
    WriteFailure,
    WriteTimeout,
)
from cassandra.cluster import NoHostAvailable
from cassandra.connection import ConnectionException

from tweektrend_dagster.ingest.dlq import (
    MAX_DEAD_LETTER_BYTES,
    TRUNCATED_BYTES,
    dead_letter_headers,
    fit_dead_letter,
    header_dict,
)
from tweektrend_dagster.ingest.worker import BATCH_BYTES, ROWS_PER_BATCH, chunk_bounds
from tweektrend_dagster.ingest.write_errors import is_permanent, reason


def _bind_error(value, fmt: str) -> Exception:
    try:
        struct.pack(fmt, value)
    except struct.error as exc:
        return exc
    raise AssertionError("packed")


@pytest.mark.parametrize(
    "exc",
    [
        InvalidRequest('Error from server: code=2200 [Invalid query] message="Batch too large"'),
        InvalidRequest("Key length of 65544 is longer than maximum of 65535"),
        InvalidRequest("Rejected an oversized mutation (17000000/16777216) for keyspace ks"),
        TypeError('Received an argument of invalid type for column "retweets"'),
        _bind_error(70_000, ">H"),  # a routing key component over 64 KiB
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        OverflowError("int too large to convert"),
        WriteFailure("Operation failed - mutation too large", write_type=2),
    ],
)
def test_errors_that_the_same_row_would_meet_again_are_permanent(exc):
    assert is_permanent(exc)


@pytest.mark.parametrize(
    "exc",
    [
        OperationTimedOut("errors={}, last_host=127.0.0.1"),
        NoHostAvailable("Unable to connect to any servers", {}),
        Unavailable("Cannot achieve consistency level LOCAL_QUORUM"),
        WriteTimeout("Operation timed out - received only 0 responses.", write_type=2),
        ConnectionException("Connection reset by peer"),
        ConnectionRefusedError(111, "Connection refused"),
        # the schema is missing: every message would fail alike, so it is waited out
        InvalidRequest("unconfigured table posts_by_keyword"),
        InvalidRequest("Keyspace 'ks' does not exist"),
        RuntimeError("something unexpected in the driver"),
    ],
)
def test_errors_of_the_cluster_or_schema_are_transient(exc):
    assert not is_permanent(exc)


def test_the_reason_quotes_the_servers_words_without_the_envelope():
    exc = InvalidRequest(
        'Error from server: code=2200 [Invalid query] message="Key length of 65544 is longer'
        ' than maximum of 65535"'
    )
    assert reason(exc) == (
        "Cassandra refused the row (InvalidRequest: Key length of 65544 is longer than"
        " maximum of 65535)"
    )


def test_small_rows_are_batched_by_row_count():
    bounds = chunk_bounds([1000] * 120)
    assert [end - start for start, end in bounds] == [ROWS_PER_BATCH, ROWS_PER_BATCH, 20]
    assert bounds[0] == (0, ROWS_PER_BATCH) and bounds[-1][1] == 120


def test_large_rows_are_batched_by_bytes_and_a_huge_row_goes_alone():
    sizes = [100_000] * 7 + [BATCH_BYTES * 3] + [10] * 3
    bounds = chunk_bounds(sizes)
    # contiguous and complete
    assert bounds[0][0] == 0 and bounds[-1][1] == len(sizes)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    for start, end in bounds:
        assert end - start == 1 or sum(sizes[start:end]) <= BATCH_BYTES
    assert (7, 8) in bounds  # the huge row alone
    assert [end - start for start, end in bounds[:3]] == [2, 2, 2]


def test_no_rows_no_batches():
    assert chunk_bounds([]) == []


def test_a_dead_letter_within_the_limit_is_kept_whole():
    headers = dead_letter_headers("bad", "worker", "t", 0, 5)
    assert fit_dead_letter(b"x" * 1000, headers) == (b"x" * 1000, headers)
    assert fit_dead_letter(None, headers) == (None, headers)


def test_a_dead_letter_over_the_limit_keeps_its_head_and_says_how_big_it_was():
    value = b"{" + b"a" * (2 * 1024 * 1024)
    out, headers = fit_dead_letter(value, dead_letter_headers("huge text", "producer"))
    assert out == value[:TRUNCATED_BYTES]
    info = header_dict(headers)
    assert info["original_size"] == str(len(value))
    assert info["truncated"] == str(TRUNCATED_BYTES)
    assert info["error"] == "huge text" and info["stage"] == "producer"
    assert len(out) < MAX_DEAD_LETTER_BYTES
