"""The dead-letter topic: the original bytes as value, the reason and origin in headers.

A dead letter must itself fit in a Kafka message: a value over `MAX_DEAD_LETTER_BYTES` (Kafka's
default `message.max.bytes` is 1,000,000 bytes, headers included) keeps its first
`TRUNCATED_BYTES`, and the headers say so and give the original size.
"""

from __future__ import annotations

MAX_DEAD_LETTER_BYTES = 900_000
TRUNCATED_BYTES = 100_000


def dead_letter_headers(
    reason: str,
    stage: str,
    topic: str | None = None,
    partition: int | None = None,
    offset: int | None = None,
) -> list:
    headers = [("error", reason.encode("utf-8", "replace")[:1000]), ("stage", stage.encode())]
    if topic is not None:
        headers += [
            ("source_topic", topic.encode()),
            ("source_partition", str(partition).encode()),
            ("source_offset", str(offset).encode()),
        ]
    return headers


def fit_dead_letter(
    value: bytes | None, headers: list, limit: int = MAX_DEAD_LETTER_BYTES
) -> tuple[bytes | None, list]:
    """(value, headers) small enough for the dead-letter topic: over `limit`, the value keeps its
    first TRUNCATED_BYTES and the headers gain `original_size` and `truncated`."""
    if value is None or len(value) <= limit:
        return value, headers
    keep = min(TRUNCATED_BYTES, limit)
    return value[:keep], [
        *headers,
        ("original_size", str(len(value)).encode()),
        ("truncated", str(keep).encode()),
    ]


def header_dict(headers: list | None) -> dict[str, str]:
    return {k: (v or b"").decode("utf-8", "replace") for k, v in headers or []}
